/**
 * Long runs, short form (issue 9; the long form is `npm run bench -- soak`): a small spec
 * trained for thousands of epochs in 40 s with probes and snapshots on, the engine sampled
 * through engine.memory every second. Bounds, after a warm-up quarter:
 *   - tensor count flat: the late median within 2 of the early one (a leak of one tensor per
 *     step would add thousands);
 *   - engine RSS growth below 48 MB (wasm's heap grows in steps and is never returned; a
 *     leak of one 1 KB array per step would pass 48 MB within the run);
 *   - latency stable: the late median of the engine.memory round trip and of the update
 *     gaps' p95 no more than 3× the early one plus 50 ms (a shared CI machine jitters).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Spec } from '@contract';
import type { EngineHost } from '../../src-main/host/engineHost';
import { startHost } from '../support/engine';
import { preset } from '../support/presets';
import { countTestsAs } from '../support/reliability';
import { soak, soakVerdict } from '../support/soak';

countTestsAs('long runs');

let host: EngineHost;
beforeAll(async () => {
  host = startHost();
  await host.start();
});
afterAll(() => host.dispose());

describe('soak', () => {
  it('trains for thousands of steps with flat tensors, bounded RSS and stable latency', async () => {
    const spec: Spec = { ...preset('relu-abs', { epochs: 100_000 }), monitor: { probeEvery: 20, probeSize: 64, snapshotEvery: 200, onNonFinite: 'continue' } };
    const samples = await soak(host, spec, 40, 1000);
    const verdict = soakVerdict(samples);
    console.log(`soak: ${samples.at(-1)!.steps} steps, ${samples.at(-1)!.epochs} epochs in 40 s; ${JSON.stringify(verdict)}`);
    expect(samples.at(-1)!.steps).toBeGreaterThan(1000);
    expect(Math.abs(verdict.tensorGrowth)).toBeLessThanOrEqual(2);
    expect(verdict.rssGrowthMB).toBeLessThan(48);
    expect(verdict.requestMs[1]).toBeLessThan(verdict.requestMs[0] * 3 + 50);
    expect(verdict.updateGapMs[1]).toBeLessThan(verdict.updateGapMs[0] * 3 + 50);
  }, 60_000);
});
