import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { GradcheckReport, type GradcheckProgress } from '@contract';
import type { EngineHost } from '../../src-main/host/engineHost';
import { CLI_PATH, startHost } from '../support/engine';
import { preset } from '../support/presets';

let host: EngineHost | null = null;
afterEach(() => {
  host?.dispose();
  host = null;
});

function trainbench(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [CLI_PATH, ...args], { encoding: 'utf8', timeout: 120_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('diagnose.gradcheck through the engine', () => {
  it('answers a per-layer report that passes on the xor preset, with progress events up to the total', async () => {
    host = startHost();
    await host.start();
    const progress: GradcheckProgress[] = [];
    host.onEvent((channel, payload) => {
      if (channel === 'diagnose.gradcheck.progress') progress.push(payload as GradcheckProgress);
    });
    const report = GradcheckReport.parse(await host.request('diagnose.gradcheck', { spec: preset('xor'), seed: 3, samples: 4 }));
    expect(report.backend).toBe('wasm');
    expect(report.seed).toBe(3);
    expect(report.samples).toBe(4);
    expect(report.passed).toBe(true);
    expect(report.findings).toEqual([]);
    const xor = preset('xor');
    expect(report.layers.map((l) => l.type)).toEqual(xor.model.layers.filter((l) => l.type === 'dense' || l.type === 'conv2d' || l.type === 'batchNormalization').map((l) => l.type));
    for (const layer of report.layers) expect(layer.checked).toBeGreaterThan(0);
    expect(progress.length).toBeGreaterThanOrEqual(2);
    const last = progress[progress.length - 1]!;
    expect(last.done).toBe(last.total);
    expect(last.total).toBeGreaterThan(0);
  });

  it('refuses a spec it cannot build, naming the field, and stays up', async () => {
    host = startHost();
    await host.start();
    const unbuildable = { ...preset('xor'), model: { layers: [{ type: 'conv2d', filters: 2 }, { type: 'dense', units: 1 }] } };
    await expect(host.request('diagnose.gradcheck', { spec: unbuildable })).rejects.toMatchObject({ code: 'invalid-payload', issues: [{ path: 'spec.model.layers.0' }] });
    await expect(host.request('diagnose.gradcheck', { spec: preset('xor'), samples: 0 })).rejects.toMatchObject({ code: 'invalid-payload' });
    expect((await host.request('engine.info', {})) as object).toHaveProperty('backend');
  });
});

describe('trainbench gradcheck', () => {
  it('prints the per-layer table and exits 0 when every layer passes', () => {
    const result = trainbench(['gradcheck', 'xor', '--seed', '2', '--backend', 'wasm']);
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^gradient check of xor on wasm: 8 samples, seed 2, float32/);
    expect(result.stdout).toMatch(/layer\s+type\s+params\s+checked\s+skipped\s+max rel err\s+median rel err\s+result/);
    expect(result.stdout).toMatch(/dense_1\s+dense\s+[\d,]+\s+\d+\s+\d+\s+\S+\s+\S+\s+pass/);
    expect(result.stdout).toContain('passed:');
    expect(result.stdout).not.toContain('FAIL');
  });

  it('applies --set and prints the report as JSON with --json', () => {
    const result = trainbench(['gradcheck', 'xor', '--set', 'model.layers.0.activation=tanh', '--samples', '4', '--json', '--backend', 'wasm']);
    expect(result.status, result.stderr).toBe(0);
    const report = GradcheckReport.parse(JSON.parse(result.stdout));
    expect(report.samples).toBe(4);
    expect(report.passed).toBe(true);
  });

  it('exits 2 on a usage error and 1 on a spec that cannot be built, naming the field', () => {
    expect(trainbench(['gradcheck']).status).toBe(2);
    expect(trainbench(['gradcheck', 'xor', '--samples', '0']).status).toBe(2);
    const dir = mkdtempSync(join(tmpdir(), 'tb-gc-'));
    const file = join(dir, 'conv-on-points.json');
    writeFileSync(file, JSON.stringify({ ...preset('xor'), model: { layers: [{ type: 'conv2d', filters: 2 }, { type: 'dense', units: 1 }] } }));
    const result = trainbench(['gradcheck', file, '--backend', 'wasm']);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('spec.model.layers.0');
  });
});
