/**
 * The forward `Conv2D` on Trainbench's SIMD kernel (convSimd.ts, `convRuns`) against the cpu
 * backend: every tile of the kernel (16 output channels and 4 left over, an odd last position),
 * strides, dilations, 'same', 'valid' and explicit padding (cropped where it reaches past the
 * last tap), one input channel, 1×1 filters; and the calls it leaves to XNNPACK. `FusedConv2D`
 * (bias and relu in the kernel) likewise, and the activations it leaves to XNNPACK; the dense
 * layers' matrix products (matMul.ts) and the cases they leave to XNNPACK.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { simdKernels } from '../../src-main/engine/backend/wasm/simd/simdKernels';
import { registerWasmGradientKernels } from '../../src-main/engine/backend/wasmGradients';
import { compare, random, size, type Pad, type Shape4 } from '../support/wasmKernels';

beforeAll(async () => {
  registerWasmGradientKernels(tf);
  expect(await tf.setBackend('wasm')).toBe(true);
});

const CASES: { x: Shape4; f: [number, number]; oc: number; s: [number, number]; pad: Pad; d: [number, number] }[] = [
  { x: [2, 7, 9, 3], f: [3, 3], oc: 20, s: [1, 1], pad: 'same', d: [1, 1] },
  { x: [3, 8, 8, 1], f: [3, 3], oc: 16, s: [1, 1], pad: 'valid', d: [2, 2] },
  { x: [2, 9, 10, 4], f: [2, 3], oc: 8, s: [2, 3], pad: 'same', d: [1, 1] },
  { x: [3, 7, 6, 8], f: [3, 3], oc: 4, s: [1, 1], pad: [[0, 0], [3, 0], [1, 4], [0, 0]], d: [1, 1] },
  { x: [1, 5, 5, 8], f: [1, 1], oc: 12, s: [1, 1], pad: 'valid', d: [1, 1] },
  { x: [4, 28, 28, 1], f: [3, 3], oc: 16, s: [1, 1], pad: 'same', d: [1, 1] },
  // Left to XNNPACK: output channels not in fours.
  { x: [2, 6, 6, 3], f: [3, 3], oc: 6, s: [1, 1], pad: 'same', d: [1, 1] },
];

describe('Conv2D on the SIMD kernel', () => {
  for (const [i, k] of CASES.entries()) {
    it(`x ${k.x} filter ${k.f}×${k.oc} strides ${k.s} pad ${JSON.stringify(k.pad)} dilations ${k.d}`, async () => {
      const filterShape = [k.f[0], k.f[1], k.x[3], k.oc];
      const inputs = {
        x: { values: random(size(k.x), 900 + i), shape: k.x },
        filter: { values: random(size(filterShape), 950 + i), shape: filterShape },
      };
      const attrs = { strides: k.s, pad: k.pad, dataFormat: 'NHWC', dilations: k.d, dimRoundingMode: undefined };
      const calls = vi.spyOn(simdKernels(tf.backend())!, 'convRuns');
      try {
        expect(await compare('Conv2D', inputs, attrs)).toBeLessThan(1e-5);
        expect(calls).toHaveBeenCalledTimes(k.oc % 4 === 0 ? 1 : 0);
      } finally {
        calls.mockRestore();
      }
    });
  }

  it('carries NaN and infinity as the convolution does', async () => {
    const x = random(size([1, 4, 4, 2]), 5);
    x[5] = Number.NaN;
    x[20] = Number.POSITIVE_INFINITY;
    const inputs = { x: { values: x, shape: [1, 4, 4, 2] }, filter: { values: random(3 * 3 * 2 * 4, 6), shape: [3, 3, 2, 4] } };
    const attrs = { strides: [1, 1], pad: 'same', dataFormat: 'NHWC', dilations: [1, 1] };
    const run = (): Float32Array =>
      tf.tidy(() => {
        const filter = tf.tensor(inputs.filter.values, inputs.filter.shape);
        return (tf.engine().runKernel('Conv2D', { x: tf.tensor(inputs.x.values, inputs.x.shape), filter }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor).dataSync() as Float32Array;
      });
    await tf.setBackend('cpu');
    const expected = run();
    await tf.setBackend('wasm');
    const actual = run();
    expect(Array.from(actual, (v) => (Number.isFinite(v) ? 'finite' : String(v)))).toEqual(Array.from(expected, (v) => (Number.isFinite(v) ? 'finite' : String(v))));
  });
});

describe('FusedConv2D on the SIMD kernel', () => {
  const FUSED: { x: Shape4; oc: number; activation: string; bias: boolean; simd: boolean }[] = [
    { x: [2, 7, 9, 3], oc: 20, activation: 'relu', bias: true, simd: true },
    { x: [3, 6, 6, 8], oc: 16, activation: 'linear', bias: true, simd: true },
    { x: [2, 5, 5, 4], oc: 8, activation: 'relu', bias: false, simd: true },
    { x: [2, 5, 5, 4], oc: 8, activation: 'elu', bias: true, simd: false },
  ];
  for (const [i, k] of FUSED.entries()) {
    it(`x ${k.x} 3×3×${k.oc} ${k.activation}${k.bias ? ' with bias' : ''}${k.simd ? '' : ' (XNNPACK)'}`, async () => {
      const filterShape = [3, 3, k.x[3], k.oc];
      const inputs: Record<string, { values: Float32Array; shape: number[] }> = {
        x: { values: random(size(k.x), 300 + i), shape: k.x },
        filter: { values: random(size(filterShape), 350 + i), shape: filterShape },
      };
      if (k.bias) inputs.bias = { values: random(k.oc, 390 + i), shape: [k.oc] };
      const attrs = { strides: [1, 1], pad: 'same', dataFormat: 'NHWC', dilations: [1, 1], dimRoundingMode: undefined, activation: k.activation, leakyreluAlpha: 0.2 };
      const calls = vi.spyOn(simdKernels(tf.backend())!, 'convRuns');
      try {
        expect(await compare('FusedConv2D', inputs, attrs)).toBeLessThan(1e-5);
        expect(calls).toHaveBeenCalledTimes(k.simd ? 1 : 0);
      } finally {
        calls.mockRestore();
      }
    });
  }
});

describe('the matrix products on the SIMD kernels', () => {
  const CASES: { ta: boolean; tb: boolean; n: number; bias: boolean; kernel: 'gemmRuns' | 'convRuns' | null }[] = [
    { ta: true, tb: false, n: 8, bias: false, kernel: 'gemmRuns' },
    { ta: false, tb: true, n: 8, bias: false, kernel: 'convRuns' },
    { ta: false, tb: false, n: 12, bias: false, kernel: 'convRuns' },
    { ta: false, tb: false, n: 6, bias: false, kernel: null },
    { ta: false, tb: false, n: 8, bias: true, kernel: null },
    // Left to XNNPACK: columns not in fours, both transposed, the fused product's bias.
    { ta: true, tb: false, n: 6, bias: false, kernel: null },
    { ta: true, tb: true, n: 8, bias: false, kernel: null },
    { ta: true, tb: false, n: 8, bias: true, kernel: null },
  ];
  for (const [i, c] of CASES.entries()) {
    it(`${c.bias ? '_FusedMatMul' : 'BatchMatMul'} transposeA=${c.ta} transposeB=${c.tb}, ${c.n} columns: ${c.kernel ?? 'XNNPACK'}`, async () => {
      const [m, k] = [7, 5];
      const aShape = [1, c.ta ? k : m, c.ta ? m : k];
      const bShape = [1, c.tb ? c.n : k, c.tb ? k : c.n];
      const inputs: Record<string, { values: Float32Array; shape: number[] }> = {
        a: { values: random(size(aShape), 500 + i), shape: aShape },
        b: { values: random(size(bShape), 550 + i), shape: bShape },
      };
      if (c.bias) inputs.bias = { values: random(c.n, 590 + i), shape: [c.n] };
      const kernels = simdKernels(tf.backend())!;
      const spies = { gemmRuns: vi.spyOn(kernels, 'gemmRuns'), convRuns: vi.spyOn(kernels, 'convRuns') };
      try {
        const name = c.bias ? '_FusedMatMul' : 'BatchMatMul';
        const attrs = c.bias ? { transposeA: c.ta, transposeB: c.tb, activation: 'relu' } : { transposeA: c.ta, transposeB: c.tb };
        expect(await compare(name, inputs, attrs)).toBeLessThan(1e-5);
        for (const [kernel, spy] of Object.entries(spies)) expect(spy, kernel).toHaveBeenCalledTimes(kernel === c.kernel ? 1 : 0);
      } finally {
        spies.gemmRuns.mockRestore();
        spies.convRuns.mockRestore();
      }
    });
  }
});

