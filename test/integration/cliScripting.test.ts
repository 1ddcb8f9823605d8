/**
 * The CLI in scripts (issue 17): a --json document must arrive whole through a real pipe even
 * when the reader is slower than the writer (it was cut at 65,536 bytes: the process exited
 * before stdout drained), and COMMAND --help prints that command's usage and exits 0.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI_PATH } from '../support/engine';
import { numpyPython, runNumpy } from '../support/numpyFiles';

const runsDir = mkdtempSync(join(tmpdir(), 'tb-pipe-'));
afterAll(() => rmSync(runsDir, { recursive: true, force: true }));

/**
 * Runs the CLI with stdout on a pipe that nobody reads until the runs are over (stderr says
 * "final loss:"): the document is then written into a full pipe, as to a slow `python3 -c`.
 */
function throughSlowPipe(args: string[]): Promise<{ code: number | null; stdout: Buffer; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI_PATH, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    const chunks: Buffer[] = [];
    let stderr = '';
    child.stdout.pause();
    child.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      if (stderr.includes('final loss:')) setTimeout(() => child.stdout.resume(), 500);
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout: Buffer.concat(chunks), stderr }));
  });
}

describe('trainbench --json through a pipe', () => {
  it('a 40-seed relu-abs run arrives whole and parses', async () => {
    const { code, stdout, stderr } = await throughSlowPipe(['train', 'relu-abs', '--repeat', '40', '--json', '--runs-dir', runsDir, '--backend', 'wasm']);
    expect(code, stderr).toBe(0);
    // Far past the 64 KiB a pipe holds: the truncation this guards against.
    expect(stdout.length).toBeGreaterThan(256 * 1024);
    const doc = JSON.parse(stdout.toString('utf8')) as { runs: unknown[]; summary: { repeat: number } };
    expect(doc.runs).toHaveLength(40);
    expect(doc.summary.repeat).toBe(40);
  }, 600_000);
});

describe('trainbench COMMAND --help', () => {
  it.each(['serve', 'train', 'compare', 'info', 'gradcheck', 'export'])('%s --help and -h print its usage on stdout and exit 0', (command) => {
    for (const flag of ['--help', '-h']) {
      const r = spawnSync(process.execPath, [CLI_PATH, command, flag], { encoding: 'utf8', timeout: 60_000 });
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toMatch(new RegExp(`^usage:\\n  trainbench ${command}( |\\n)`));
      expect(r.stderr).toBe('');
    }
  });

  it('an unknown option is still a usage error (exit 2)', () => {
    const r = spawnSync(process.execPath, [CLI_PATH, 'train', 'xor', '--bogus'], { encoding: 'utf8', timeout: 60_000 });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/unknown option --bogus/);
  });
});

describe('trainbench train --data with dataset.* options', () => {
  const train = (data: string, sets: string[]): { spec: { dataset: Record<string, unknown> }; runs: { runDir: string; status: string }[] } => {
    const r = spawnSync(process.execPath, [CLI_PATH, 'train', 'xor', '--data', data, ...sets.flatMap((s) => ['--set', s]), '--set', 'training.epochs=2', '--json', '--runs-dir', runsDir, '--backend', 'wasm'], { encoding: 'utf8', timeout: 120_000 });
    expect(r.status, r.stderr).toBe(0);
    return JSON.parse(r.stdout) as { spec: { dataset: Record<string, unknown> }; runs: { runDir: string; status: string }[] };
  };

  it('a CSV with a count line and holes, filled and standardised per feature; run.json records how', () => {
    const rows = ['6,2,no,yes', 'x,y,label', '0.1,0.2,0', '0.9,NA,1', '0.2,0.8,1', '0.7,0.1,0', '?,0.5,1', '0.4,0.4,0'];
    const path = join(runsDir, 'points.csv');
    writeFileSync(path, `${rows.join('\n')}\n`);
    const doc = train(path, ['dataset.missing=fill', 'normalization=standardize']);
    expect(doc.spec.dataset).toMatchObject({ kind: 'csv', missing: 'fill' });
    const record = JSON.parse(readFileSync(join(doc.runs[0]!.runDir, 'run.json'), 'utf8')) as { dataPreparation: { normalization: string; standardization: { perFeature: boolean; mean: number[] }; csv: { countLine: string; missing: { policy: string; columns: { column: string; count: number }[] } } } };
    expect(record.dataPreparation.normalization).toBe('standardize');
    expect(record.dataPreparation.standardization.perFeature).toBe(true);
    expect(record.dataPreparation.standardization.mean).toHaveLength(2);
    expect(record.dataPreparation.csv.countLine).toBe('6,2,no,yes');
    expect(record.dataPreparation.csv.missing).toMatchObject({ policy: 'fill', columns: [{ column: 'x', count: 1 }, { column: 'y', count: 1 }] });
  });

  it.skipIf('missing' in numpyPython())('an .npz written by numpy', () => {
    runNumpy(runsDir, "rng = np.random.default_rng(2)\nx = rng.normal(size=(64, 2)).astype(np.float32)\nnp.savez(os.path.join(out, 'points.npz'), x=x, y=(x[:, 0] * x[:, 1] > 0).astype(np.int64))");
    const doc = train(join(runsDir, 'points.npz'), []);
    expect(doc.spec.dataset).toMatchObject({ kind: 'numpy' });
    expect(doc.runs[0]!.status).toBe('done');
  });
});

