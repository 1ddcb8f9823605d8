/**
 * The alternative paths of the wasm kernels against the cpu backend: every path of
 * `Conv2DBackpropFilter` (the swapped one in groups of a few samples, with a remainder, and on
 * batch 1); the 2×2 `MaxPoolGrad`'s SIMD kernel and branch-free loop on windows built to put the
 * first maximum everywhere, with ties, −∞ and NaN; `Sum` over leading axes in SIMD (bit for bit
 * the JavaScript loop's result) and in JavaScript; `Add` of a broadcast operand in SIMD, and the
 * cases left to the wasm kernel.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { registerWasmGradientKernels } from '../../src-main/engine/backend/wasmGradients';
import { FILTER_GRAD_TUNING, filterGradientPath, type FilterGradientPath } from '../../src-main/engine/backend/wasm/convGradients';
import { simdKernels } from '../../src-main/engine/backend/wasm/simd/simdKernels';
import { MAX_POOL_GRAD_TUNING } from '../../src-main/engine/backend/wasm/poolGradients';
import { SUM_TUNING } from '../../src-main/engine/backend/wasm/reductions';
import { ADD_TUNING, broadcastRows } from '../../src-main/engine/backend/wasm/elementwise';
import { compare, convCase, filterReference, random, runKernel, size, type Pad, type Shape4 } from '../support/wasmKernels';

const DEFAULT_GROUP_BYTES = FILTER_GRAD_TUNING.groupBytes;

beforeAll(async () => {
  registerWasmGradientKernels(tf);
  expect(await tf.setBackend('wasm')).toBe(true);
  await tf.ready();
});

describe('Conv2DBackpropFilter paths, the swapped one in groups of a few samples', () => {
  const path = (x: Shape4, f: [number, number], oc: number, s: [number, number], simd = false): FilterGradientPath =>
    filterGradientPath(tf.backend_util.computeConv2DInfo(x, [f[0], f[1], x[3], oc], s, 1, 'same'), simd);

  it('picks the SIMD kernel whenever it runs and the filters come in fours', () => {
    expect(simdKernels(tf.backend())).not.toBeNull();
    expect(path([128, 28, 28, 1], [3, 3], 16, [1, 1], true)).toBe('runs');
    expect(path([128, 14, 14, 16], [3, 3], 32, [2, 2], true)).toBe('runs');
    expect(path([128, 14, 14, 16], [3, 3], 30, [1, 1], true)).toBe('dyImage');
  });

  it('without it, im2col for one input channel, dy as the image for stride 1, else the swapped convolution', () => {
    expect(path([128, 28, 28, 1], [3, 3], 16, [1, 1])).toBe('im2col');
    expect(path([128, 14, 14, 16], [3, 3], 32, [1, 1])).toBe('dyImage');
    expect(path([128, 14, 14, 16], [3, 3], 32, [2, 2])).toBe('swapped');
    expect(path([8, 14, 14, 4], [3, 3], 16, [1, 1])).toBe('swapped'); // too few channels to be the filter's outputs
  });

  const CASES: { x: Shape4; f: [number, number]; oc: number; s: [number, number]; pad: Pad; d: [number, number]; paths: FilterGradientPath[] }[] = [
    { x: [7, 9, 8, 8], f: [3, 3], oc: 12, s: [1, 1], pad: 'same', d: [1, 1], paths: ['runs', 'im2col', 'dyImage', 'swapped'] },
    { x: [5, 10, 9, 8], f: [3, 2], oc: 9, s: [1, 1], pad: 'valid', d: [2, 1], paths: ['im2col', 'dyImage', 'swapped'] },
    // Padding beyond the filter's extent: dy as the image is cropped above and on the right.
    { x: [3, 7, 6, 8], f: [3, 3], oc: 8, s: [1, 1], pad: [[0, 0], [3, 0], [1, 4], [0, 0]], d: [1, 1], paths: ['runs', 'dyImage', 'swapped'] },
    { x: [5, 9, 9, 3], f: [3, 3], oc: 4, s: [2, 2], pad: 'same', d: [1, 1], paths: ['runs', 'im2col', 'swapped'] },
    { x: [1, 8, 8, 8], f: [3, 3], oc: 16, s: [1, 1], pad: 'same', d: [1, 1], paths: ['runs', 'im2col', 'dyImage', 'swapped'] },
    // The SIMD kernel's every tile: 16 columns and 4 left over, an odd last row (2·3·3 = 18, 3·3 = 9),
    // strides and dilations, padding past the last tap at stride 3.
    { x: [4, 6, 7, 2], f: [2, 3], oc: 20, s: [1, 2], pad: 'valid', d: [1, 1], paths: ['runs', 'swapped'] },
    { x: [3, 11, 10, 1], f: [3, 3], oc: 16, s: [1, 1], pad: 'same', d: [2, 3], paths: ['runs', 'im2col'] },
    { x: [2, 10, 10, 3], f: [3, 3], oc: 8, s: [3, 3], pad: 'same', d: [1, 1], paths: ['runs', 'swapped'] },
  ];
  for (const [i, k] of CASES.entries()) {
    for (const forced of k.paths) {
      // The swapped convolution in groups of one sample, of three (7 = 3 + 3 + 1, 5 = 3 + 2),
      // and the whole batch; the other paths run whole.
      for (const samples of forced === 'swapped' ? [1, 3, 0] : [0]) {
        it(`${forced} x ${k.x} filter ${k.f}×${k.oc} strides ${k.s} pad ${JSON.stringify(k.pad)} dilations ${k.d}, ${samples || 'all'} per group`, async () => {
          const c = convCase(k.x, k.f, k.oc, k.s, k.pad, k.d, 700 + i);
          const attrs = { strides: k.s, pad: k.pad, dataFormat: 'NHWC', filterShape: c.filterShape, dilations: k.d };
          const dyPerSample = size(c.dy.shape) / k.x[0];
          FILTER_GRAD_TUNING.path = forced;
          FILTER_GRAD_TUNING.groupBytes = samples * dyPerSample * 4;
          try {
            expect(await compare('Conv2DBackpropFilter', { x: c.x, dy: c.dy }, attrs, filterReference(c, attrs, k.d))).toBeLessThan(1e-4);
          } finally {
            FILTER_GRAD_TUNING.path = null;
            FILTER_GRAD_TUNING.groupBytes = DEFAULT_GROUP_BYTES;
          }
        });
      }
    }
  }
});

/** Runs `body` with one tuning flag of a kernel set, and restores it. */
async function withTuning<T extends object, R>(tuning: T, change: Partial<T>, body: () => Promise<R>): Promise<R> {
  const saved = { ...tuning };
  Object.assign(tuning, change);
  try {
    return await body();
  } finally {
    Object.assign(tuning, saved);
  }
}

