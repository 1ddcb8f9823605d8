import { afterEach, describe, expect, it } from 'vitest';
import { ContractError, type EventOf } from '@contract';
import type { EngineHost } from '../../src-main/host/engineHost';
import { nextEvent, startHost } from '../support/engine';
import { preset } from '../support/presets';

let host: EngineHost | null = null;
afterEach(() => {
  host?.dispose();
  host = null;
});

async function runToEnd(h: EngineHost, epochs: number): Promise<{ losses: (number | null)[]; status: EventOf<'train.status'> }> {
  const losses: (number | null)[] = [];
  const off = h.onEvent((channel, payload) => {
    if (channel === 'train.update') for (const point of (payload as EventOf<'train.update'>).points) losses.push(point.loss);
  });
  const ended = nextEvent<EventOf<'train.status'>>(h, 'train.status', (e) => e.status === 'done' || e.status === 'failed');
  await h.request('train.start', { spec: preset('xor', { epochs, seed: 3 }) });
  const status = await ended;
  off();
  return { losses, status };
}

describe('engine process', () => {
  it('reports its tfjs version and backends, with why the others are missing', async () => {
    host = startHost();
    const info = await host.start();
    expect(info.tfjsVersion).toMatch(/^4\./);
    expect(info.backend).toBe('wasm');
    expect(info.utilityProcess).toBe(false);
    expect(info.backends.map((b) => b.name)).toEqual(['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu']);
    for (const b of info.backends) {
      if (!b.available) expect(b.reason).toMatch(/\w{8,}/);
    }
  });

  it('trains the xor preset and streams one loss per step, falling', async () => {
    host = startHost();
    const { losses, status } = await runToEnd(host, 200);
    expect(status.status).toBe('done');
    expect(losses).toHaveLength(200);
    expect(losses.every((l) => l !== null && Number.isFinite(l))).toBe(true);
    expect(losses.at(-1)!).toBeLessThan(losses[0]! / 5);
  });

  it('is reproducible for a seed', async () => {
    host = startHost();
    const a = await runToEnd(host, 30);
    const b = await runToEnd(host, 30);
    expect(b.losses).toEqual(a.losses);
  });

  it('runs one job at a time, pauses, resumes and stops', async () => {
    host = startHost();
    const { jobId } = (await host.request('train.start', { spec: preset('xor', { epochs: 100_000 }) })) as { jobId: string };
    await nextEvent<EventOf<'train.update'>>(host, 'train.update', (e) => e.jobId === jobId && (e.points.at(-1)?.epoch ?? 0) >= 5);
    await expect(host.request('train.start', { spec: preset('xor') })).rejects.toMatchObject({ code: 'busy' });
    expect(await host.request('train.pause', { jobId })).toEqual({ status: 'paused' });
    let during = 0;
    const off = host.onEvent((channel, payload) => void (channel === 'train.update' && (during += (payload as EventOf<'train.update'>).points.length)));
    await new Promise((r) => setTimeout(r, 300));
    off();
    expect(during).toBeLessThanOrEqual(1); // at most the epoch that was in flight
    expect(await host.request('train.resume', { jobId })).toEqual({ status: 'running' });
    await nextEvent(host, 'train.update', () => true);
    const stopped = nextEvent<EventOf<'train.status'>>(host, 'train.status', (e) => e.jobId === jobId && e.status === 'stopped');
    await host.request('train.stop', { jobId });
    await stopped;
    await expect(host.request('train.stop', { jobId: 'job-999' })).rejects.toMatchObject({ code: 'not-found' });
  });

  it('refuses malformed requests without dying', async () => {
    host = startHost();
    await host.start();
    await expect(host.request('train.start', { spec: { ...preset('xor'), training: { epochs: 0 } } })).rejects.toBeInstanceOf(ContractError);
    // Valid JSON, but not buildable: the error names the layer's field.
    const unbuildable = { ...preset('xor'), model: { layers: [{ type: 'conv2d', filters: 2 }, { type: 'dense', units: 1 }] } };
    await expect(host.request('train.start', { spec: unbuildable })).rejects.toMatchObject({ code: 'invalid-payload', issues: [{ path: 'spec.model.layers.0' }] });
    await expect(host.request('nope.nope', {})).rejects.toMatchObject({ code: 'unknown-channel' });
    expect((await host.request('engine.info', {})) as object).toHaveProperty('backend');
  });

  it('survives an engine crash: pending requests fail, clients hear it, a new engine starts', async () => {
    host = startHost();
    const first = await host.start();
    const { jobId } = (await host.request('train.start', { spec: preset('xor', { epochs: 100_000 }) })) as { jobId: string };
    await nextEvent(host, 'train.update', (e: EventOf<'train.update'>) => e.jobId === jobId);
    const crashed = nextEvent<EventOf<'engine.status'>>(host, 'engine.status', (e) => e.state === 'crashed');
    const ready = nextEvent<EventOf<'engine.status'>>(host, 'engine.status', (e) => e.state === 'ready');
    process.kill(first.pid, 'SIGKILL');
    expect((await crashed).message).toContain('SIGKILL');
    await ready;
    const second = (await host.request('engine.info', {})) as { pid: number };
    expect(second.pid).not.toBe(first.pid);
  });

  it('restarts on request, on another backend', async () => {
    host = startHost();
    await host.start();
    const info = (await host.request('engine.restart', { backend: 'cpu' })) as { backend: string };
    expect(info.backend).toBe('cpu');
  });
});