describe('trainbench export --to pytorch', () => {
  const exportArgs = (args: string[]): ReturnType<typeof spawnSync> => spawnSync(process.execPath, [CLI_PATH, 'export', ...args], { encoding: 'utf8', timeout: 120_000 });

  it.skipIf('missing' in numpyPython())('a loaded CSV goes to data.npz as training sees it: standardised per feature', () => {
    const path = join(runsDir, 'export.csv');
    writeFileSync(path, `x,y,label\n${Array.from({ length: 20 }, (_, i) => `${i * 10},${i % 3},${i % 2}`).join('\n')}\n`);
    const dir = join(runsDir, 'export-csv');
    const r = exportArgs(['xor', '--data', path, '--set', 'normalization=standardize', '--to', 'pytorch', dir, '--json']);
    expect(r.status, String(r.stderr)).toBe(0);
    const doc = JSON.parse(String(r.stdout)) as { files: { name: string }[]; data: string; weights: string | null };
    expect(doc.files.map((f) => f.name)).toEqual(['train.py', 'data.npz']);
    expect(doc.weights).toBeNull();
    runNumpy(dir, "d = np.load(os.path.join(out, 'data.npz'))\nassert d['x_train'].shape == (20, 2) and d['x_train'].dtype == np.float32, d['x_train'].shape\nassert np.allclose(d['x_train'].mean(axis=0), 0, atol=1e-5) and np.allclose(d['x_train'].std(axis=0), 1, atol=1e-3)\nassert d['y_train'].tolist() == [i % 2 for i in range(20)]");
  });

  it('a run goes with its final weights or a snapshot; refusals name what and exit 1, misuse exits 2', () => {
    const trained = spawnSync(process.execPath, [CLI_PATH, 'train', 'xor', '--set', 'training.epochs=4', '--set', 'monitor.snapshotEvery=2', '--json', '--runs-dir', runsDir, '--backend', 'wasm'], { encoding: 'utf8', timeout: 120_000 });
    expect(trained.status, trained.stderr).toBe(0);
    const runDir = (JSON.parse(trained.stdout) as { runs: { runDir: string }[] }).runs[0]!.runDir;
    const dir = join(runsDir, 'export-run');
    const r = exportArgs([runDir, '--to', 'pytorch', dir, '--weights', 'step-2', '--json']);
    expect(r.status, String(r.stderr)).toBe(0);
    const doc = JSON.parse(String(r.stdout)) as { files: { name: string }[]; run: string; weights: string };
    expect(doc.files.map((f) => f.name)).toEqual(['train.py', 'data.npz', 'weights.npz']);
    expect(doc.weights).toBe('the snapshot at step 2');
    expect(readFileSync(join(dir, 'train.py'), 'utf8')).toMatch(/^#!\/usr\/bin\/env python3\n/);

    const refused = exportArgs(['xor', '--set', 'training.optimizer.type=adagrad', '--to', 'pytorch', join(runsDir, 'export-no')]);
    expect(refused.status).toBe(1);
    expect(String(refused.stderr)).toMatch(/training\.optimizer "adagrad": tfjs divides by sqrt\(accumulator \+ 1e-7\)/);
    expect(exportArgs(['xor', '--to', 'pytorch', join(runsDir, 'export-no'), '--weights', 'final']).status).toBe(2);
    expect(exportArgs(['xor', '--to', 'onnx', join(runsDir, 'export-no')]).status).toBe(2);
    expect(exportArgs([runDir, '--to', 'pytorch', join(runsDir, 'export-no'), '--weights', 'step-3']).status).toBe(1);
  }, 180_000);
});
