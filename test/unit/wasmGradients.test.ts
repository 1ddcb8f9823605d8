/**
 * The wasm gradient kernels against the cpu backend (the reference), on real tfjs in plain Node.
 * Every kernel registered by registerWasmGradientKernels is run on random inputs over several
 * shapes, strides, paddings and dilations; every palette layer is trained a few steps on wasm.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';
import { beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { registerWasmGradientKernels } from '../../src-main/engine/backend/wasmGradients';
import { NORMS_TUNING } from '../../src-main/engine/backend/wasm/squaredNorms';
import { compare, convCase, dilateFilter, filterReference, random, relativeError, runKernel, size, type Pad, type Shape4 } from '../support/wasmKernels';

let registered: string[] = [];

beforeAll(async () => {
  registered = registerWasmGradientKernels(tf);
  expect(await tf.setBackend('wasm')).toBe(true);
  await tf.ready();
});

const CONV_CASES: { x: Shape4; f: [number, number]; oc: number; s: [number, number]; pad: Pad; d: [number, number] }[] = [
  { x: [2, 8, 8, 1], f: [3, 3], oc: 4, s: [1, 1], pad: 'same', d: [1, 1] },
  { x: [2, 8, 8, 1], f: [3, 3], oc: 16, s: [1, 1], pad: 'same', d: [1, 1] }, // few input channels: the im2col path
  { x: [3, 9, 7, 2], f: [3, 3], oc: 5, s: [2, 2], pad: 'same', d: [1, 1] },
  { x: [2, 10, 10, 3], f: [5, 5], oc: 2, s: [1, 1], pad: 'valid', d: [1, 1] },
  { x: [1, 11, 11, 4], f: [3, 3], oc: 3, s: [2, 2], pad: 'valid', d: [1, 1] },
  { x: [2, 12, 9, 3], f: [3, 2], oc: 4, s: [3, 2], pad: 'same', d: [1, 1] },
  { x: [4, 6, 6, 3], f: [1, 1], oc: 3, s: [1, 1], pad: 'valid', d: [1, 1] },
  { x: [2, 9, 9, 3], f: [3, 3], oc: 2, s: [1, 1], pad: [[0, 0], [2, 1], [0, 3], [0, 0]], d: [1, 1] },
  { x: [2, 9, 9, 3], f: [3, 3], oc: 2, s: [2, 2], pad: 1, d: [1, 1] },
  { x: [2, 10, 10, 2], f: [3, 3], oc: 3, s: [1, 1], pad: 'same', d: [2, 2] },
  { x: [2, 11, 9, 2], f: [2, 3], oc: 20, s: [1, 1], pad: 'valid', d: [2, 1] },
  { x: [8, 16, 16, 8], f: [3, 3], oc: 16, s: [1, 1], pad: 'same', d: [1, 1] },
  // The im2col path (fH·fW·C < oC) with strides, odd sizes and explicit, uneven padding.
  { x: [3, 9, 7, 1], f: [3, 3], oc: 12, s: [2, 2], pad: 'same', d: [1, 1] },
  { x: [2, 9, 9, 1], f: [3, 3], oc: 10, s: [1, 2], pad: [[0, 0], [2, 1], [0, 3], [0, 0]], d: [1, 1] },
  { x: [2, 12, 10, 2], f: [2, 2], oc: 9, s: [3, 2], pad: 'valid', d: [1, 2] },
];


describe('registration', () => {
  it('registers the missing kernel and the fast paths, once', () => {
    expect(registered).toEqual(
      expect.arrayContaining(['Conv2DBackpropFilter', 'Conv2DBackpropInput', 'MaxPoolGrad', 'AvgPoolGrad', 'BatchMatMul', '_FusedMatMul', 'Sum', 'Add', 'Identity', 'Cast']),
    );
    expect(tf.getKernel('Conv2DBackpropFilter', 'wasm')).toBeDefined();
    expect(registerWasmGradientKernels(tf)).toEqual([]);
  });

  it('detects a wrong result (the comparison is not vacuous)', async () => {
    const c = convCase([2, 6, 6, 2], [3, 3], 3, [1, 1], 'same', [1, 1], 7);
    const attrs = { strides: [1, 1], pad: 'same', dataFormat: 'NHWC', filterShape: c.filterShape };
    const good = await runKernel('cpu', 'Conv2DBackpropFilter', { x: c.x, dy: c.dy }, attrs);
    const bad = good.slice();
    bad[5] = bad[5]! * 1.001 + 1e-3;
    expect(relativeError(bad, good)).toBeGreaterThan(1e-4);
  });
});

describe('Conv2DBackpropFilter on wasm matches cpu', () => {
  for (const [i, k] of CONV_CASES.entries()) {
    it(`x ${k.x} filter ${k.f}×${k.oc} strides ${k.s} pad ${JSON.stringify(k.pad)} dilations ${k.d}`, async () => {
      const c = convCase(k.x, k.f, k.oc, k.s, k.pad, k.d, 100 + i);
      const attrs = { strides: k.s, pad: k.pad, dataFormat: 'NHWC', filterShape: c.filterShape, dilations: k.d };
      expect(await compare('Conv2DBackpropFilter', { x: c.x, dy: c.dy }, attrs, filterReference(c, attrs, k.d))).toBeLessThan(1e-4);
    });
  }

  it('NCHW', async () => {
    const c = convCase([2, 7, 8, 3], [3, 3], 4, [2, 1], 'same', [1, 1], 31);
    const nchw = (v: { values: Float32Array; shape: number[] }) => {
      const t = tf.tidy(() => tf.transpose(tf.tensor(v.values, v.shape), [0, 3, 1, 2]));
      const out = { values: t.dataSync() as Float32Array, shape: t.shape };
      t.dispose();
      return out;
    };
    await tf.setBackend('cpu');
    const inputs = { x: nchw(c.x), dy: nchw(c.dy) };
    const attrs = { strides: [2, 1], pad: 'same', dataFormat: 'NCHW', filterShape: c.filterShape };
    expect(await compare('Conv2DBackpropFilter', inputs, attrs)).toBeLessThan(1e-4);
  });
});

describe('Conv2DBackpropInput on wasm matches cpu', () => {
  for (const [i, k] of CONV_CASES.entries()) {
    it(`x ${k.x} filter ${k.f}×${k.oc} strides ${k.s} pad ${JSON.stringify(k.pad)} dilations ${k.d}`, async () => {
      const c = convCase(k.x, k.f, k.oc, k.s, k.pad, k.d, 200 + i);
      const attrs = { strides: k.s, pad: k.pad, dataFormat: 'NHWC', inputShape: k.x, dilations: k.d };
      let reference: (() => Promise<Float32Array>) | undefined;
      if (k.d[0] > 1 || k.d[1] > 1) {
        reference = () => runKernel('cpu', 'Conv2DBackpropInput', { dy: c.dy, filter: dilateFilter(c.filter.values, c.filterShape, k.d) }, { ...attrs, dilations: [1, 1] });
      }
      expect(await compare('Conv2DBackpropInput', { dy: c.dy, filter: c.filter }, attrs, reference)).toBeLessThan(1e-4);
    });
  }
});

describe('pooling gradients on wasm match cpu', () => {
  const POOL_CASES: { x: Shape4; f: [number, number]; s: [number, number]; pad: 'same' | 'valid' | number }[] = [
    { x: [2, 8, 8, 3], f: [2, 2], s: [2, 2], pad: 'valid' },
    { x: [2, 9, 7, 3], f: [2, 2], s: [2, 2], pad: 'valid' },
    { x: [2, 9, 7, 3], f: [2, 2], s: [2, 2], pad: 'same' },
    { x: [1, 8, 8, 2], f: [3, 3], s: [2, 2], pad: 'valid' },
    { x: [2, 7, 7, 2], f: [3, 3], s: [2, 2], pad: 'same' },
    { x: [2, 6, 6, 2], f: [3, 3], s: [1, 1], pad: 'same' },
    { x: [2, 9, 9, 4], f: [3, 3], s: [3, 3], pad: 'valid' },
    { x: [3, 10, 8, 5], f: [2, 4], s: [2, 4], pad: 'valid' },
    { x: [2, 8, 8, 2], f: [2, 2], s: [1, 1], pad: 1 },
  ];
  for (const [i, k] of POOL_CASES.entries()) {
    // Quantised inputs: many windows hold equal maxima, where the cpu backend takes the first.
    for (const quantum of [0, 0.5]) {
      it(`MaxPoolGrad x ${k.x} pool ${k.f} strides ${k.s} pad ${k.pad}${quantum ? ' (ties)' : ''}`, async () => {
        const xv = random(size(k.x), 300 + i, quantum);
        await tf.setBackend('cpu');
        const out = tf.maxPool(tf.tensor4d(xv, k.x), k.f, k.s, k.pad);
        const outputs = { values: (await out.data()) as Float32Array, shape: out.shape as number[] };
        out.dispose();
        const inputs = { dy: { values: random(size(outputs.shape), 400 + i), shape: outputs.shape }, input: { values: xv, shape: k.x }, output: outputs };
        expect(await compare('MaxPoolGrad', inputs, { filterSize: k.f, strides: k.s, pad: k.pad })).toBeLessThan(1e-4);
      });
    }
    it(`AvgPoolGrad x ${k.x} pool ${k.f} strides ${k.s} pad ${k.pad}`, async () => {
      const info = tf.backend_util.computePool2DInfo(k.x, k.f, k.s, 1, k.pad);
      const inputs = { dy: { values: random(size(info.outShape), 500 + i), shape: info.outShape as number[] }, input: { values: random(size(k.x), 600 + i), shape: k.x } };
      expect(await compare('AvgPoolGrad', inputs, { filterSize: k.f, strides: k.s, pad: k.pad })).toBeLessThan(1e-4);
    });
  }
});

describe('Sum on wasm matches cpu', () => {
  // Leading axes take the fast path (bias gradients); the others go to the wasm kernel.
  const SUM_CASES: { shape: number[]; axis: number | number[] | null; keepDims: boolean }[] = [
    { shape: [16, 12, 12, 5], axis: [0, 1, 2], keepDims: false },
    { shape: [16, 12, 12, 5], axis: [2, 0, 1], keepDims: true },
    { shape: [300, 7], axis: 0, keepDims: false },
    { shape: [4, 6, 3], axis: [-3, -2], keepDims: false },
    { shape: [7, 3, 5], axis: [0, 1], keepDims: false }, // 21 rows: four at a time, then the last one
    { shape: [4, 6, 3], axis: [1], keepDims: false },
    { shape: [4, 6, 3], axis: null, keepDims: false },
  ];
  for (const [i, k] of SUM_CASES.entries()) {
    it(`x ${k.shape} axis ${JSON.stringify(k.axis)} keepDims ${k.keepDims}`, async () => {
      const inputs = { x: { values: random(size(k.shape), 700 + i), shape: k.shape } };
      expect(await compare('Sum', inputs, { axis: k.axis, keepDims: k.keepDims })).toBeLessThan(1e-5);
    });
  }
  it('keeps the reduced axes as 1 with keepDims', () => {
    const x = tf.ones([3, 4, 2]);
    const out = tf.sum(x, [0, 1], true);
    expect(out.shape).toEqual([1, 1, 2]);
    expect(Array.from(out.dataSync())).toEqual([12, 12]);
    tf.dispose([x, out]);
  });
});

describe('TrainbenchSquaredNorms on wasm matches tfjs ops on cpu', () => {
  it.each([true, false])('gives Σx² of each square input and Σ(a − b)² of each pair, leaking nothing (SIMD kernels: %s)', async (simd) => {
    NORMS_TUNING.simd = simd;
    onTestFinished(() => void (NORMS_TUNING.simd = true));
    const shapes = [[784, 128], [128], [3, 3, 1, 16], [], [7], [5, 3]];
    const xs = shapes.map((s, i) => random(size(s), 800 + i));
    const ys = shapes.map((s, i) => random(size(s), 900 + i));
    await tf.setBackend('cpu');
    const expected = tf.tidy(() => {
      const a = xs.map((v, i) => tf.tensor(v, shapes[i]));
      const b = ys.map((v, i) => tf.tensor(v, shapes[i]));
      return tf.stack([...a.map((t) => tf.sum(tf.square(t))), ...a.map((t, i) => tf.sum(tf.square(tf.sub(t, b[i]!))))]).dataSync() as Float32Array;
    });
    await tf.setBackend('wasm');
    const a = xs.map((v, i) => tf.tensor(v, shapes[i]));
    const b = ys.map((v, i) => tf.tensor(v, shapes[i]));
    const buffers = tf.backend().numDataIds();
    const inputs: tf.NamedTensorMap = {};
    a.forEach((t, i) => ((inputs[`s${i}`] = t), (inputs[`a${i}`] = t), (inputs[`b${i}`] = b[i]!)));
    const out = tf.engine().runKernel('TrainbenchSquaredNorms', inputs, { squares: a.length, differences: a.length }) as tf.Tensor;
    expect(out.shape).toEqual([2 * a.length]);
    expect(relativeError(out.dataSync() as Float32Array, expected)).toBeLessThan(1e-5);
    out.dispose();
    // pairSquares: Σa² and Σ(a − b)² of each pair from one pass, in the same order.
    const pairs: tf.NamedTensorMap = {};
    a.forEach((t, i) => ((pairs[`a${i}`] = t), (pairs[`b${i}`] = b[i]!)));
    const fused = tf.engine().runKernel('TrainbenchSquaredNorms', pairs, { squares: 0, differences: a.length, pairSquares: true }) as tf.Tensor;
    expect(fused.shape).toEqual([2 * a.length]);
    expect(relativeError(fused.dataSync() as Float32Array, expected)).toBeLessThan(1e-5);
    fused.dispose();
    expect(tf.backend().numDataIds()).toBe(buffers);
    expect(() => tf.engine().runKernel('TrainbenchSquaredNorms', { s0: a[0]! }, { squares: 2, differences: 0 })).toThrow(/input s1 is missing/);
    // copies: tensors of any shape first, as they are, then the norms.
    const head = [tf.scalar(1.5), tf.tensor1d([2, -3, 4])];
    const packed = tf.engine().runKernel('TrainbenchSquaredNorms', { ...pairs, c0: head[0]!, c1: head[1]! }, { squares: 0, differences: a.length, pairSquares: true, copies: 2 }) as tf.Tensor;
    const values = packed.dataSync() as Float32Array;
    expect(Array.from(values.subarray(0, 4))).toEqual([1.5, 2, -3, 4]);
    expect(relativeError(values.subarray(4), expected)).toBeLessThan(1e-5);
    tf.dispose([packed, ...head]);
    tf.dispose([...a, ...b]);
  });

  it('TrainbenchAccuracy: the fraction of rows whose first maximum is the label, as argMax and equal', () => {
    const rows = 300;
    const columns = 7;
    const values = random(rows * columns, 99);
    // Ties (a later equal maximum must not win), NaN (never wins) and a row of −∞.
    values.set([1, 5, 5, 0, 0, 0, 0], 0);
    values.set([Number.NaN, 2, 1, 0, 0, 0, 0], columns);
    values.fill(Number.NEGATIVE_INFINITY, 2 * columns, 3 * columns);
    const labels = Int32Array.from({ length: rows }, (_, i) => (i * 5) % columns);
    labels[0] = 2;
    labels[1] = 0;
    const prediction = tf.tensor2d(values, [rows, columns]);
    const y = tf.tensor1d(labels, 'int32');
    const fast = tf.engine().runKernel('TrainbenchAccuracy', { prediction, labels: y }, {}) as tf.Scalar;
    const slow = tf.mean(tf.cast(tf.equal(tf.argMax(prediction, -1), y), 'float32'));
    expect(fast.dataSync()[0]).toBeCloseTo(slow.dataSync()[0]!, 6);
    expect(fast.dataSync()[0]).toBeGreaterThan(0);
    expect(() => tf.engine().runKernel('TrainbenchAccuracy', { prediction, labels: tf.tensor1d([1, 2]) }, {})).toThrow(/labels must be int32 \[300\]/);
    tf.dispose([prediction, y, fast, slow]);
  });
});

describe('transposed matrix products on wasm match cpu', () => {
  const MATMUL_CASES: { m: number; k: number; n: number; batch: number }[] = [
    { m: 5, k: 7, n: 3, batch: 1 },
    { m: 128, k: 784, n: 16, batch: 1 },
    { m: 33, k: 64, n: 65, batch: 1 },
    { m: 6, k: 5, n: 4, batch: 3 },
    // The SIMD kernels' tiles: 16 columns and 4 left over, an odd row or position last, one term.
    { m: 33, k: 9, n: 20, batch: 1 },
    { m: 3, k: 1, n: 8, batch: 1 },
  ];
  for (const [i, c] of MATMUL_CASES.entries()) {
    for (const [ta, tb] of [
      [false, false],
      [true, false],
      [false, true],
      [true, true],
    ] as const) {
      it(`BatchMatMul ${c.batch}×${c.m}×${c.k}×${c.n} transposeA=${ta} transposeB=${tb}`, async () => {
        const aShape = [c.batch, ta ? c.k : c.m, ta ? c.m : c.k];
        const bShape = [c.batch, tb ? c.n : c.k, tb ? c.k : c.n];
        const inputs = { a: { values: random(size(aShape), 700 + i), shape: aShape }, b: { values: random(size(bShape), 800 + i), shape: bShape } };
        expect(await compare('BatchMatMul', inputs, { transposeA: ta, transposeB: tb })).toBeLessThan(1e-4);
      });
    }
    for (const [activation, ta, tb] of [
      ['relu', true, true],
      ['linear', false, false],
      ['leakyrelu', true, false],
      ['sigmoid', false, true],
    ] as const) {
      it(`_FusedMatMul ${c.batch}×${c.m}×${c.k}×${c.n} transposeA=${ta} transposeB=${tb} with bias and ${activation}`, async () => {
        const aShape = [c.batch, ta ? c.k : c.m, ta ? c.m : c.k];
        const bShape = [c.batch, tb ? c.n : c.k, tb ? c.k : c.n];
        const inputs = {
          a: { values: random(size(aShape), 900 + i), shape: aShape },
          b: { values: random(size(bShape), 1000 + i), shape: bShape },
          bias: { values: random(c.n, 1100 + i), shape: [c.n] },
        };
        expect(await compare('_FusedMatMul', inputs, { transposeA: ta, transposeB: tb, activation, leakyreluAlpha: 0.2 })).toBeLessThan(1e-4);
      });
    }
  }
});

describe('Identity and same-dtype Cast share data on wasm', () => {
  it('clone and cast give the values, and outlive their source', async () => {
    await tf.setBackend('wasm');
    const values = random(24, 1500);
    const x = tf.tensor(values, [2, 3, 4]);
    const before = tf.memory().numTensors;
    const clone = tf.clone(x);
    const same = tf.cast(x, 'float32');
    const floats = tf.tensor([1.7, -2.2, 3.9], [3]);
    const ints = tf.cast(floats, 'int32');
    const back = tf.cast(ints, 'float32');
    expect(tf.memory().numTensors).toBe(before + 5);
    x.dispose();
    floats.dispose();
    expect(Array.from(await clone.data())).toEqual(Array.from(values));
    expect(Array.from(await same.data())).toEqual(Array.from(values));
    expect(Array.from(await ints.data())).toEqual([1, -2, 3]);
    expect(Array.from(await back.data())).toEqual([1, -2, 3]);
    clone.dispose();
    expect(Array.from(await same.data())).toEqual(Array.from(values));
    tf.dispose([same, ints, back]);
    expect(tf.memory().numTensors).toBe(before - 1);
    expect(tf.memory().numDataBuffers).toBeLessThanOrEqual(tf.memory().numTensors);
  });
});

describe('training on wasm', () => {
  const L = tf.layers;
  const img: [number, number, number] = [8, 8, 2];
  const activations = ['relu', 'elu', 'selu', 'tanh', 'sigmoid', 'softplus', 'softmax', 'gelu', 'swish'] as const;
  const PALETTE: Record<string, () => tf.layers.Layer[]> = {
    dense: () => [L.dense({ units: 4, inputShape: [6] })],
    'conv2d stride 1 same': () => [L.conv2d({ filters: 3, kernelSize: 3, padding: 'same', inputShape: img }), L.flatten()],
    'conv2d stride 1 valid relu': () => [L.conv2d({ filters: 3, kernelSize: 3, padding: 'valid', activation: 'relu', inputShape: img }), L.flatten()],
    'conv2d stride 2 same': () => [L.conv2d({ filters: 3, kernelSize: 3, strides: 2, padding: 'same', inputShape: img }), L.flatten()],
    'conv2d stride 2 valid': () => [L.conv2d({ filters: 3, kernelSize: 3, strides: 2, padding: 'valid', inputShape: img }), L.flatten()],
    maxPooling2d: () => [L.conv2d({ filters: 2, kernelSize: 3, padding: 'same', inputShape: img }), L.maxPooling2d({ poolSize: 2 }), L.flatten()],
    'maxPooling2d 3/2 same': () => [L.conv2d({ filters: 2, kernelSize: 1, inputShape: [7, 7, 2] }), L.maxPooling2d({ poolSize: 3, strides: 2, padding: 'same' }), L.flatten()],
    averagePooling2d: () => [L.conv2d({ filters: 2, kernelSize: 3, padding: 'same', inputShape: img }), L.averagePooling2d({ poolSize: 2 }), L.flatten()],
    flatten: () => [L.flatten({ inputShape: img }), L.dense({ units: 3 })],
    dropout: () => [L.dense({ units: 5, inputShape: [6] }), L.dropout({ rate: 0.3 }), L.dense({ units: 4 })],
    batchNormalization: () => [L.dense({ units: 5, inputShape: [6] }), L.batchNormalization(), L.dense({ units: 4 })],
    'batchNormalization after conv2d': () => [L.conv2d({ filters: 2, kernelSize: 3, inputShape: img }), L.batchNormalization(), L.flatten()],
    'activation leakyRelu': () => [L.dense({ units: 5, inputShape: [6] }), L.leakyReLU({ alpha: 0.2 }), L.dense({ units: 4 })],
    ...Object.fromEntries(activations.map((a) => [`activation ${a}`, () => [L.dense({ units: 5, inputShape: [6] }), L.activation({ activation: a }), L.dense({ units: 4 })]])),
  };

  for (const [name, make] of Object.entries(PALETTE)) {
    it(`trains ${name}: finite loss, weights change, no tensor leak`, async () => {
      await tf.setBackend('wasm');
      const model = tf.sequential({ layers: make() });
      const inShape = model.inputs[0]!.shape.slice(1) as number[];
      const outSize = model.outputs[0]!.shape[1] as number;
      const x = tf.tensor(random(4 * size(inShape), 1200), [4, ...inShape]);
      const y = tf.tensor(random(4 * outSize, 1201), [4, outSize]);
      const before = model.trainableWeights.map((w) => w.read().dataSync().slice());
      const optimizer = tf.train.adam(0.01);
      const losses: number[] = [];
      let tensorsAfterWarmUp = 0;
      let buffersAfterWarmUp = 0;
      for (let step = 0; step < 5; step++) {
        const loss = optimizer.minimize(() => tf.losses.meanSquaredError(y, model.apply(x, { training: true }) as tf.Tensor), true)!;
        losses.push((await loss.data())[0]!);
        loss.dispose();
        if (step === 1) {
          tensorsAfterWarmUp = tf.memory().numTensors;
          buffersAfterWarmUp = tf.backend().numDataIds();
        }
      }
      expect(tf.memory().numTensors).toBe(tensorsAfterWarmUp);
      expect(tf.backend().numDataIds()).toBe(buffersAfterWarmUp);
      expect(losses.every(Number.isFinite)).toBe(true);
      const after = model.trainableWeights.map((w) => w.read().dataSync());
      // Every trainable weight moves (a missing or zero gradient would leave it in place).
      for (const [i, w] of after.entries()) expect(w.some((v, j) => v !== before[i]![j])).toBe(true);
      optimizer.dispose();
      model.dispose();
      tf.dispose([x, y]);
    });
  }

  it('the engine-style conv net gives the cpu gradients', async () => {
    // conv 3×3 relu same, maxpool 2, conv 3×3 stride 2, avgpool 2, dense: as the engine's
    // network builds it from tf ops (fused conv/matMul, gelu by erf).
    const shapes = { k1: [3, 3, 1, 8], b1: [8], k2: [3, 3, 8, 16], b2: [16], w: [64, 10], b: [10] } as const;
    const gradsOn = async (backend: 'cpu' | 'wasm') => {
      await tf.setBackend(backend);
      const vars = Object.fromEntries(Object.entries(shapes).map(([k, s], i) => [k, tf.variable(tf.tensor(random(size([...s]), 1300 + i), [...s]), true, `${backend}_${k}`)]));
      const x = tf.tensor4d(random(6 * 16 * 16, 1400), [6, 16, 16, 1]);
      const y = tf.oneHot(tf.tensor1d([0, 3, 5, 9, 1, 2], 'int32'), 10);
      const before = tf.memory().numTensors;
      const { value, grads } = tf.variableGrads(() => {
        let h: tf.Tensor4D = tf.fused.conv2d({ x, filter: vars.k1 as tf.Tensor4D, strides: 1, pad: 'same', bias: vars.b1, activation: 'relu' });
        h = tf.maxPool(h, 2, 2, 'valid');
        h = tf.conv2d(h, vars.k2 as tf.Tensor4D, 2, 'same');
        h = tf.add(h, vars.b2 as tf.Tensor) as tf.Tensor4D;
        h = tf.mul(tf.mul(h, 0.5), tf.add(1, tf.erf(tf.mul(h, Math.SQRT1_2)))) as tf.Tensor4D;
        h = tf.avgPool(h, 2, 2, 'valid');
        const logits = tf.fused.matMul({ a: tf.reshape(h, [6, 64]), b: vars.w as tf.Tensor2D, bias: vars.b });
        return tf.losses.softmaxCrossEntropy(y, logits) as tf.Scalar;
      });
      const out = Object.fromEntries(await Promise.all(Object.keys(shapes).map(async (k) => [k, (await grads[`${backend}_${k}`]!.data()) as Float32Array] as const)));
      const loss = (await value.data())[0]!;
      tf.dispose([value, ...Object.values(grads)]);
      expect(tf.memory().numTensors).toBe(before);
      tf.dispose([x, y, ...Object.values(vars)]);
      return { loss, grads: out };
    };
    const cpu = await gradsOn('cpu');
    const wasm = await gradsOn('wasm');
    expect(Math.abs(wasm.loss - cpu.loss)).toBeLessThan(1e-4 * Math.abs(cpu.loss));
    for (const k of Object.keys(shapes)) expect(relativeError(wasm.grads[k]!, cpu.grads[k]!)).toBeLessThan(1e-4);
  });
});

describe('enableWasmThreads (experimental)', () => {
  it('initialises the threaded wasm build with 2 threads, and the kernels give the cpu results there', async () => {
    // In a child process: the threaded build must be chosen before the wasm backend first starts.
    const root = resolve(__dirname, '..', '..');
    const dir = join(root, 'node_modules', '.cache', 'trainbench-test');
    mkdirSync(dir, { recursive: true });
    const bundle = join(dir, 'wasmGradients.mjs');
    await build({ entryPoints: [join(root, 'src-main/engine/backend/wasmGradients.ts')], bundle: true, platform: 'node', format: 'esm', outfile: bundle, packages: 'external', logLevel: 'error' });
    const script = join(dir, 'threads.mjs');
    writeFileSync(
      script,
      `import * as tf from '@tensorflow/tfjs';
import * as wasm from '@tensorflow/tfjs-backend-wasm';
import { registerWasmGradientKernels, enableWasmThreads } from './wasmGradients.mjs';
registerWasmGradientKernels(tf);
const restore = enableWasmThreads(tf, wasm, 2);
const ok = await tf.setBackend('wasm');
restore();
const threads = wasm.getThreadsCount();
const x = tf.randomNormal([8, 12, 12, 4], 0, 1, 'float32', 1);
const dy = tf.randomNormal([8, 12, 12, 6], 0, 1, 'float32', 2);
const attrs = { strides: 1, pad: 'same', dataFormat: 'NHWC', filterShape: [3, 3, 4, 6] };
const run = () => tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, attrs).dataSync();
const got = run();
await tf.setBackend('cpu');
const want = run();
let err = 0, scale = 0;
for (let i = 0; i < want.length; i++) { err = Math.max(err, Math.abs(got[i] - want[i])); scale = Math.max(scale, Math.abs(want[i])); }
console.log(JSON.stringify({ ok, threads, relativeError: err / scale }));
process.exit(0);
`,
    );
    const child = spawnSync(process.execPath, [script], { cwd: root, encoding: 'utf8', timeout: 60_000 });
    const line = child.stdout.split('\n').find((l) => l.startsWith('{'));
    expect(line, child.stderr).toBeDefined();
    const result = JSON.parse(line!) as { ok: boolean; threads: number; relativeError: number };
    expect(result.ok).toBe(true);
    expect(result.threads).toBe(2);
    expect(result.relativeError).toBeLessThan(1e-4);
  });
});