describe('MaxPoolGrad 2×2 (the SIMD kernel for channels in fours, else the branch-free loop)', () => {
  // Windows whose first maximum is each of the four elements, with ties, negatives, −∞, NaN
  // elements (the cpu backend's max skips them), and windows of only −∞ or NaN; each [2, 2]
  // window is [top-left, top-right, bottom-left, bottom-right].
  const NEG = Number.NEGATIVE_INFINITY;
  const WINDOWS = [
    [3, 1, 2, 0],
    [1, 3, 2, 0],
    [1, 2, 3, 0],
    [0, 1, 2, 3],
    [2, 2, 1, 0],
    [0, 2, 2, 2],
    [0, 1, 4, 4],
    [0, 0, 0, 0],
    [NEG, NEG, NEG, NEG],
    [NEG, NEG, 1, NEG],
    [NEG, 5, 5, NEG],
    [-3, -1, -2, -1],
    [NEG, NEG, NEG, -7],
    [NaN, 1, 2, 0],
    [1, NaN, 1, 0],
    [NaN, 3, NaN, 3],
    [NaN, NaN, NaN, 6],
    [NaN, NaN, NaN, NaN],
    [NaN, NEG, NEG, NaN],
  ];
  const attrs = { filterSize: [2, 2], strides: [2, 2], pad: 'valid' };

  /** x with WINDOWS spread over every window and channel, dy, and each window's first maximum (−1: none). */
  function poolCase(shape: Shape4) {
    const [n, h, w, c] = shape;
    const oh = h / 2;
    const ow = w / 2;
    const xv = new Float32Array(size(shape));
    const firstMax: number[] = [];
    for (let win = 0; win < n * oh * ow * c; win++) {
      const d = win % c;
      const xc = Math.floor(win / c) % ow;
      const yr = Math.floor(win / (c * ow)) % oh;
      const b = Math.floor(win / (c * ow * oh));
      const values = WINDOWS[(win * 7) % WINDOWS.length]!;
      const at = [0, 1, 2, 3].map((k) => ((b * h + yr * 2 + (k >> 1)) * w + xc * 2 + (k & 1)) * c + d);
      at.forEach((i, k) => (xv[i] = values[k]!));
      const best = Math.max(NEG, ...values.filter((v) => !Number.isNaN(v)));
      firstMax.push(best > NEG ? at[values.indexOf(best)]! : -1);
    }
    expect(firstMax.filter((at) => at < 0).length).toBeGreaterThan(0);
    const dyv = random(n * oh * ow * c, 77).map((v) => v + 2); // never 0: every routed value shows
    return { xv, firstMax, dyv };
  }

  /** The cpu backend's forward max pool of x (NaN elements skipped). */
  async function cpuMaxPool(xv: Float32Array, shape: Shape4): Promise<{ values: Float32Array; shape: number[] }> {
    await tf.setBackend('cpu');
    const out = tf.maxPool(tf.tensor4d(xv, shape), 2, 2, 'valid');
    const values = (await out.data()) as Float32Array;
    out.dispose();
    await tf.setBackend('wasm');
    return { values, shape: out.shape as number[] };
  }

  const CASES: { shape: Shape4; simd: boolean }[] = [
    { shape: [3, 4, 6, 5], simd: false }, // 5 channels: the JavaScript loop
    { shape: [3, 4, 6, 8], simd: true },
    { shape: [3, 4, 6, 8], simd: false }, // the JavaScript loop, forced
    { shape: [2, 2, 10, 4], simd: true },
    { shape: [1, 6, 2, 12], simd: true },
  ];
  for (const k of CASES) {
    it(`${k.simd ? 'SIMD' : 'JavaScript'} x ${k.shape}: dy to the first maximum, nothing from −∞ or NaN-only windows, as the cpu backend`, async () => {
      if (k.simd) expect(simdKernels(tf.backend())).not.toBeNull();
      const { xv, firstMax, dyv } = poolCase(k.shape);
      const output = await cpuMaxPool(xv, k.shape);
      const inputs = { dy: { values: dyv, shape: output.shape }, input: { values: xv, shape: k.shape }, output };
      const expected = new Float32Array(size(k.shape));
      firstMax.forEach((at, win) => at >= 0 && (expected[at] = dyv[win]!));
      const cpu = await runKernel('cpu', 'MaxPoolGrad', inputs, attrs);
      const wasm = await withTuning(MAX_POOL_GRAD_TUNING, { simd: k.simd }, () => runKernel('wasm', 'MaxPoolGrad', inputs, attrs));
      await tf.setBackend('wasm');
      expect(Array.from(cpu)).toEqual(Array.from(expected));
      expect(Array.from(wasm)).toEqual(Array.from(expected));
    });
  }

  for (const simd of [true, false]) {
    it(`${simd ? 'SIMD' : 'JavaScript'}: a NaN maximum (a forward pass that propagated NaN) routes nothing`, async () => {
      const shape: Shape4 = [2, 4, 4, 8];
      const { xv, firstMax, dyv } = poolCase(shape);
      const output = await cpuMaxPool(xv, shape);
      const expected = new Float32Array(size(shape));
      firstMax.forEach((at, win) => {
        if (win % 3 === 0) output.values[win] = Number.NaN;
        else if (at >= 0) expected[at] = dyv[win]!;
      });
      const inputs = { dy: { values: dyv, shape: output.shape }, input: { values: xv, shape }, output };
      const wasm = await withTuning(MAX_POOL_GRAD_TUNING, { simd }, () => runKernel('wasm', 'MaxPoolGrad', inputs, attrs));
      await tf.setBackend('wasm');
      expect(Array.from(wasm)).toEqual(Array.from(expected));
    });
  }
});

