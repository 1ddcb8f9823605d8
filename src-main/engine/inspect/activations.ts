/**
 * A layer's activations over a dataset, computed on demand in batches and reduced as they go:
 * never held for the whole dataset. Every batch's tensors live inside one tf.tidy; only the
 * reduction is read back.
 */
import * as tf from '@tensorflow/tfjs';
import type { InspectUnitStats } from '@contract';
import type { Network } from '../training/network';
import { mulberry32, type TrainingData } from '../training/trainingData';

/** Samples per forward pass: large enough to keep the backend busy, small enough for any layer. */
export const INSPECT_BATCH = 512;

/** The samples to compute over: all of the training split, or `n` of them picked with a fixed seed, ascending. */
export function sampleIndices(count: number, n?: number): Int32Array {
  if (n === undefined || n >= count) return Int32Array.from({ length: count }, (_, i) => i);
  // A partial Fisher–Yates shuffle: n distinct indices, the same for the same count and n.
  const random = mulberry32(0x1a5ec7);
  const swapped = new Map<number, number>();
  const picked = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const j = i + Math.floor(random() * (count - i));
    picked[i] = swapped.get(j) ?? j;
    swapped.set(j, swapped.get(i) ?? i);
  }
  return picked.sort();
}

function inputBatch(data: TrainingData, indices: Int32Array): tf.Tensor {
  const size = data.inputShape.reduce((a, b) => a * b, 1);
  const x = new Float32Array(indices.length * size);
  const y = data.task === 'classification' ? new Int32Array(indices.length) : new Float32Array(indices.length * data.outputs);
  data.train.fill(indices, x, y);
  return tf.tensor(x, [indices.length, ...data.inputShape], 'float32');
}

/**
 * Runs the network over the samples in batches; `reduce` gets the chosen layer's output as
 * [batch, positions, units] (positions 1 for dense layers) inside the batch's tidy and returns
 * the one tensor to read back, which `consume` receives.
 */
export async function overBatches(
  network: Network,
  data: TrainingData,
  layer: number,
  indices: Int32Array,
  reduce: (output: tf.Tensor3D) => tf.Tensor,
  consume: (values: Float32Array, start: number, n: number) => void,
  batchSize = INSPECT_BATCH,
): Promise<void> {
  for (let start = 0; start < indices.length; start += batchSize) {
    const batch = indices.subarray(start, Math.min(indices.length, start + batchSize));
    const result = tf.tidy(() => {
      const capture: tf.Tensor[] = [];
      network.forward(inputBatch(data, batch), { training: false, capture, until: layer });
      const output = capture[layer];
      if (!output) throw new RangeError(`the network has no layer ${layer}`);
      const units = output.shape[output.shape.length - 1] ?? 1;
      return reduce(tf.reshape(output, [batch.length, -1, units]) as tf.Tensor3D);
    });
    const values = (await result.data()) as Float32Array;
    result.dispose();
    consume(values, start, batch.length);
  }
}

/**
 * One unit's output on every sample: `values` holds samples × positions numbers (positions 1
 * for dense layers), `perSample` each sample's largest over positions (what ranks inputs).
 */
export async function unitActivations(network: Network, data: TrainingData, layer: number, unit: number, indices: Int32Array): Promise<{ values: Float32Array; perSample: Float32Array; positions: number }> {
  let values = new Float32Array(0);
  let positions = 1;
  const perSample = new Float32Array(indices.length);
  await overBatches(
    network,
    data,
    layer,
    indices,
    (output) => {
      const units = output.shape[2];
      if (unit >= units) throw new RangeError(`unit ${unit} is outside the layer's ${units} units`);
      return tf.squeeze(tf.slice(output, [0, 0, unit], [-1, -1, 1]), [2]);
    },
    (batch, start, n) => {
      positions = batch.length / n;
      if (values.length === 0) values = new Float32Array(indices.length * positions);
      values.set(batch, start * positions);
      for (let s = 0; s < n; s++) {
        let best = -Infinity;
        for (let p = 0; p < positions; p++) best = Math.max(best, batch[s * positions + p]!);
        perSample[start + s] = best;
      }
    },
  );
  return { values, perSample, positions };
}

/**
 * Per-unit statistics of a layer's output over the samples (× positions): the fraction > 0,
 * the fraction at an asymptote (the probe's 1 % rule for sigmoid, softmax and tanh), mean and
 * std. Non-finite outputs make the mean and std non-finite: shown as they are.
 */
export async function layerUnitStats(network: Network, data: TrainingData, layer: number, activation: string, indices: Int32Array): Promise<InspectUnitStats> {
  let sums: Float64Array | null = null;
  let units = 0;
  let rows = 0;
  await overBatches(
    network,
    data,
    layer,
    indices,
    (output) => {
      const u = output.shape[2];
      const flat = tf.reshape(output, [-1, u]);
      // NaN and Inf are left in: a layer that overflowed shows a NaN mean, not a made-up one.
      const active = tf.sum(tf.cast(tf.greater(flat, 0), 'float32'), 0);
      let saturated: tf.Tensor;
      if (activation === 'sigmoid' || activation === 'softmax') saturated = tf.sum(tf.cast(tf.logicalOr(tf.less(flat, 0.01), tf.greater(flat, 0.99)), 'float32'), 0);
      else if (activation === 'tanh') saturated = tf.sum(tf.cast(tf.greater(tf.abs(flat), 0.99), 'float32'), 0);
      else saturated = tf.zeros([u]);
      return tf.stack([active, saturated, tf.sum(flat, 0), tf.sum(tf.square(flat), 0), tf.fill([u], flat.shape[0])]);
    },
    (values) => {
      units = values.length / 5;
      sums ??= new Float64Array(4 * units);
      for (let i = 0; i < 4 * units; i++) sums[i]! += values[i]!;
      rows += values[4 * units] ?? 0;
    },
  );
  const totals = sums ?? new Float64Array(0);
  const active = new Float32Array(units);
  const saturated = new Float32Array(units);
  const mean = new Float32Array(units);
  const std = new Float32Array(units);
  for (let u = 0; u < units; u++) {
    const n = rows || 1;
    active[u] = totals[u]! / n;
    saturated[u] = totals[units + u]! / n;
    const m = totals[2 * units + u]! / n;
    mean[u] = m;
    std[u] = Math.sqrt(Math.max(0, totals[3 * units + u]! / n - m * m));
  }
  return { samples: indices.length, active, saturated, mean, std };
}
