/**
 * How jobs reach a kernel worker thread (helperThread.ts), with the built worker
 * (out/main/kernelWorker.js, from `npm run build`): after a job the worker waits parked and the
 * next jobs go through the shared buffer; a worker parked too long, a job that needs a larger
 * buffer, or a worker that never parks take them as messages. Every job's output is checked.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { KernelThreads, registerWasmGradientKernels } from '../../src-main/engine/backend/wasmGradients';
import type { PostedTask } from '../../src-main/engine/backend/wasm/batchSplit';
import { ROOT } from '../support/engine';

const WORKER = join(ROOT, 'out', 'main', 'kernelWorker.js');
let threads: KernelThreads | null = null;

beforeAll(async () => {
  expect(existsSync(WORKER), `${WORKER} is missing: run \`npm run build\` first`).toBe(true);
  registerWasmGradientKernels(tf);
  await tf.setBackend('wasm');
});

afterEach(async () => {
  await threads?.terminate();
  threads = null;
});

/** Squares `n` values on the worker and checks the answer. */
function square(t: KernelThreads, n: number, seed: number): void {
  const data = new Float32Array(n);
  for (let i = 0; i < n; i++) data[i] = ((i * 7 + seed) % 13) - 6;
  const task: PostedTask = { task: { kind: 'kernel', kernel: 'Square', attrs: {} }, inputs: [{ name: 'x', shape: [n], data }], outElements: n };
  const { outputs } = t.parallel([task], () => null);
  const out = outputs[0]!;
  expect(out.length).toBe(n);
  for (const i of [0, 1, n >> 1, n - 1]) expect(out[i]).toBe(data[i]! * data[i]!);
}

describe('handing jobs to a kernel worker', () => {
  it('terminates a worker parked for a minute at once', async () => {
    const t = await KernelThreads.start(WORKER, 1, { parkMs: 60_000 });
    square(t, 100, 1);
    const started = Date.now();
    await t.terminate();
    expect(Date.now() - started).toBeLessThan(5_000);
  }, 60_000);

  // A long park, so that a slow machine cannot make the worker leave between two jobs.
  const LONG = 60_000;

  it('the first job goes as a message, the next ones through the buffer to the parked worker', async () => {
    threads = await KernelThreads.start(WORKER, 1, { parkMs: LONG });
    for (let k = 0; k < 5; k++) square(threads, 1000, k);
    expect(threads.handovers).toEqual({ message: 1, buffer: 4 });
  }, 60_000);

  it('a worker parked longer than parkMs is back in its event loop: the next job goes as a message', async () => {
    threads = await KernelThreads.start(WORKER, 1, { parkMs: 20 });
    square(threads, 100, 1);
    await sleep(500);
    square(threads, 100, 2);
    expect(threads.handovers).toEqual({ message: 2, buffer: 0 });
  }, 60_000);

  it('a job that needs a larger buffer reaches the parked worker as a message, and later jobs use the new buffer', async () => {
    threads = await KernelThreads.start(WORKER, 1, { parkMs: LONG });
    square(threads, 100, 1);
    square(threads, 3_000_000, 2); // 12 MB in and 12 MB out: more than the first 16 MiB
    square(threads, 100, 3);
    square(threads, 3_000_000, 4);
    expect(threads.handovers).toEqual({ message: 2, buffer: 2 });
  }, 60_000);

  it('a worker that does not park takes every job as a message', async () => {
    threads = await KernelThreads.start(WORKER, 1, { parkMs: 0 });
    for (let k = 0; k < 3; k++) square(threads, 100, k);
    expect(threads.handovers).toEqual({ message: 3, buffer: 0 });
  }, 60_000);

  it('a job that fails on the parked worker turns the threads off with its error', async () => {
    threads = await KernelThreads.start(WORKER, 1, { parkMs: LONG });
    square(threads, 100, 1);
    const task: PostedTask = { task: { kind: 'kernel', kernel: 'NoSuchKernel', attrs: {} }, inputs: [], outElements: 1 };
    expect(() => threads!.parallel([task], () => null)).toThrow(/NoSuchKernel/);
    expect(threads.failure).toMatch(/NoSuchKernel/);
    expect(threads.handovers).toEqual({ message: 1, buffer: 1 });
  }, 60_000);
});