describe('Sum over leading axes (the SIMD kernel for columns in fours, else the JavaScript loop)', () => {
  /** The wasm Sum on one path. */
  const wasmSum = (x: { values: Float32Array; shape: number[] }, axis: number[], simd: boolean, block = SUM_TUNING.block, keepDims = false): Promise<Float32Array> =>
    withTuning(SUM_TUNING, { simd, block }, () => runKernel('wasm', 'Sum', { x }, { axis, keepDims }));

  // Rows in fours and left over (21 = 5·4 + 1, 3, 1), one and several column blocks, columns
  // not in fours (the JavaScript loop on both settings).
  const CASES: { shape: number[]; axis: number[]; block?: number; keepDims?: boolean }[] = [
    { shape: [16, 12, 12, 8], axis: [0, 1, 2] },
    { shape: [7, 3, 20], axis: [0, 1] },
    { shape: [7, 3, 20], axis: [0, 1], block: 8, keepDims: true }, // blocks of 8, 8 and 4 columns
    { shape: [3, 12], axis: [0] },
    { shape: [1, 8], axis: [0] },
    { shape: [300, 1036], axis: [0] }, // 1036 columns: blocks of 1024 and 12
    { shape: [2, 3, 4, 4], axis: [0, 1] },
    { shape: [9, 10], axis: [0] },
    { shape: [5, 3, 7], axis: [0, 1] },
  ];
  for (const [i, k] of CASES.entries()) {
    it(`x ${k.shape} axis ${k.axis}${k.block ? ` in blocks of ${k.block} columns` : ''}: SIMD gives the JavaScript loop's bits, and the cpu sums`, async () => {
      const x = { values: random(size(k.shape), 900 + i), shape: k.shape };
      const simd = await wasmSum(x, k.axis, true, k.block, k.keepDims);
      const js = await wasmSum(x, k.axis, false, k.block, k.keepDims);
      expect(Array.from(simd)).toEqual(Array.from(js));
      expect(await compare('Sum', { x }, { axis: k.axis, keepDims: k.keepDims ?? false }, async () => (await runKernel('cpu', 'Sum', { x }, { axis: k.axis })))).toBeLessThan(1e-6);
    });
  }

  it('accumulates in float64 (a small term between large ones survives) and carries NaN and ±∞', async () => {
    // Columns: 1e8, 1, −1e8, … (exactly 3 in float64; a float32 accumulator loses the 1s), one
    // NaN, one +∞, +∞ and −∞ (NaN), ordinary values; seven rows (one group of four, three left).
    const rows = [
      [1e8, 1, 1, 1, 0.5, 0, 0, 0],
      [1, Number.NaN, 2, Number.POSITIVE_INFINITY, 0.25, 0, 0, 0],
      [-1e8, 1, Number.POSITIVE_INFINITY, 1, 0.125, 0, 0, 0],
      [1, 1, 3, 1, 1, 0, 0, 0],
      [1e8, 1, 4, Number.NEGATIVE_INFINITY, 2, 0, 0, 0],
      [1, 1, 5, 1, 4, 0, 0, -0],
      [-1e8, 1, 6, 1, 8, 0, 0, -0],
    ];
    const x = { values: Float32Array.from(rows.flat()), shape: [7, 8] };
    const expected = [3, Number.NaN, Number.POSITIVE_INFINITY, Number.NaN, 15.875, 0, 0, 0];
    for (const simd of [true, false]) expect(Array.from(await wasmSum(x, [0], simd))).toEqual(expected);
    await tf.setBackend('wasm');
  });
});

