/**
 * What the wasm kernel tests share: seeded inputs, running one kernel on a backend (checking
 * that nothing leaks), comparing wasm against the cpu backend, and the conv2d cases' inputs and
 * dilated references.
 */
import * as tf from '@tensorflow/tfjs';
import { expect } from 'vitest';

export type Shape4 = [number, number, number, number];
export type Pad = 'same' | 'valid' | number | [[number, number], [number, number], [number, number], [number, number]];

/** A seeded generator of uniform values in [-1, 1), so that a failure can be replayed. */
export function random(size: number, seed: number, quantum = 0): Float32Array {
  let s = seed >>> 0 || 1;
  return Float32Array.from({ length: size }, () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    const u = ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    const v = u * 2 - 1;
    return quantum > 0 ? Math.round(v / quantum) * quantum : v;
  });
}

export const size = (shape: number[]): number => shape.reduce((a, b) => a * b, 1);

/** Max |a − b| over max |b|: the error relative to the reference's scale. */
export function relativeError(actual: Float32Array, expected: Float32Array): number {
  expect(actual.length).toBe(expected.length);
  let err = 0;
  let scale = 0;
  for (let i = 0; i < expected.length; i++) {
    err = Math.max(err, Math.abs(actual[i]! - expected[i]!));
    scale = Math.max(scale, Math.abs(expected[i]!));
  }
  if (!(scale > 0)) throw new Error('reference is all zeros: the case tests nothing');
  return Number.isNaN(err) ? Number.POSITIVE_INFINITY : err / scale;
}

export type Inputs = Record<string, { values: Float32Array; shape: number[] }>;

/** Runs one kernel on `backend` and returns its output, checking that no tensor or buffer leaks. */
export async function runKernel(backend: 'cpu' | 'wasm', name: string, inputs: Inputs, attrs: Record<string, unknown>): Promise<Float32Array> {
  expect(await tf.setBackend(backend)).toBe(true);
  const tensors = Object.fromEntries(Object.entries(inputs).map(([k, v]) => [k, tf.tensor(v.values, v.shape)]));
  const before = tf.memory().numTensors;
  // The kernels make their intermediates on the backend, where tf.memory() does not look.
  const buffersBefore = tf.backend().numDataIds();
  const out = tf.engine().runKernel(name, tensors, attrs as unknown as tf.NamedAttrMap) as tf.Tensor;
  expect(tf.memory().numTensors).toBe(before + 1);
  const values = (await out.data()) as Float32Array;
  out.dispose();
  expect(tf.backend().numDataIds()).toBe(buffersBefore);
  tf.dispose(Object.values(tensors));
  return values;
}

export async function compare(name: string, inputs: Inputs, attrs: Record<string, unknown>, reference?: () => Promise<Float32Array>): Promise<number> {
  const expected = reference ? await reference() : await runKernel('cpu', name, inputs, attrs);
  const actual = await runKernel('wasm', name, inputs, attrs);
  await tf.setBackend('wasm');
  return relativeError(actual, expected);
}

/** Inserts dilation−1 zeros between the taps of a [fH, fW, C, oC] filter. */
export function dilateFilter(values: Float32Array, [fh, fw, c, oc]: Shape4, [dh, dw]: [number, number]): { values: Float32Array; shape: Shape4 } {
  const eh = (fh - 1) * dh + 1;
  const ew = (fw - 1) * dw + 1;
  const out = new Float32Array(eh * ew * c * oc);
  for (let i = 0; i < fh; i++)
    for (let j = 0; j < fw; j++)
      for (let k = 0; k < c * oc; k++) out[((i * dh) * ew + j * dw) * c * oc + k] = values[(i * fw + j) * c * oc + k]!;
  return { values: out, shape: [eh, ew, c, oc] };
}

export function convCase(x: Shape4, f: [number, number], oc: number, strides: [number, number], pad: Pad, dilations: [number, number], seed: number) {
  const filterShape: Shape4 = [f[0], f[1], x[3], oc];
  const info = tf.backend_util.computeConv2DInfo(x, filterShape, strides, dilations, pad as 'same');
  return {
    filterShape,
    x: { values: random(size(x), seed), shape: x },
    dy: { values: random(size(info.outShape), seed + 1), shape: info.outShape as number[] },
    filter: { values: random(size(filterShape), seed + 2), shape: filterShape },
  };
}

/**
 * The cpu kernel has no dilations: for a dilated case, the gradient of the equivalent undilated
 * filter (zeros between the taps), keeping the taps.
 */
export function filterReference(c: ReturnType<typeof convCase>, attrs: Record<string, unknown>, d: [number, number]): (() => Promise<Float32Array>) | undefined {
  if (d[0] === 1 && d[1] === 1) return undefined;
  return async () => {
    const dilated = dilateFilter(c.filter.values, c.filterShape, d);
    const full = await runKernel('cpu', 'Conv2DBackpropFilter', { x: c.x, dy: c.dy }, { ...attrs, dilations: [1, 1], filterShape: dilated.shape });
    const [fh, fw, ch, oc] = c.filterShape;
    const ew = dilated.shape[1];
    const out = new Float32Array(size(c.filterShape));
    for (let a = 0; a < fh; a++)
      for (let b = 0; b < fw; b++)
        for (let q = 0; q < ch * oc; q++) out[(a * fw + b) * ch * oc + q] = full[(a * d[0] * ew + b * d[1]) * ch * oc + q]!;
    return out;
  };
}
