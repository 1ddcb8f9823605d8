/**
 * The engine's inspection functions against plain computations: a unit's activations in
 * batches equal one direct forward pass, per-unit statistics equal those of that pass,
 * histograms count every value once, top-k comes in order, weights become images in the
 * input's shape, and no tensor outlives a call.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { Spec, inferShapes, type SpecInput } from '@contract';
import { Network } from '../../src-main/engine/training/network';
import type { TrainingData } from '../../src-main/engine/training/trainingData';
import { layerUnitStats, sampleIndices, unitActivations } from '../../src-main/engine/inspect/activations';
import { diedAt, histogram, incomingWeights, rankedIndices, weightImages } from '../../src-main/engine/inspect/summaries';
import { registerWasmGradientKernels } from '../../src-main/engine/backend/wasmGradients';
import { absData, imageData } from '../support/data';

beforeAll(async () => {
  registerWasmGradientKernels(tf);
  await tf.setBackend('wasm');
  await tf.ready();
});

function build(input: SpecInput, data: TrainingData): Network {
  const spec = Spec.parse(input);
  const report = inferShapes(spec, { inputShape: data.inputShape, task: data.task, outputs: data.outputs });
  expect(report.issues).toEqual([]);
  return Network.build(spec, report);
}

/** Layer `layer`'s output on every training sample at once, as [n, ...shape] values. */
function direct(network: Network, data: TrainingData, layer: number): { values: Float32Array; shape: number[] } {
  const n = data.train.count;
  const size = data.inputShape.reduce((a, b) => a * b, 1);
  const x = new Float32Array(n * size);
  data.train.fill(Int32Array.from({ length: n }, (_, i) => i), x, data.task === 'classification' ? new Int32Array(n) : new Float32Array(n * data.outputs));
  return tf.tidy(() => {
    const capture: tf.Tensor[] = [];
    network.forward(tf.tensor(x, [n, ...data.inputShape]), { training: false, capture });
    return { values: capture[layer]!.dataSync() as Float32Array, shape: capture[layer]!.shape };
  });
}

const mlp: SpecInput = {
  version: 1,
  dataset: { kind: 'builtin', name: 'abs' },
  model: { layers: [{ type: 'dense', units: 5, activation: 'relu', biasInitializer: { type: 'randomUniform', min: -1, max: 1 } }, { type: 'dense', units: 1 }] },
  training: { seed: 7, loss: { type: 'mse' } },
};

describe('inspect activations', () => {
  it('a dense unit in batches of 512 equals one forward pass over all 1,300 samples, and leaves no tensor behind', async () => {
    const data = absData(1300, 2);
    const network = build(mlp, data);
    const want = direct(network, data, 0);
    const before = tf.memory().numTensors;
    const indices = sampleIndices(data.train.count);
    for (const unit of [0, 3]) {
      const got = await unitActivations(network, data, 0, unit, indices);
      expect(got.positions).toBe(1);
      expect(got.values).toHaveLength(1300);
      for (let i = 0; i < 1300; i++) {
        expect(got.values[i]).toBeCloseTo(want.values[i * 5 + unit]!, 5);
        expect(got.perSample[i]).toBe(got.values[i]);
      }
    }
    const stats = await layerUnitStats(network, data, 0, 'relu', indices);
    expect(tf.memory().numTensors).toBe(before);
    for (let u = 0; u < 5; u++) {
      let active = 0;
      let sum = 0;
      for (let i = 0; i < 1300; i++) {
        const v = want.values[i * 5 + u]!;
        if (v > 0) active++;
        sum += v;
      }
      expect(stats.active[u]).toBeCloseTo(active / 1300, 6);
      expect(stats.mean[u]).toBeCloseTo(sum / 1300, 4);
    }
    expect(stats.samples).toBe(1300);
    network.dispose();
  });

  it('a conv filter gives samples × positions values, ranked by each sample\'s largest', async () => {
    const data = imageData(40, [6, 6, 1], 3, 1);
    const network = build(
      { version: 1, dataset: { kind: 'builtin', name: 'mnist' }, model: { layers: [{ type: 'conv2d', filters: 3, kernelSize: 3, activation: 'relu' }, { type: 'flatten' }, { type: 'dense', units: 3, activation: 'softmax' }] } },
      data,
    );
    const want = direct(network, data, 0);
    expect(want.shape).toEqual([40, 4, 4, 3]);
    const got = await unitActivations(network, data, 0, 2, sampleIndices(40));
    expect(got.positions).toBe(16);
    for (let s = 0; s < 40; s++) {
      let best = -Infinity;
      for (let p = 0; p < 16; p++) {
        expect(got.values[s * 16 + p]).toBeCloseTo(want.values[(s * 16 + p) * 3 + 2]!, 5);
        best = Math.max(best, want.values[(s * 16 + p) * 3 + 2]!);
      }
      expect(got.perSample[s]).toBeCloseTo(best, 5);
    }
    network.dispose();
  });

  it('a sample of N picks N distinct indices, the same every time', () => {
    const a = sampleIndices(1000, 100);
    expect(a).toHaveLength(100);
    expect(new Set(a).size).toBe(100);
    expect([...a]).toEqual([...a].sort((x, y) => x - y));
    expect([...sampleIndices(1000, 100)]).toEqual([...a]);
    expect(sampleIndices(50, 100)).toHaveLength(50);
  });
});