describe('Add with a broadcast operand (the SIMD kernel for trailing dims in fours, else the wasm kernel)', () => {
  it('takes the smaller operand as trailing dims in fours, either side, leading 1s aside', () => {
    expect(broadcastRows([128, 28, 28, 16], [16])).toEqual({ rows: 'a', outer: 128 * 28 * 28, inner: 16 });
    expect(broadcastRows([32], [128, 14, 14, 32])).toEqual({ rows: 'b', outer: 128 * 14 * 14, inner: 32 });
    expect(broadcastRows([5, 4], [1, 1, 4])).toEqual({ rows: 'a', outer: 5, inner: 4 });
    expect(broadcastRows([4, 3, 16], [3, 16])).toEqual({ rows: 'a', outer: 4, inner: 48 });
    expect(broadcastRows([6, 5, 7, 6], [6])).toBeNull(); // not in fours
    expect(broadcastRows([4, 8], [4, 8])).toBeNull(); // same shape: XNNPACK
    expect(broadcastRows([4, 1], [1, 8])).toBeNull(); // both broadcast
    expect(broadcastRows([8, 4], [8, 1])).toBeNull(); // not trailing
    expect(broadcastRows([0, 4], [4])).toBeNull(); // empty
  });

  const SPECIAL = [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, -0, 3.4e38];
  /** Random values with the special ones sprinkled in. */
  const values = (n: number, seed: number): Float32Array => random(n, seed).map((v, i) => (i % 11 === 3 ? SPECIAL[i % SPECIAL.length]! : v * 1e3));

  const CASES: { a: number[]; b: number[]; dtype?: 'int32' }[] = [
    { a: [6, 5, 7, 16], b: [16] }, // inner 16: four vectors a step
    { a: [3, 5, 7, 8], b: [8] }, // inner 8: one vector a step
    { a: [12], b: [4, 5, 3, 12] }, // the rows on the right
    { a: [4, 3, 16], b: [3, 16] },
    { a: [5, 4], b: [1, 1, 4] }, // out [1, 5, 4]
    { a: [2, 3, 20], b: [1, 20] },
    { a: [6, 5, 7, 6], b: [6] }, // the wasm kernel from here on
    { a: [4, 8], b: [4, 8] },
    { a: [4, 1], b: [1, 8] },
    { a: [3, 12], b: [12], dtype: 'int32' },
  ];
  for (const [i, k] of CASES.entries()) {
    it(`[${k.a}] + [${k.b}]${k.dtype ? ` ${k.dtype}` : ''}: the cpu backend's sums, bit for bit`, async () => {
      const cast = (v: Float32Array): Float32Array => (k.dtype === 'int32' ? v.map((x) => (Number.isFinite(x) ? Math.round(x) : 7)) : v);
      const inputs = { a: { values: cast(values(size(k.a), 1000 + i)), shape: k.a }, b: { values: cast(values(size(k.b), 1100 + i)), shape: k.b } };
      const run = async (backend: 'cpu' | 'wasm'): Promise<number[]> => {
        await tf.setBackend(backend);
        const a = tf.tensor(inputs.a.values, k.a, k.dtype);
        const b = tf.tensor(inputs.b.values, k.b, k.dtype);
        const before = tf.memory().numTensors;
        const buffersBefore = tf.backend().numDataIds();
        const out = tf.engine().runKernel('Add', { a, b }, {}) as tf.Tensor;
        expect(out.shape).toEqual(tf.backend_util.assertAndGetBroadcastShape(k.a, k.b));
        expect(tf.memory().numTensors).toBe(before + 1);
        const result = Array.from(await out.data());
        out.dispose();
        expect(tf.backend().numDataIds()).toBe(buffersBefore);
        tf.dispose([a, b]);
        return result;
      };
      const expected = await run('cpu');
      expect(await run('wasm')).toEqual(expected);
      expect(await withTuning(ADD_TUNING, { simd: false }, () => run('wasm'))).toEqual(expected);
      await tf.setBackend('wasm');
    });
  }
});
