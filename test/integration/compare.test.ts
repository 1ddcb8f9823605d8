import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI_PATH } from '../support/engine';

function trainbench(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [CLI_PATH, ...args], { encoding: 'utf8', timeout: 120_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

interface Row {
  letter: string;
  label: string;
  sets: string[];
  spec: { model: { layers: { activation?: string }[] }; training: { epochs: number } };
  runs: { seed: number; status: string; epochs: unknown[]; final: { loss: number | null; success: boolean | null } }[];
  summary: { repeat: number; successes: number; judged: number; confidence95: [number, number]; finalLoss: { n: number; min: number; median: number; max: number }; findingsBySuccess: unknown[] };
}

describe('trainbench compare', () => {
  it('trains every spec on the same seeds and prints one row per spec', () => {
    const runsDir = mkdtempSync(join(tmpdir(), 'tb-compare-'));
    const result = trainbench(['compare', 'relu-abs', 'relu-abs', '--set', 'training.epochs=20', '--set', 'B:model.layers.0.activation=elu', '--repeat', '2', '--seed', '3', '--json', '--runs-dir', runsDir, '--backend', 'wasm']);
    expect(result.status, result.stderr).toBe(0);
    const doc = JSON.parse(result.stdout) as { backend: string; seeds: number[]; specs: Row[] };
    expect(doc.seeds).toEqual([3, 4]);
    expect(doc.specs.map((s) => s.letter)).toEqual(['A', 'B']);
    expect(doc.specs.map((s) => s.label)).toEqual(['relu-abs', 'relu-abs model.layers.0.activation=elu']);
    // The shared change reached both, the lettered one only B.
    expect(doc.specs.map((s) => s.spec.training.epochs)).toEqual([20, 20]);
    expect(doc.specs.map((s) => s.spec.model.layers[0]!.activation)).toEqual(['relu', 'elu']);
    for (const row of doc.specs) {
      expect(row.runs.map((r) => r.seed)).toEqual([3, 4]);
      for (const run of row.runs) {
        expect(run.status).toBe('done');
        expect(run.epochs).toHaveLength(20);
      }
      // 20 epochs are far too few for loss < 0.01: 0 of 2, interval [0, 0.66].
      expect(row.summary).toMatchObject({ repeat: 2, successes: 0, judged: 2 });
      expect(row.summary.confidence95[0]).toBe(0);
      expect(row.summary.confidence95[1]).toBeCloseTo(0.658, 2);
      const losses = row.runs.map((r) => r.final.loss!).sort((a, b) => a - b);
      expect(row.summary.finalLoss).toMatchObject({ n: 2, min: losses[0], max: losses[1] });
      expect(row.summary.finalLoss.median).toBeCloseTo((losses[0]! + losses[1]!) / 2, 12);
    }
    // Same seed, same initial weights, a different activation: a different end.
    expect(doc.specs[0]!.runs[0]!.final.loss).not.toBe(doc.specs[1]!.runs[0]!.final.loss);
    // The table: a header and one row per spec.
    const lines = result.stderr.split('\n');
    const header = lines.findIndex((l) => l.includes('success') && l.includes('95 % interval') && l.includes('median'));
    expect(header).toBeGreaterThan(0);
    expect(lines[header + 1]).toMatch(/^A\s+relu-abs\s+0\/2 0 %\s+0 %–66 %/);
    expect(lines[header + 2]).toMatch(/^B\s+relu-abs model\.layers\.0\.activation=elu\s+0\/2 0 %/);
  });

  it('refuses a lettered change for a spec that is not there, and fewer than two specs', () => {
    let result = trainbench(['compare', 'relu-abs', 'relu-abs', '--set', 'C:training.epochs=2']);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('--set C:training.epochs=2: there is no spec C (specs are A, B, in the order given)');
    result = trainbench(['compare', 'relu-abs']);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('compare needs 2 to 4 SPECs, got 1');
    result = trainbench(['compare', 'relu-abs', 'relu-abs', '--set', 'B:model.layers.0.units=0']);
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/spec B \(relu-abs\): relu-abs\.json: the spec is not valid:\n  model\.layers\.0\.units: /);
  });

  it('keeps training the other seeds when one stops on NaN', () => {
    const runsDir = mkdtempSync(join(tmpdir(), 'tb-compare-'));
    const result = trainbench(['train', 'mnist-relu-nan', '--set', 'training.epochs=1', '--repeat', '2', '--json', '--runs-dir', runsDir, '--backend', 'wasm']);
    expect(result.status, result.stderr).toBe(0);
    const doc = JSON.parse(result.stdout) as { runs: { seed: number; status: string; nonFinite: { step: number } | null }[]; summary: { nonFiniteLosses: number; finalLoss: unknown } };
    expect(doc.runs).toHaveLength(2);
    for (const run of doc.runs) {
      expect(run.status).toBe('stopped');
      expect(run.nonFinite).not.toBeNull();
    }
    expect(doc.summary.nonFiniteLosses).toBe(2);
    expect(doc.summary.finalLoss).toBeNull();
    expect(result.stderr).toContain('final loss: no finite final loss, 2 NaN/Inf or missing');
  });
});

interface FixDoc {
  runs: { seed: number; final: { success: boolean | null } }[];
  summary: { successes: number; judged: number };
  fix: { tried: boolean; reason?: string; fromSeed?: number; finding?: { code: string; layer?: string }; suggestion?: { label: string; set: Record<string, unknown> }; runs?: { seed: number; final: { success: boolean | null } }[]; summary?: { successes: number; judged: number; confidence95: [number, number] } };
}

describe('trainbench train --fix', () => {
  it('trains the first suggestion of the first failed seed on the same seeds and reports both rates', () => {
    const runsDir = mkdtempSync(join(tmpdir(), 'tb-fix-'));
    // relu-abs seeds 3 and 4 fail with dead units in its 3-unit layer.
    const result = trainbench(['train', 'relu-abs', '--fix', '--repeat', '2', '--seed', '3', '--json', '--runs-dir', runsDir, '--backend', 'wasm']);
    expect(result.status, result.stderr).toBe(0);
    const doc = JSON.parse(result.stdout) as FixDoc;
    expect(doc.summary).toMatchObject({ successes: 0, judged: 2 });
    expect(doc.fix.tried).toBe(true);
    expect(doc.fix.fromSeed).toBe(3);
    expect(doc.fix.finding?.code).toBe('dead-units');
    expect(doc.fix.suggestion?.set).toEqual({ 'model.layers.0.units': 12 });
    expect(doc.fix.runs?.map((r) => r.seed)).toEqual([3, 4]);
    expect(doc.fix.summary).toMatchObject({ successes: 2, judged: 2 });
    // The side-by-side table on stderr: the spec as it is (A) and with the fix (B).
    expect(result.stderr).toMatch(/^A\s+relu-abs as it is\s+0\/2/m);
    expect(result.stderr).toMatch(/^B\s+relu-abs \+ Give dense_1 12 units \(from 3\)\s+2\/2/m);
  }, 120_000);

  it('says so, and trains nothing more, when no seed failed', () => {
    const runsDir = mkdtempSync(join(tmpdir(), 'tb-fix-'));
    const result = trainbench(['train', 'relu-abs', '--fix', '--repeat', '1', '--seed', '1', '--json', '--runs-dir', runsDir, '--backend', 'wasm']);
    expect(result.status, result.stderr).toBe(0);
    const doc = JSON.parse(result.stdout) as FixDoc;
    expect(doc.runs[0]!.final.success).toBe(true);
    expect(doc.fix).toEqual({ tried: false, reason: 'no seed of 1 failed: there is nothing to fix' });
    expect(result.stderr).toContain('--fix: no seed of 1 failed');
  }, 120_000);
});
