/**
 * The built engine splits the heavy wasm kernels across threads (batchSplit.ts): engine.info
 * says how many and why not more; a conv net trained on two threads is reproducible bit for bit
 * and follows the one-thread losses to rounding (the filter gradient's halves add in another
 * order); TRAINBENCH_THREADS sets the count and a bad value is named.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { EngineInfo, EventOf, JobInfo } from '@contract';
import type { EngineHost } from '../../src-main/host/engineHost';
import { nextEvent, startHost } from '../support/engine';
import { preset } from '../support/presets';

let host: EngineHost | null = null;
afterEach(() => {
  host?.dispose();
  host = null;
  delete process.env['TRAINBENCH_THREADS'];
});

/** Starts an engine with TRAINBENCH_THREADS=`threads` (the child inherits the environment). */
async function engineWith(threads: string): Promise<{ h: EngineHost; info: EngineInfo }> {
  host?.dispose();
  process.env['TRAINBENCH_THREADS'] = threads;
  host = startHost();
  const info = await host.start();
  delete process.env['TRAINBENCH_THREADS'];
  return { h: host, info };
}

let lastParallelism: JobInfo['parallelism'];

/** The first `steps` losses of mnist-cnn (batch 64: its second conv layer and first pooling split). */
async function firstLosses(h: EngineHost, steps: number): Promise<number[]> {
  const losses: number[] = [];
  let done: () => void = () => {};
  const enough = new Promise<void>((resolve) => (done = resolve));
  const off = h.onEvent((channel, payload) => {
    if (channel !== 'train.update') return;
    for (const point of (payload as EventOf<'train.update'>).points) if (point.loss !== null) losses.push(point.loss);
    if (losses.length >= steps) done();
  });
  const spec = preset('mnist-cnn', { epochs: 1, seed: 5 });
  const { jobId, parallelism } = (await h.request('train.start', { spec: { ...spec, monitor: { ...spec.monitor, probeSize: 32 } } })) as JobInfo;
  lastParallelism = parallelism;
  await enough;
  off();
  const ended = nextEvent<EventOf<'train.status'>>(h, 'train.status', (e) => e.status === 'stopped' || e.status === 'done');
  await h.request('train.stop', { jobId });
  await ended;
  return losses.slice(0, steps);
}

describe('kernel threads in the engine', () => {
  it('two threads train mnist-cnn reproducibly, on the one-thread losses to rounding', async () => {
    const two = await engineWith('2');
    expect(two.info.threads).toEqual({ count: 2, reason: null });
    const a = await firstLosses(two.h, 12);
    expect(lastParallelism).toEqual({ parts: 2, reason: null });
    const b = await firstLosses(two.h, 12);
    expect(b).toEqual(a);
    const one = await engineWith('1');
    expect(one.info.threads).toEqual({ count: 1, reason: 'TRAINBENCH_THREADS=1' });
    const c = await firstLosses(one.h, 12);
    expect(lastParallelism).toEqual({ parts: 1, reason: 'no kernel worker threads' });
    c.forEach((loss, i) => expect(Math.abs(loss - a[i]!)).toBeLessThanOrEqual(1e-4 * Math.abs(loss)));
    expect(a.at(-1)!).toBeLessThan(a[0]!);
  }, 120_000);

  it('names a TRAINBENCH_THREADS value it cannot use and runs on one thread', async () => {
    const { info } = await engineWith('two');
    expect(info.threads).toEqual({ count: 1, reason: 'TRAINBENCH_THREADS="two" is not a whole number from 1 to 64; using one thread' });
  }, 60_000);
});
