/**
 * Per-layer histograms of weights, biases, gradients and activations, binned on the backend:
 * each tensor's finite range, bin indices and counts (tf.bincount) are computed where the
 * tensor lives, and only HISTOGRAM_BINS + a few numbers per tensor are read back. Activations
 * and gradients are measured on the fixed probe batch in inference mode (no dropout, batch
 * norm on its moving statistics), so that histograms taken at different steps compare like
 * with like. Every tensor made here is disposed here.
 */
import * as tf from '@tensorflow/tfjs';
import { HISTOGRAM_BINS, type HistogramKind, type HistogramSet, type TensorHistogram } from '@contract';
import type { Network, VariableRole } from './network';

/** How often the live histograms are taken while a run trains, whatever the snapshot interval. */
export const LIVE_HISTOGRAM_MS = 2000;
/**
 * Live histograms cost a forward and backward pass over the probe batch (for the MNIST MLP on
 * wasm, about two training steps): they wait at least this many times their last cost, so
 * that they take at most 1/20 of the training time.
 */
export const LIVE_COST_RATIO = 20;

/** What a binned tensor reads back: counts and integer tallies, then real-valued statistics. */
interface Binned {
  /** [counts × bins, nonFinite, zeros, finite] as int32. */
  ints: tf.Tensor1D;
  /** [min, max, mean, std] as float32. */
  floats: tf.Tensor1D;
}

/**
 * Bins the finite values of `t` into `bins` equal bins over [min, max] of those values.
 * A tensor of one repeated value gets a range a little either side of it (5 % of |value|, or
 * ±0.5 for 0), as the renderer's plain histogram does. Call inside tf.tidy.
 */
export function binOnBackend(t: tf.Tensor, bins = HISTOGRAM_BINS): Binned {
  const flat = tf.cast(tf.reshape(t, [-1]), 'float32');
  const finite = tf.logicalNot(tf.logicalOr(tf.isNaN(flat), tf.isInf(flat)));
  const finiteCount = tf.sum(tf.cast(finite, 'int32'));
  const hasFinite = tf.greater(finiteCount, 0);
  const rawMin = tf.min(tf.where(finite, flat, tf.fill(flat.shape, Number.POSITIVE_INFINITY)));
  const rawMax = tf.max(tf.where(finite, flat, tf.fill(flat.shape, Number.NEGATIVE_INFINITY)));
  // No finite value: an empty histogram over [0, 1].
  const lo0 = tf.where(hasFinite, rawMin, tf.scalar(0));
  const hi0 = tf.where(hasFinite, rawMax, tf.scalar(1));
  const flatRange = tf.lessEqual(hi0, lo0);
  const pad = tf.where(tf.greater(tf.abs(lo0), 0), tf.mul(tf.abs(lo0), 0.05), tf.scalar(0.5));
  const lo = tf.where(flatRange, tf.sub(lo0, pad), lo0);
  const hi = tf.where(flatRange, tf.add(hi0, pad), hi0);
  const safe = tf.where(finite, flat, lo);
  const scaled = tf.floor(tf.mul(tf.sub(safe, lo), tf.div(bins, tf.sub(hi, lo))));
  // Non-finite values go to an extra bin past the last, dropped below.
  const index = tf.where(finite, tf.clipByValue(scaled, 0, bins - 1), tf.scalar(bins));
  const counts = tf.slice(tf.bincount(tf.cast(index, 'int32') as tf.Tensor1D, tf.tensor1d([], 'int32'), bins + 1), 0, bins);
  const nonFinite = tf.sub(tf.scalar(flat.size, 'int32'), finiteCount);
  const zeros = tf.sum(tf.cast(tf.logicalAnd(finite, tf.equal(flat, 0)), 'int32'));
  const denominator = tf.maximum(tf.cast(finiteCount, 'float32'), 1);
  const zeroed = tf.where(finite, flat, tf.zerosLike(flat));
  const mean = tf.div(tf.sum(zeroed), denominator);
  const deviation = tf.where(finite, tf.sub(flat, mean), tf.zerosLike(flat));
  const std = tf.sqrt(tf.div(tf.sum(tf.square(deviation)), denominator));
  return {
    ints: tf.concat([counts, tf.stack([nonFinite, zeros, finiteCount])]) as tf.Tensor1D,
    floats: tf.stack([lo, hi, mean, std]) as tf.Tensor1D,
  };
}

/** One tensor to bin, named for the histogram it becomes. */
interface Source {
  layer: string;
  kind: HistogramKind;
  role: string;
  tensor: tf.Tensor;
}

