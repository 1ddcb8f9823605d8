import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { registerWasmGradientKernels } from '../../src-main/engine/backend/wasmGradients';
import { mulberry32 } from '../../src-main/engine/training/trainingData';

beforeAll(async () => {
  registerWasmGradientKernels();
  await tf.setBackend('wasm');
  await tf.ready();
});

function random(shape: number[], seed: number): Float32Array {
  const r = mulberry32(seed);
  return Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => r() * 2 - 1);
}

async function filterGradient(backend: string, xShape: number[], dyShape: number[], filterShape: [number, number, number, number], strides: number, pad: 'same' | 'valid', seed: number): Promise<Float32Array> {
  await tf.setBackend(backend);
  const result = tf.tidy(() => {
    const x = tf.tensor4d(random(xShape, seed), xShape as [number, number, number, number]);
    const dy = tf.tensor4d(random(dyShape, seed + 1), dyShape as [number, number, number, number]);
    return tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, { strides, pad, dataFormat: 'NHWC', dimRoundingMode: undefined, filterShape } as unknown as tf.NamedAttrMap) as tf.Tensor;
  });
  const data = (await result.data()) as Float32Array;
  result.dispose();
  return data;
}

describe('wasm gradient kernels', () => {
  it('registers Conv2DBackpropFilter once', () => {
    expect(tf.getKernel('Conv2DBackpropFilter', 'wasm')).toBeDefined();
    expect(registerWasmGradientKernels()).toEqual([]);
  });

  const cases: { x: number[]; k: number; cin: number; cout: number; s: number; pad: 'same' | 'valid' }[] = [
    { x: [2, 8, 8], k: 3, cin: 1, cout: 4, s: 1, pad: 'same' },
    { x: [3, 9, 7], k: 3, cin: 2, cout: 5, s: 2, pad: 'same' },
    { x: [2, 10, 10], k: 5, cin: 3, cout: 2, s: 1, pad: 'valid' },
    { x: [1, 11, 11], k: 3, cin: 4, cout: 3, s: 2, pad: 'valid' },
    { x: [4, 6, 6], k: 1, cin: 3, cout: 3, s: 1, pad: 'valid' },
    { x: [2, 7, 8], k: 2, cin: 2, cout: 2, s: 3, pad: 'same' },
  ];
  for (const [i, c] of cases.entries()) {
    it(`matches the cpu backend: ${JSON.stringify(c)}`, async () => {
      const [n, h, w] = c.x as [number, number, number];
      const oh = c.pad === 'same' ? Math.ceil(h / c.s) : Math.floor((h - c.k) / c.s) + 1;
      const ow = c.pad === 'same' ? Math.ceil(w / c.s) : Math.floor((w - c.k) / c.s) + 1;
      const xShape = [n, h, w, c.cin];
      const dyShape = [n, oh, ow, c.cout];
      const filterShape: [number, number, number, number] = [c.k, c.k, c.cin, c.cout];
      const expected = await filterGradient('cpu', xShape, dyShape, filterShape, c.s, c.pad, 100 + i);
      const before = tf.memory().numTensors;
      const actual = await filterGradient('wasm', xShape, dyShape, filterShape, c.s, c.pad, 100 + i);
      expect(tf.memory().numTensors).toBe(before);
      expect(actual.length).toBe(expected.length);
      let maxErr = 0;
      let maxRef = 0;
      for (let k = 0; k < actual.length; k++) {
        maxErr = Math.max(maxErr, Math.abs(actual[k]! - expected[k]!));
        maxRef = Math.max(maxRef, Math.abs(expected[k]!));
      }
      expect(maxErr / maxRef).toBeLessThan(1e-4);
    });
  }
});