describe('event rate', () => {
  it('batches progress to at most ~30 events a second, whatever the epoch rate', async () => {
    host = startHost();
    let events = 0;
    let points = 0;
    const off = host.onEvent((channel, payload) => {
      if (channel !== 'train.update') return;
      events++;
      points += (payload as EventOf<'train.update'>).points.length;
    });
    const started = Date.now();
    // About 4 s alone; a machine busy with other test files can make it many times that.
    const ended = nextEvent<EventOf<'train.status'>>(host, 'train.status', (e) => e.status === 'done', 150_000);
    await host.request('train.start', { spec: preset('xor', { epochs: 3000 }) });
    await ended;
    off();
    const seconds = (Date.now() - started) / 1000;
    expect(points).toBe(3000);
    // One flush per 33 ms plus the final flush before the status change.
    expect(events).toBeLessThanOrEqual(Math.ceil(seconds * 31) + 2);
  }, 180_000);
});

describe('runs on disk', () => {
  it('a run killed mid-training reopens as interrupted with every complete record', async () => {
    const { mkdtempSync, readFileSync, readdirSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { decodeSafetensors } = await import('../../src-main/engine/runs/safetensors');
    const runsDir = mkdtempSync(join(tmpdir(), 'tb-kill-'));
    host = startHost({ runsDir });
    const first = await host.start();
    const spec = { ...preset('xor', { epochs: 100_000 }), monitor: { probeEvery: 10, probeSize: 64, snapshotEvery: 20, onNonFinite: 'stop' as const } };
    const job = (await host.request('train.start', { spec })) as { jobId: string; runDir: string };
    expect(job.runDir.startsWith(runsDir)).toBe(true);
    await nextEvent<EventOf<'train.update'>>(host, 'train.update', (e) => e.jobId === job.jobId && (e.points.at(-1)?.step ?? 0) > 200);
    const ready = nextEvent<EventOf<'engine.status'>>(host, 'engine.status', (e) => e.state === 'ready');
    process.kill(first.pid, 'SIGKILL');
    await ready;
    const runs = (await host.request('runs.list', {})) as { dir: string; status: string; steps: number | null }[];
    expect(runs).toHaveLength(1);
    expect(runs[0]!.status).toBe('interrupted');
    expect(runs[0]!.steps!).toBeGreaterThan(200);
    const lines = readFileSync(join(job.runDir, 'metrics.jsonl'), 'utf8').split('\n').filter((l) => l.endsWith('}'));
    for (const line of lines.slice(0, -1)) expect(() => JSON.parse(line)).not.toThrow();
    const snapshots = readdirSync(join(job.runDir, 'snapshots'));
    expect(snapshots.some((f) => f.includes('.tmp-'))).toBe(false);
    for (const file of snapshots) expect(decodeSafetensors(readFileSync(join(job.runDir, 'snapshots', file)), file).tensors.size).toBeGreaterThan(0);
  });
});