/** Bins every source in one pass on the backend and reads all of them back in two reads. */
export async function histogramsOf(sources: readonly Source[], bins = HISTOGRAM_BINS): Promise<TensorHistogram[]> {
  if (sources.length === 0) return [];
  const [ints, floats] = tf.tidy(() => {
    const binned = sources.map((s) => binOnBackend(s.tensor, bins));
    return [tf.concat(binned.map((b) => b.ints)), tf.concat(binned.map((b) => b.floats))];
  });
  const intData = (await ints.data()) as Int32Array;
  const floatData = (await floats.data()) as Float32Array;
  ints.dispose();
  floats.dispose();
  const perInts = bins + 3;
  return sources.map((s, i) => {
    const at = i * perInts;
    const total = intData[at + bins + 2]!;
    const stat = (v: number): number | null => (total > 0 && Number.isFinite(v) ? v : null);
    return {
      layer: s.layer,
      kind: s.kind,
      role: s.role,
      shape: s.tensor.shape,
      min: floatData[4 * i]!,
      max: floatData[4 * i + 1]!,
      counts: Array.from(intData.subarray(at, at + bins)),
      total,
      nonFinite: intData[at + bins]!,
      zeros: intData[at + bins + 1]!,
      mean: stat(floatData[4 * i + 2]!),
      std: stat(floatData[4 * i + 3]!),
    };
  });
}

const WEIGHT_ROLES: ReadonlySet<VariableRole> = new Set(['kernel', 'gamma']);
const BIAS_ROLES: ReadonlySet<VariableRole> = new Set(['bias', 'beta']);

/** The loss of a prediction against the probe batch's targets, as the run computes it. */
export type ProbeLoss = (prediction: tf.Tensor, y: tf.Tensor) => tf.Scalar;

/**
 * Every layer's histograms now: each weight and bias variable, the gradient of the loss on
 * the probe batch with respect to each trainable one, and each layer's output on that batch.
 */
export async function measureHistograms(network: Network, probe: { x: tf.Tensor; y: tf.Tensor }, loss: ProbeLoss, bins = HISTOGRAM_BINS): Promise<TensorHistogram[]> {
  const variables = network.trainableVariables();
  const { grads, outputs } = tf.tidy(() => {
    const { grads } = tf.variableGrads(() => loss(network.forward(probe.x, { training: false }), probe.y), variables);
    const capture: tf.Tensor[] = [];
    network.forward(probe.x, { training: false, capture });
    // Input and pass-through layers capture the same tensor twice: clones are disposed once each.
    return { grads, outputs: capture.map((t) => tf.clone(t)) };
  });
  try {
    const sources: Source[] = [];
    network.layers.forEach((layer, i) => {
      for (const { role, variable, trainable } of layer.variables) {
        const kind = WEIGHT_ROLES.has(role) ? 'weight' : BIAS_ROLES.has(role) ? 'bias' : null;
        if (kind === null) continue;
        sources.push({ layer: layer.name, kind, role, tensor: variable });
        const grad = trainable ? grads[variable.name] : undefined;
        if (grad) sources.push({ layer: layer.name, kind: 'gradient', role, tensor: grad });
      }
      sources.push({ layer: layer.name, kind: 'activation', role: 'output', tensor: outputs[i]! });
    });
    return await histogramsOf(sources, bins);
  } finally {
    tf.dispose(Object.values(grads));
    tf.dispose(outputs);
  }
}

/**
 * When a job takes its histograms: at the start (the initial weights, what later ones are
 * compared with), at each snapshot step, every LIVE_HISTOGRAM_MS of wall time in between (they
 * are a few kilobytes, so the screen stays live for models whose snapshots are megabytes; the
 * wait grows with what they cost, see LIVE_COST_RATIO), and at the end.
 */
export class HistogramSchedule {
  private lastAt = Number.NEGATIVE_INFINITY;
  private lastStep = -1;
  private lastCost = 0;
  private lastReason: HistogramSet['reason'] | null = null;

  constructor(
    private readonly snapshotEvery: number,
    private readonly liveMs = LIVE_HISTOGRAM_MS,
  ) {}

  /** Why histograms are due after `step` steps, at wall time `now` (ms), or null when not. */
  due(step: number, now: number, ended = false): HistogramSet['reason'] | null {
    if (step === this.lastStep) return null;
    const wait = Math.max(this.liveMs, LIVE_COST_RATIO * this.lastCost);
    const reason = ended ? 'end' : this.lastStep < 0 ? 'start' : this.snapshotEvery > 0 && step % this.snapshotEvery === 0 ? 'snapshot' : now - this.lastAt >= wait ? 'live' : null;
    if (reason !== null) {
      this.lastAt = now;
      this.lastStep = step;
      this.lastReason = reason;
    }
    return reason;
  }

  /** How long the histograms just taken took (ms), and when they were done: the live wait counts from then. */
  took(ms: number, now: number): void {
    // The first set compiles kernels and fills caches: its cost says nothing of the next ones.
    if (this.lastReason !== 'start') this.lastCost = ms;
    this.lastAt = now;
  }
}
