import { existsSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { parseRequest, Spec } from '@contract';
import { RunWriter } from '../../src-main/engine/runs/runWriter';
import { listRuns } from '../../src-main/engine/runs/runStore';
import { exportRun, metricsCsv, moveToRunsTrash, renameRun, resolveRunDir, tagRun } from '../../src-main/engine/runs/runActions';
import { RunsHost, type RunShell } from '../../src-main/host/runsHost';
import { RunsFolderSetting } from '../../src-main/host/runsFolder';

const spec = Spec.parse({ version: 1, name: 'tiny', dataset: { kind: 'builtin', name: 'abs' }, model: { layers: [{ type: 'dense', units: 1 }] } });

/** A finished run in a fresh runs folder. */
function makeRun(): { root: string; id: string; dir: string } {
  const root = mkdtempSync(join(tmpdir(), 'tb-actions-'));
  const writer = new RunWriter(root, spec, 'wasm', { tfjs: '4.22.0' });
  writer.appendMetrics([
    { type: 'step', step: 0, epoch: 0, loss: 1.5, layerGradNorms: [0.1] },
    { type: 'epoch', epoch: 0, step: 1, loss: 0.9, accuracy: null, valLoss: 1.1, valAccuracy: null },
    { type: 'epoch', epoch: 1, step: 2, loss: 0.7, accuracy: null, valLoss: 1.3, valAccuracy: null },
  ]);
  writer.appendFinding({ change: 'new', code: 'dead-units', severity: 'warning', step: 3, epoch: 0, layer: 'dense_1', units: [0], evidence: { fraction: 0.5 }, message: '1 of 2 units never fire', suggestions: [{ label: 'use leakyRelu', set: { 'model.layers.0.activation': 'leakyRelu' } }] });
  writer.appendFinding({ change: 'update', code: 'dead-units', severity: 'warning', step: 3, epoch: 0, layer: 'dense_1', units: [0, 1], evidence: { fraction: 1 }, message: '2 of 2 units never fire', suggestions: [] });
  writer.finish('done', null, null);
  return { root, id: listRuns(root)[0]!.id, dir: writer.dir };
}

describe('run actions', () => {
  it('renames and tags a run in run.json, and lists the best metric', () => {
    const { root, id, dir } = makeRun();
    expect(renameRun(root, id, '  first try ')).toMatchObject({ id, name: 'first try', specName: 'tiny' });
    const tagged = tagRun(root, id, ['relu', ' baseline ', 'relu']);
    expect(tagged.tags).toEqual(['relu', 'baseline']);
    // No accuracy in this run: the lowest validation loss is the best it did.
    expect(tagged.best).toEqual({ metric: 'valLoss', value: 1.1, epoch: 0 });
    const record = JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8')) as { name: string; tags: string[]; spec: { name: string } };
    expect(record).toMatchObject({ name: 'first try', tags: ['relu', 'baseline'], spec: { name: 'tiny' } });
  });

  it('refuses run ids that leave the runs folder, at the contract and again on disk', () => {
    const { root } = makeRun();
    const outside = mkdtempSync(join(tmpdir(), 'tb-outside-'));
    writeFileSync(join(outside, 'run.json'), JSON.stringify({ name: 'not yours' }));
    symlinkSync(outside, join(root, 'linked'));
    for (const runId of ['..', '../x', '.trash', 'a/b', '/etc', 'a\\b', '']) {
      expect(() => parseRequest('runs.delete', { runId }), runId).toThrow(/runs\.delete request: runId/);
      expect(() => resolveRunDir(root, runId), runId).toThrow();
    }
    expect(() => resolveRunDir(root, 'linked')).toThrow(/no run "linked"/);
    expect(() => renameRun(root, 'missing', 'x')).toThrow(/no run "missing" in/);
    expect(() => tagRun(root, '..', ['x'])).toThrow(/run id "\.\."/);
  });

  it('moves a deleted run to <runs>/.trash in serve mode, never listing it again', () => {
    const { root, id } = makeRun();
    const target = moveToRunsTrash(root, id);
    expect(target).toBe(join(root, '.trash', id));
    expect(existsSync(join(target, 'run.json'))).toBe(true);
    expect(listRuns(root)).toEqual([]);
    expect(() => moveToRunsTrash(root, id)).toThrow(/no run/);
  });

  it('refuses to delete a run that is still training', () => {
    const root = mkdtempSync(join(tmpdir(), 'tb-actions-'));
    const writer = new RunWriter(root, spec, 'wasm', {});
    expect(() => moveToRunsTrash(root, listRuns(root)[0]!.id)).toThrow(/still running: stop it/);
    expect(existsSync(writer.dir)).toBe(true);
  });

  it('exports metrics as CSV (scalars only) and findings as Markdown (updates folded in)', () => {
    const { root, id } = makeRun();
    const csv = new TextDecoder().decode(exportRun(root, id, 'metrics-csv').bytes);
    expect(csv.split('\n')[0]).toBe('type,step,epoch,loss,accuracy,valLoss,valAccuracy');
    expect(csv.split('\n')[1]).toBe('step,0,0,1.5,,,');
    expect(csv.split('\n')[3]).toBe('epoch,2,1,0.7,,1.3,');
    expect(metricsCsv('{"type":"step","note":"a,b"}\n')).toBe('type,note\nstep,"a,b"\n');
    const md = new TextDecoder().decode(exportRun(root, id, 'findings-md').bytes);
    expect(md).toContain('## warning: dead-units in dense_1');
    expect(md).toContain('2 of 2 units never fire');
    expect(md).not.toContain('1 of 2 units never fire');
    expect(md).toContain('| fraction | 1 |');
    expect(() => exportRun(root, id, 'model')).toThrow(/has no model: the run ended before a model was written/);
  });

  it('exports the model folder as a tar that tar itself reads', () => {
    const { root, id, dir } = makeRun();
    mkdirSync(join(dir, 'model'));
    writeFileSync(join(dir, 'model', 'model.json'), JSON.stringify({ modelTopology: {}, weightsManifest: [{ paths: ['weights.bin'], weights: [] }] }));
    writeFileSync(join(dir, 'model', 'weights.bin'), Buffer.from([1, 2, 3, 4, 5]));
    const result = exportRun(root, id, 'model');
    expect(result).toMatchObject({ fileName: `${id}-model.tar`, path: join(dir, 'model') });
    const out = mkdtempSync(join(tmpdir(), 'tb-tar-'));
    writeFileSync(join(out, 'm.tar'), result.bytes);
    const tar = spawnSync('tar', ['-xf', 'm.tar'], { cwd: out });
    expect(tar.status, tar.stderr.toString()).toBe(0);
    expect([...readFileSync(join(out, 'model', 'weights.bin'))]).toEqual([1, 2, 3, 4, 5]);
    expect(readFileSync(join(out, 'model', 'model.json'), 'utf8')).toContain('weightsManifest');
  });
});

describe('runs host channels', () => {
  it('deletes to the system trash and reveals through the shell the desktop app lends', async () => {
    const { root, id, dir } = makeRun();
    const calls: string[] = [];
    const shell: RunShell = { trash: async (path) => void calls.push(`trash ${path}`), reveal: (path) => void calls.push(`reveal ${path}`) };
    const host = new RunsHost(new RunsFolderSetting(root, null, {}), shell);
    expect(await host.handle('runs.reveal', { runId: id })).toEqual({ path: dir, shown: true });
    expect(await host.handle('runs.delete', { runId: id })).toEqual({ runId: id, where: 'system-trash', path: null });
    expect(calls).toEqual([`reveal ${dir}`, `trash ${dir}`]);
    await expect(host.handle('runs.delete', { runId: 'nope' })).rejects.toThrow(/no run "nope"/);
  });

  it('in serve mode reveals only the path and deletes into .trash', async () => {
    const { root, id, dir } = makeRun();
    const host = new RunsHost(new RunsFolderSetting(root, null, {}));
    expect(await host.handle('runs.reveal', { runId: id })).toEqual({ path: dir, shown: false });
    expect(await host.handle('runs.delete', { runId: id })).toEqual({ runId: id, where: 'runs-trash', path: join(root, '.trash', id) });
  });

  it('sets and saves the runs folder; --runs-dir and the environment win at the next start', async () => {
    const base = mkdtempSync(join(tmpdir(), 'tb-settings-'));
    const file = join(base, 'config', 'settings.json');
    const host = new RunsHost(new RunsFolderSetting(undefined, file, {}, join(base, 'default')));
    expect(await host.handle('runs.folder', {})).toEqual({ path: join(base, 'default'), source: 'default', settingsFile: file });
    await expect(host.handle('runs.folder', { path: 'relative/runs' })).rejects.toThrow(/give an absolute path/);
    const chosen = join(base, 'chosen');
    expect(await host.handle('runs.folder', { path: chosen })).toMatchObject({ path: chosen, source: 'settings' });
    expect(existsSync(chosen)).toBe(true);
    expect(new RunsFolderSetting(undefined, file, {}).get()).toMatchObject({ path: chosen, source: 'settings' });
    expect(new RunsFolderSetting(join(base, 'flag'), file, {}).get()).toMatchObject({ path: join(base, 'flag'), source: 'flag' });
    expect(new RunsFolderSetting(undefined, file, { TRAINBENCH_RUNS_DIR: join(base, 'env') }).get()).toMatchObject({ source: 'env' });
  });
});
