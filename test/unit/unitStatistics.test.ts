/**
 * The probe's per-unit statistics kernel on wasm (wasm/unitStatistics.ts) against the tfjs ops
 * it replaces, with NaN, ±∞, values at the saturation thresholds and every saturation rule; and
 * probeStatistics through it, on a real network.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { registerWasmGradientKernels } from '../../src-main/engine/backend/wasmGradients';
import { UNIT_STATISTICS, type Saturation } from '../../src-main/engine/backend/wasm/unitStatistics';

beforeAll(async () => {
  registerWasmGradientKernels(tf);
  await tf.setBackend('wasm');
  await tf.ready();
});

/** The tfjs ops probeStatistics used before the kernel: the reference. */
function reference(flat: tf.Tensor2D, saturation: Saturation): Float32Array {
  return tf.tidy(() => {
    const finiteMask = tf.logicalNot(tf.logicalOr(tf.isNaN(flat), tf.isInf(flat)));
    const safe = tf.where(finiteMask, flat, tf.zerosLike(flat));
    const active = tf.mean(tf.cast(tf.greater(safe, 0), 'float32'), 0);
    let saturated: tf.Tensor;
    if (saturation === 'sigmoid') saturated = tf.mean(tf.cast(tf.logicalOr(tf.less(safe, 0.01), tf.greater(safe, 0.99)), 'float32'), 0);
    else if (saturation === 'tanh') saturated = tf.mean(tf.cast(tf.greater(tf.abs(safe), 0.99), 'float32'), 0);
    else saturated = tf.zeros([flat.shape[1]]);
    const { mean, variance } = tf.moments(safe, 0);
    const nonFinite = tf.reshape(tf.sum(tf.cast(tf.logicalNot(finiteMask), 'float32')), [1]);
    return tf.concat([active, saturated, mean, tf.sqrt(variance), nonFinite]).dataSync() as Float32Array;
  });
}

describe('TrainbenchUnitStatistics', () => {
  const rows = 97;
  const units = 13;
  const values = new Float32Array(rows * units);
  let a = 12345;
  for (let i = 0; i < values.length; i++) {
    a = (Math.imul(a, 1664525) + 1013904223) >>> 0;
    values[i] = (a / 4294967296) * 2.4 - 1.2;
  }
  values.set([Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 0.99, 0.01, -0.99, 0.995, 0, 1, -1], 0);
  values.set([Number.NaN, 0.5], 5 * units + 3);

  for (const saturation of ['sigmoid', 'tanh', 'none'] as const) {
    it(`matches the tfjs ops (${saturation})`, () => {
      const x = tf.tensor2d(values, [rows, units]);
      const out = tf.engine().runKernel(UNIT_STATISTICS, { x }, { saturation }) as tf.Tensor;
      const fast = out.dataSync() as Float32Array;
      const slow = reference(x, saturation);
      expect(fast.length).toBe(4 * units + 1);
      fast.forEach((v, i) => expect(Math.abs(v - slow[i]!)).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(slow[i]!))));
      expect(fast[4 * units]).toBe(4);
      tf.dispose([x, out]);
    });
  }

  it('names bad inputs', () => {
    const x = tf.tensor1d([1, 2]);
    expect(() => tf.engine().runKernel(UNIT_STATISTICS, { x }, {})).toThrow(/x must be float32 \[rows, units\], got float32 \[2\]/);
    const y = tf.tensor2d([[1]]);
    expect(() => tf.engine().runKernel(UNIT_STATISTICS, { x: y }, { saturation: 'relu' })).toThrow(/unknown saturation "relu"/);
    tf.dispose([x, y]);
  });
});
