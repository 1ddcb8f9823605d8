/**
 * The wasm kernels that split their batch across worker threads (batchSplit.ts), on real tfjs
 * with the built worker (out/main/kernelWorker.js, from `npm run build`): the same values as one
 * thread (bit for bit where the parts are concatenated, to rounding for the summed filter
 * gradient), on even and uneven batches; nothing left on the heap; and a worker that fails
 * turns splitting off with the reason, the kernel still answering on one thread.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KernelThreads, registerWasmGradientKernels, splitWasmKernels } from '../../src-main/engine/backend/wasmGradients';
import type { KernelFn } from '../../src-main/engine/backend/wasm/kernelOps';
import { ROOT } from '../support/engine';

const WORKER = join(ROOT, 'out', 'main', 'kernelWorker.js');

/** Values from a seeded generator, with exact zeros (as after a ReLU) so pooling meets ties. */
function values(n: number, seed: number): Float32Array {
  let a = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    a = (Math.imul(a, 1664525) + 1013904223) >>> 0;
    const u = a / 4294967296 - 0.5;
    out[i] = u < -0.2 ? 0 : u;
  }
  return out;
}

interface Case {
  name: string;
  /** Every array the case's forward pass and gradients produce. */
  run(): Float32Array[];
  /** Which outputs are sums over the batch (compared to rounding, not bit for bit). */
  summed: number[];
}

function convCase(n: number, strides: number, pad: 'same' | 'valid'): Case {
  return {
    name: `conv2d batch ${n}, strides ${strides}, ${pad}`,
    summed: [2],
    run: () =>
      tf.tidy(() => {
        const x = tf.tensor4d(values(n * 9 * 9 * 3, 1 + n), [n, 9, 9, 3]);
        const filter = tf.tensor4d(values(3 * 3 * 3 * 4, 2), [3, 3, 3, 4]);
        const y = tf.conv2d(x, filter, strides, pad);
        const dy = tf.tensor(values(y.size, 3), y.shape);
        const [dx, dw] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, strides, pad).mul(dy).sum())([x, filter]);
        return [y.dataSync() as Float32Array, dx!.dataSync() as Float32Array, dw!.dataSync() as Float32Array];
      }),
  };
}

function poolCase(n: number, kind: 'max' | 'avg'): Case {
  return {
    name: `${kind} pooling batch ${n}`,
    summed: [],
    run: () =>
      tf.tidy(() => {
        const x = tf.tensor4d(values(n * 8 * 8 * 3, 5 + n), [n, 8, 8, 3]);
        const pool = (a: tf.Tensor): tf.Tensor => (kind === 'max' ? tf.maxPool(a as tf.Tensor4D, 2, 2, 'valid') : tf.avgPool(a as tf.Tensor4D, 3, 2, 'same'));
        const y = pool(x);
        const dy = tf.tensor(values(y.size, 6), y.shape);
        const dx = tf.grad((a: tf.Tensor) => pool(a).mul(dy).sum())(x);
        return [y.dataSync() as Float32Array, dx.dataSync() as Float32Array];
      }),
  };
}

function fusedCase(n: number): Case {
  return {
    name: `fused conv2d with bias and relu, batch ${n}`,
    summed: [],
    run: () =>
      tf.tidy(() => {
        const x = tf.tensor4d(values(n * 9 * 9 * 3, 11 + n), [n, 9, 9, 3]);
        const filter = tf.tensor4d(values(3 * 3 * 3 * 4, 12), [3, 3, 3, 4]);
        const bias = tf.tensor1d(values(4, 13));
        return [tf.fused.conv2d({ x, filter, strides: 1, pad: 'same', bias, activation: 'relu' }).dataSync() as Float32Array];
      }),
  };
}

const CASES: Case[] = [convCase(6, 1, 'same'), fusedCase(5), convCase(5, 2, 'valid'), convCase(7, 2, 'same'), poolCase(6, 'max'), poolCase(5, 'max'), poolCase(6, 'avg')];
const reference = new Map<string, Float32Array[]>();
let threads: KernelThreads;

beforeAll(async () => {
  expect(existsSync(WORKER), `${WORKER} is missing: run \`npm run build\` first`).toBe(true);
  registerWasmGradientKernels(tf);
  await tf.setBackend('wasm');
  await tf.ready();
  for (const c of CASES) reference.set(c.name, c.run());
  threads = await KernelThreads.start(WORKER, 1, { always: true });
  expect(splitWasmKernels(tf, threads).sort()).toEqual(['AvgPoolGrad', 'Conv2D', 'Conv2DBackpropFilter', 'Conv2DBackpropInput', 'FusedConv2D', 'MaxPoolGrad']);
}, 60_000);

afterAll(() => threads?.terminate());