describe('inspect summaries', () => {
  it('histograms count every finite value once, zeros apart, and a constant in one bin', () => {
    const h = histogram(new Float32Array([0, 0, 0, 1, 2, 3, Number.NaN, 4]), 4);
    expect(h.total).toBe(7);
    expect(h.nonFinite).toBe(1);
    expect(h.zeros).toBe(3);
    expect(h.counts).toEqual([3, 1, 1, 2]);
    expect(h.counts.reduce((a, b) => a + b, 0)).toBe(h.total);
    expect([h.min, h.max]).toEqual([0, 4]);
    const dead = histogram(new Float32Array(100), 8);
    expect(dead.zeros).toBe(100);
    expect(dead.counts.filter((c) => c > 0)).toEqual([100]);
    expect(histogram(new Float32Array([Number.NaN])).mean).toBeNull();
  });

  it('ranks the top and bottom k in order, ties by position, skipping NaN', () => {
    const v = new Float32Array([0.5, 3, Number.NaN, -1, 3, 0]);
    expect(rankedIndices(v, 3, 'top')).toEqual([1, 4, 0]);
    expect(rankedIndices(v, 2, 'bottom')).toEqual([3, 5]);
    expect(rankedIndices(v, 10, 'top')).toHaveLength(5);
  });

  it('takes a unit\'s incoming weights and draws dense units on image input in the image\'s shape', () => {
    // A [2×2×1 image → 3 units] kernel: value = 10·input + unit.
    const kernel = Float32Array.from({ length: 12 }, (_, i) => 10 * Math.floor(i / 3) + (i % 3));
    expect([...incomingWeights([4, 3], kernel, 2)]).toEqual([2, 12, 22, 32]);
    const images = weightImages('dense', [4, 3], kernel, [2, 2, 1])!;
    expect(images).toMatchObject({ count: 3, height: 2, width: 2, channels: 1, scale: 32 });
    expect([...images.data.subarray(4, 8)]).toEqual([1, 11, 21, 31]);
    expect(weightImages('dense', [5, 3], new Float32Array(15), [2, 2, 1])).toBeNull();
    // Conv [kh 1, kw 2, cin 2, filters 1]: input channels side by side.
    const conv = weightImages('conv2d', [1, 2, 2, 1], new Float32Array([1, 2, 3, 4]), null)!;
    expect(conv).toMatchObject({ count: 1, height: 1, width: 4, channels: 1 });
    expect([...conv.data]).toEqual([1, 3, 2, 4]);
  });

  it('says when a unit died: the first snapshot of its last silent stretch', () => {
    expect(diedAt([{ step: 5, active: 0.4 }, { step: 10, active: 0 }, { step: 15, active: 0.1 }, { step: 20, active: 0 }, { step: 25, active: 0 }])).toBe(20);
    expect(diedAt([{ step: 5, active: 0 }, { step: 10, active: 0.2 }])).toBeNull();
    expect(diedAt([{ step: 5, active: 0 }])).toBe(5);
    expect(diedAt([])).toBeNull();
  });
});
