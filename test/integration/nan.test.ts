/**
 * NaN (issue 9), through the engine process: a run that blows up is stopped with the
 * `non-finite` finding when the spec says stop, and trains on to its last epoch with the same
 * finding when it says continue; either way the engine answers afterwards. (The Train screen's
 * side, no exception in the page, is test/e2e/diagnosis.spec.ts.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventOf, Spec } from '@contract';
import type { EngineHost } from '../../src-main/host/engineHost';
import { nextEvent, startHost } from '../support/engine';
import { preset } from '../support/presets';
import { countTestsAs } from '../support/reliability';

countTestsAs('NaN');

let host: EngineHost;
beforeAll(async () => {
  host = startHost();
  await host.start();
});
afterAll(() => host.dispose());

/** |x+iy| on unbounded ReLU and linear units, MSE, SGD at a learning rate of 100: the weights overflow within a few steps. */
function exploding(onNonFinite: 'stop' | 'continue'): Spec {
  const base = preset('relu-abs', { epochs: 60, optimizer: { type: 'sgd', learningRate: 100 }, loss: { type: 'mse' } });
  const model = { layers: [{ type: 'dense', units: 16, activation: 'relu' }, { type: 'dense', units: 16, activation: 'relu' }, { type: 'dense', units: 1 }] } as Spec['model'];
  return { ...base, dataset: { kind: 'builtin', name: 'abs', size: 200, seed: 0 }, model, monitor: { ...base.monitor, onNonFinite } };
}

async function run(spec: Spec): Promise<{ status: EventOf<'train.status'>; nonFinite: EventOf<'train.nonFinite'>[]; codes: string[]; steps: number }> {
  const nonFinite: EventOf<'train.nonFinite'>[] = [];
  const codes: string[] = [];
  let steps = 0;
  const off = host.onEvent((channel, payload) => {
    if (channel === 'train.nonFinite') nonFinite.push(payload as EventOf<'train.nonFinite'>);
    if (channel === 'train.finding') codes.push((payload as EventOf<'train.finding'>).finding.code);
    if (channel === 'train.update') steps += (payload as EventOf<'train.update'>).points.length;
  });
  const { jobId } = (await host.request('train.start', { spec })) as { jobId: string };
  const status = await nextEvent<EventOf<'train.status'>>(host, 'train.status', (e) => e.jobId === jobId && e.status !== 'running' && e.status !== 'paused', 60_000);
  off();
  return { status, nonFinite, codes, steps };
}

describe('a run that produces NaN', () => {
  it('stops with the non-finite finding when configured to stop', async () => {
    const { status, nonFinite, codes, steps } = await run(exploding('stop'));
    expect(status.status).toBe('stopped');
    expect(nonFinite).toHaveLength(1);
    expect(codes).toContain('non-finite');
    expect(steps).toBeLessThan(60);
    expect(((await host.request('engine.info', {})) as { backend: string }).backend).toBe('wasm');
  });

  it('trains on to the last epoch with the finding when configured to continue', async () => {
    const { status, nonFinite, codes, steps } = await run(exploding('continue'));
    expect(status.status).toBe('done');
    expect(nonFinite.length).toBeGreaterThanOrEqual(1);
    expect(codes).toContain('non-finite');
    expect(steps).toBe(60);
  });
});
