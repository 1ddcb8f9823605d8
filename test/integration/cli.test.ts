import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI_PATH } from '../support/engine';

function trainbench(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [CLI_PATH, ...args], { encoding: 'utf8', timeout: 120_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('trainbench train', () => {
  it('trains a preset over several seeds and prints one JSON document, writing each run', () => {
    const runsDir = mkdtempSync(join(tmpdir(), 'tb-cli-'));
    const result = trainbench(['train', 'xor', '--repeat', '2', '--seed', '5', '--set', 'training.epochs=40', '--json', '--runs-dir', runsDir, '--backend', 'wasm']);
    expect(result.status, result.stderr).toBe(0);
    const doc = JSON.parse(result.stdout) as {
      backend: string;
      spec: { training: { epochs: number } };
      runs: { seed: number; runDir: string; status: string; epochs: { epoch: number; loss: number; metrics: { accuracy: number } }[]; final: { steps: number }; findings: { code: string; severity: string }[] }[];
      summary: { repeat: number; successRate: number; confidence95: [number, number] };
    };
    expect(doc.backend).toBe('wasm');
    expect(doc.spec.training.epochs).toBe(40);
    expect(doc.runs.map((r) => r.seed)).toEqual([5, 6]);
    for (const run of doc.runs) {
      expect(run.status).toBe('done');
      expect(run.epochs).toHaveLength(40);
      expect(run.epochs[0]!.metrics.accuracy).toBeGreaterThanOrEqual(0);
      // Healthy XOR: nothing worth a warning.
      expect(run.findings.filter((f) => f.severity !== 'info')).toEqual([]);
      expect(existsSync(join(run.runDir, 'run.json'))).toBe(true);
      const record = JSON.parse(readFileSync(join(run.runDir, 'run.json'), 'utf8')) as { status: string; seed: number; backend: string; versions: { tfjs: string } };
      expect(record).toMatchObject({ status: 'done', seed: run.seed, backend: 'wasm' });
      expect(record.versions.tfjs).toMatch(/^4\./);
      const lines = readFileSync(join(run.runDir, 'metrics.jsonl'), 'utf8').trim().split('\n');
      expect(lines.filter((l) => l.includes('"type":"epoch"'))).toHaveLength(40);
      expect(readdirSync(join(run.runDir, 'snapshots')).filter((f) => f.endsWith('.safetensors')).length).toBeGreaterThan(0);
    }
    expect(doc.runs[0]!.epochs.map((e) => e.loss)).not.toEqual(doc.runs[1]!.epochs.map((e) => e.loss));
    expect(doc.summary.repeat).toBe(2);
    expect(doc.summary.confidence95[0]).toBeLessThanOrEqual(doc.summary.successRate);
    expect(result.stderr).toContain('success:');
  });

  it('names the file and the field of a spec that is wrong', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tb-cli-'));
    const broken = join(dir, 'broken.json');
    writeFileSync(broken, JSON.stringify({ version: 1, dataset: { kind: 'builtin', name: 'abs' }, model: { layers: [{ type: 'dense', units: 0 }] } }));
    let result = trainbench(['train', broken]);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('broken.json');
    expect(result.stderr).toContain('model.layers.0.units');
    writeFileSync(broken, '{ not json');
    result = trainbench(['train', broken]);
    expect(result.stderr).toMatch(/broken\.json: not valid JSON/);
    result = trainbench(['train', 'no-such-preset']);
    expect(result.stderr).toMatch(/no-such-preset: no such file, and not a preset \(presets: .*relu-abs/);
    result = trainbench(['train', 'xor', '--set', 'training.epochs=-1']);
    expect(result.stderr).toContain('training.epochs');
    result = trainbench(['train', 'xor', '--frobnicate']);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('unknown option --frobnicate');
  });

  it('stops a run on NaN with exit code 0 and says where it appeared', () => {
    const runsDir = mkdtempSync(join(tmpdir(), 'tb-cli-'));
    const result = trainbench(['train', 'mnist-relu-nan', '--set', 'training.epochs=1', '--json', '--runs-dir', runsDir]);
    expect(result.status, result.stderr).toBe(0);
    const doc = JSON.parse(result.stdout) as { runs: { status: string; runDir: string; nonFinite: { step: number; tensor: string }; findings: { code: string; step: number; layer?: string; message: string }[] }[] };
    expect(doc.runs[0]!.status).toBe('stopped');
    expect(doc.runs[0]!.nonFinite.step).toBeLessThan(250);
    // Situation 3, diagnosed: the static checks before the first step, then the NaN/Inf with its step.
    const codes = doc.runs[0]!.findings.map((f) => f.code);
    expect(codes).toEqual(expect.arrayContaining(['loss-mismatch', 'unnormalized-input', 'non-finite']));
    expect(doc.runs[0]!.findings.find((f) => f.code === 'loss-mismatch')!.step).toBe(0);
    expect(doc.runs[0]!.findings.find((f) => f.code === 'non-finite')!.step).toBe(doc.runs[0]!.nonFinite.step);
    // The run folder holds them too.
    const lines = readFileSync(join(doc.runs[0]!.runDir, 'findings.jsonl'), 'utf8').trim().split('\n');
    expect(lines.length).toBeGreaterThanOrEqual(3);
    expect(result.stderr).toMatch(/(NaN|Inf) in the (loss|activation|gradient)/);
  });
});
