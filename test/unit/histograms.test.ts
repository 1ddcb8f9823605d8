/**
 * Histograms binned on the backend (src-main/engine/training/histograms.ts), on the wasm
 * backend with real tfjs: they agree with a plain JS histogram, count every element, keep no
 * tensor, and the trainer sends them at the start, snapshot steps and the end.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { HISTOGRAM_BINS, HistogramSet, Spec, type SpecInput } from '@contract';
import { HistogramSchedule, histogramsOf, measureHistograms } from '../../src-main/engine/training/histograms';
import { Network } from '../../src-main/engine/training/network';
import { computeLoss } from '../../src-main/engine/training/losses';
import { Trainer } from '../../src-main/engine/training/trainer';
import { inferShapes } from '../../src-main/contract/specShapes';
import { registerWasmGradientKernels } from '../../src-main/engine/backend/wasmGradients';
import { histogram } from '../../src-main/contract/histogram';
import { absData } from '../support/data';

beforeAll(async () => {
  registerWasmGradientKernels(tf);
  await tf.setBackend('wasm');
  await tf.ready();
});

/** A seeded standard normal sample (Box–Muller over mulberry32). */
function normal(n: number, seed: number): Float32Array {
  let a = seed >>> 0;
  const uniform = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform());
  return out;
}

async function binned(data: Float32Array, bins = HISTOGRAM_BINS, shape = [data.length]) {
  const t = tf.tensor(data, shape);
  const [h] = await histogramsOf([{ layer: 'l', kind: 'activation', role: 'output', tensor: t }], bins);
  t.dispose();
  return h!;
}

describe('histograms on the backend', () => {
  it('match a plain JS histogram of the same values, and count every element', async () => {
    const data = normal(20_000, 3);
    const h = await binned(data, 48, [100, 200]);
    const plain = histogram(data, 48);
    expect(h.counts.reduce((a, b) => a + b, 0)).toBe(20_000);
    expect(h.total).toBe(20_000);
    expect(h.shape).toEqual([100, 200]);
    expect(h.min).toBe(plain.min);
    expect(h.max).toBe(plain.max);
    // float32 on the backend, float64 in JS: a value on a bin edge may land either side.
    const moved = h.counts.reduce((sum, c, i) => sum + Math.abs(c - plain.counts[i]!), 0);
    expect(moved).toBeLessThanOrEqual(4);
    expect(h.mean!).toBeCloseTo(plain.mean!, 4);
    expect(h.std!).toBeCloseTo(plain.std!, 4);
    expect(h.counts[24]! + h.counts[23]!).toBeGreaterThan(h.counts[0]! + h.counts[47]!);
  });

  it('bins exactly as the JS histogram where no value is near an edge, and counts NaN, Inf and zeros apart', async () => {
    const h = await binned(new Float32Array([0, 0, 1, 2, 3, Number.NaN, Infinity, -Infinity]), 3);
    expect(h.counts).toEqual([2, 1, 2]);
    expect(h.total).toBe(5);
    expect(h.nonFinite).toBe(3);
    expect(h.zeros).toBe(2);
    expect(h.mean!).toBeCloseTo(1.2, 6);
    expect([h.min, h.max]).toEqual([0, 3]);
  });

  it('widens a single value into a range, and reports a tensor of only NaN as empty', async () => {
    const one = await binned(new Float32Array([0.5, 0.5, 0.5]), 4);
    const plain = histogram(new Float32Array([0.5, 0.5, 0.5]), 4);
    expect(one.min).toBeCloseTo(plain.min, 6);
    expect(one.max).toBeCloseTo(plain.max, 6);
    expect(one.counts).toEqual(Array.from(plain.counts));
    const zero = await binned(new Float32Array(10), 4);
    expect([zero.min, zero.max]).toEqual([-0.5, 0.5]);
    expect(zero.zeros).toBe(10);
    const nan = await binned(new Float32Array([Number.NaN, Number.NaN]), 4);
    expect(nan.total).toBe(0);
    expect(nan.nonFinite).toBe(2);
    expect(nan.mean).toBeNull();
    expect(nan.counts).toEqual([0, 0, 0, 0]);
  });

  it('measures weights, biases, gradients and activations of every layer, leaving no tensor behind', async () => {
    const spec = Spec.parse({
      version: 1,
      dataset: { kind: 'builtin', name: 'abs' },
      model: { layers: [{ type: 'dense', units: 5, activation: 'relu' }, { type: 'dense', units: 1 }] },
      training: { optimizer: { type: 'sgd', learningRate: 0.1 }, loss: { type: 'mse' }, batchSize: 10, epochs: 1 },
    } satisfies SpecInput);
    const data = absData(40);
    const report = inferShapes(spec, { inputShape: data.inputShape, task: data.task, outputs: data.outputs });
    const network = Network.build(spec, report);
    const x = tf.tensor2d(normal(64, 9), [32, 2]);
    const y = tf.tensor2d(normal(32, 10), [32, 1]);
    const loss = (prediction: tf.Tensor, target: tf.Tensor) => computeLoss(spec.training.loss, prediction, target, { task: 'regression', outputs: 1 });
    await measureHistograms(network, { x, y }, loss); // kernels compiled, caches filled
    const before = tf.memory().numTensors;
    const hists = await measureHistograms(network, { x, y }, loss);
    expect(tf.memory().numTensors).toBe(before);
    const names = network.layers.map((l) => l.name);
    const of = (layer: string, kind: string, role: string) => hists.find((h) => h.layer === layer && h.kind === kind && h.role === role);
    expect(names).toHaveLength(2);
    const [hidden, out] = names as [string, string];
    expect(of(hidden, 'weight', 'kernel')!.total).toBe(10);
    expect(of(hidden, 'bias', 'bias')!.total).toBe(5);
    expect(of(hidden, 'gradient', 'kernel')!.total).toBe(10);
    expect(of(hidden, 'gradient', 'bias')!.total).toBe(5);
    expect(of(hidden, 'activation', 'output')!.total).toBe(32 * 5);
    expect(of(out, 'activation', 'output')!.shape).toEqual([32, 1]);
    // The gradient's histogram is of the real gradient: its mean is the mean of tf.grad's.
    const expected = tf.tidy(() => {
      const grads = tf.variableGrads(() => loss(network.forward(x, { training: false }), y), network.trainableVariables()).grads;
      return tf.mean(grads[network.layers[1]!.variables[0]!.variable.name]!).dataSync()[0]!;
    });
    expect(of(out, 'gradient', 'kernel')!.mean!).toBeCloseTo(expected, 5);
    for (const h of hists) expect(h.counts).toHaveLength(HISTOGRAM_BINS);
    tf.dispose([x, y]);
    network.dispose();
  });
});