describe('kernels split across two threads', () => {
  for (const c of CASES) {
    it(`${c.name}: the same values as one thread`, () => {
      const before = threads.splitCalls;
      const split = c.run();
      expect(threads.splitCalls).toBeGreaterThan(before);
      const ref = reference.get(c.name)!;
      split.forEach((got, i) => {
        if (c.summed.includes(i)) {
          const scale = Math.max(...ref[i]!.map(Math.abs));
          got.forEach((v, j) => expect(Math.abs(v - ref[i]![j]!)).toBeLessThanOrEqual(1e-5 * scale));
        } else {
          expect(Array.from(got)).toEqual(Array.from(ref[i]!));
        }
      });
    });
  }

  it('gives the split values bit for bit when it does not split (a busy machine): the filter gradient sums the same parts', () => {
    for (const c of CASES) {
      const split = c.run();
      threads.paused = true;
      const before = threads.splitCalls;
      const alone = c.run();
      threads.paused = false;
      expect(threads.splitCalls).toBe(before);
      alone.forEach((values, i) => expect(Array.from(values), `${c.name}, output ${i}`).toEqual(Array.from(split[i]!)));
    }
  });

  it('leaves nothing on the heap, and runs small calls whole by default', async () => {
    const ids = tf.engine().backend.numDataIds();
    const tensors = tf.memory().numTensors;
    CASES[0]!.run();
    expect(tf.engine().backend.numDataIds()).toBe(ids);
    expect(tf.memory().numTensors).toBe(tensors);
    const defaults = await KernelThreads.start(WORKER, 1);
    const fn = defaults.wrap('Conv2D', { split: ['x'], combine: 'concat', outShape: () => [1], work: () => 1000 }, () => {
      throw new Error('ran whole');
    });
    expect(() => fn({ inputs: { x: { dataId: {}, shape: [8, 2], dtype: 'float32' } }, backend: tf.backend(), attrs: {} })).toThrow('ran whole');
    expect(defaults.splitCalls).toBe(0);
    await defaults.terminate();
  });

  it('a worker that fails turns splitting off with the reason; the call and later ones run on one thread', () => {
    // A kernel the engine's thread has and the worker does not: the worker's part fails.
    const copy: KernelFn = ({ inputs, backend }) => {
      const x = inputs['x']!;
      const wasm = backend as { makeOutput(shape: number[], dtype: string): tf.TensorInfo; typedArrayFromHeap(i: tf.TensorInfo): Float32Array };
      const out = wasm.makeOutput(x.shape, 'float32');
      wasm.typedArrayFromHeap(out).set(wasm.typedArrayFromHeap(x));
      return out;
    };
    const wrapped = threads.wrap('TrainbenchTestOnlyCopy', { split: ['x'], combine: 'concat', outShape: (i, _a, n) => [n, ...i['x']!.shape.slice(1)], work: () => 1e9 }, copy);
    tf.registerKernel({ kernelName: 'TrainbenchTestOnlyCopy', backendName: 'wasm', kernelFunc: wrapped as unknown as tf.KernelFunc });
    const x = tf.tensor2d(values(8 * 3, 9), [8, 3]);
    // The call that meets the failure is computed again, whole, on this thread.
    const copied = tf.engine().runKernel('TrainbenchTestOnlyCopy', { x }, {}) as tf.Tensor;
    expect(Array.from(copied.dataSync())).toEqual(Array.from(x.dataSync()));
    expect(threads.threads).toBe(1);
    expect(threads.failure).toMatch(/kernel worker thread failed: wasm kernel "TrainbenchTestOnlyCopy" is not registered in the worker/);
    const before = threads.splitCalls;
    const again = CASES[0]!.run();
    expect(threads.splitCalls).toBe(before);
    expect(Array.from(again[0]!)).toEqual(Array.from(reference.get(CASES[0]!.name)![0]!));
    tf.dispose([x, copied]);
  });
});

describe('the choice between split and whole', () => {
  it('tries each once, then keeps the faster and retries the slower every 16th call', async () => {
    const { Choice } = await import('../../src-main/engine/backend/wasm/batchSplit');
    const choice = new Choice();
    expect(choice.split()).toBe(true);
    choice.record(true, 10);
    expect(choice.split()).toBe(false);
    choice.record(false, 6);
    const picks: boolean[] = [];
    for (let i = 3; i <= 32; i++) {
      const split = choice.split();
      picks.push(split);
      choice.record(split, split ? 10 : 6);
    }
    // Whole is faster: split only on the exploring calls (16 and 32).
    expect(picks.filter(Boolean)).toHaveLength(2);
    // The machine frees up: the split becomes faster and is kept.
    for (let i = 0; i < 40; i++) {
      const split = choice.split();
      choice.record(split, split ? 3 : 6);
    }
    const later = Array.from({ length: 15 }, () => {
      const split = choice.split();
      choice.record(split, split ? 3 : 6);
      return split;
    });
    expect(later.filter((s) => !s).length).toBeLessThanOrEqual(1);
  });

  it('with slack, keeps the split while it is at most that much slower, and explores as asked', async () => {
    const { Choice } = await import('../../src-main/engine/backend/wasm/batchSplit');
    const run = (splitMs: number): boolean[] => {
      const choice = new Choice(64, 1.1);
      return Array.from({ length: 128 }, () => {
        const split = choice.split();
        choice.record(split, split ? splitMs : 10);
        return split;
      });
    };
    // 5 % slower than whole: still split, whole only when exploring (and the first try).
    expect(run(10.5).filter((s) => !s)).toHaveLength(3);
    // 20 % slower: whole, the split only when exploring (and the first try).
    expect(run(12).filter(Boolean)).toHaveLength(3);
  });

  it('one slow call does not flip the choice', async () => {
    const { Choice } = await import('../../src-main/engine/backend/wasm/batchSplit');
    const choice = new Choice(64, 1.1);
    const picks: boolean[] = [];
    for (let i = 0; i < 128; i++) {
      const split = choice.split();
      picks.push(split);
      // Split 25 ms, whole 50 ms; the 20th call stalls for 200 ms.
      choice.record(split, i === 20 ? 200 : split ? 25 : 50);
    }
    // Whole only on the first try and when exploring (calls 64 and 128).
    expect(picks.filter((s) => !s)).toHaveLength(3);
  });
});