describe('HistogramSchedule', () => {
  it('takes them at the start, snapshot steps, every few seconds and the end, once per step', () => {
    const s = new HistogramSchedule(100, 2000);
    expect(s.due(0, 0)).toBe('start');
    expect(s.due(0, 10)).toBeNull();
    expect(s.due(50, 1000)).toBeNull();
    expect(s.due(100, 1100)).toBe('snapshot');
    expect(s.due(150, 3200)).toBe('live');
    expect(s.due(151, 3300)).toBeNull();
    expect(s.due(160, 3400, true)).toBe('end');
    // Histograms that took 500 ms wait 20 × 500 ms after they were done before the next live ones.
    const costly = new HistogramSchedule(0, 2000);
    costly.due(0, 0);
    costly.took(5000, 5000); // the start's cost is warm-up, not counted
    expect(costly.due(5, 7000)).toBe('live');
    costly.took(500, 7500);
    expect(costly.due(10, 12_000)).toBeNull();
    expect(costly.due(20, 17_500)).toBe('live');
    const none = new HistogramSchedule(0, 2000);
    none.due(0, 0);
    expect(none.due(100, 10)).toBeNull();
  });
});

describe('trainer histograms', () => {
  it('sends valid sets at the start, each snapshot step and the end, with the tensor count flat', async () => {
    const spec = Spec.parse({
      version: 1,
      dataset: { kind: 'builtin', name: 'abs' },
      model: { layers: [{ type: 'dense', units: 4, activation: 'relu' }, { type: 'dense', units: 1 }] },
      training: { optimizer: { type: 'adam', learningRate: 0.02 }, loss: { type: 'mse' }, batchSize: 50, epochs: 10 },
      monitor: { probeEvery: 5, probeSize: 32, snapshotEvery: 10 },
    } satisfies SpecInput);
    const sets: HistogramSet[] = [];
    const tensors: number[] = [];
    const trainer = new Trainer('job-h', spec, absData(200), 'wasm', {
      onStep: () => undefined,
      onEpoch: () => tensors.push(tf.memory().numTensors),
      onProbe: () => undefined,
      onSnapshot: () => undefined,
      onHistograms: (set) => sets.push(HistogramSet.parse(set)),
      onNonFinite: () => undefined,
      onStatus: () => undefined,
    });
    await trainer.run();
    // 40 steps: the start, steps 10, 20, 30 and 40 (the last is also the end, sent once).
    expect(sets.map((s) => s.step)).toEqual([0, 10, 20, 30, 40]);
    expect(sets.map((s) => s.reason)).toEqual(['start', 'snapshot', 'snapshot', 'snapshot', 'snapshot']);
    expect(new Set(sets[0]!.tensors.map((t) => t.kind))).toEqual(new Set(['weight', 'bias', 'gradient', 'activation']));
    // The weights moved between the start and the end.
    const kernel = (s: HistogramSet) => s.tensors.find((t) => t.kind === 'weight' && t.layer === 'dense_1')!;
    expect(kernel(sets.at(-1)!).counts).not.toEqual(kernel(sets[0]!).counts);
    expect(new Set(tensors.slice(2)).size).toBe(1);
  });
});
