/**
 * The Model screen's "PyTorch script" through the engine (`spec.export`): the spec as edited,
 * on a dataset loaded in the app (a CSV with a count line and a string label column), comes
 * back as one tar; unpacked, its train.py trains in a real PyTorch (Debian's python3-torch).
 * Refusals name the option. Every answer passes the contract's schema (dispatch checks it).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LoadedDataset, ResponseMessage, RunExport, SpecInput } from '@contract';
import { createEngine, type Engine } from '../../src-main/engine/engine';
import { dispatch } from '../../src-main/engine/dispatcher';
import { DatasetRegistry } from '../../src-main/engine/datasetRegistry';
import { readNpz } from '../../src-main/engine/datasets';
import { torchPython } from '../support/torchExport';

let engine: Engine;
let datasets: DatasetRegistry;
let dir: string;
let nextId = 1;

async function request<T>(channel: string, payload: unknown): Promise<{ ok: true; result: T } | { ok: false; code: string; message: string }> {
  const answer = (await dispatch(engine.handlers, { type: 'request', id: nextId++, channel, payload })) as ResponseMessage;
  return answer.ok ? { ok: true, result: answer.result as T } : { ok: false, code: answer.error.code, message: answer.error.message };
}

/** 60 rows of three well-separated classes, in the count-line layout of many public tabular sets. */
function writeCsv(path: string): void {
  const names = ['setosa', 'versicolor', 'virginica'];
  const rows = ['60,2,setosa,versicolor,virginica'];
  for (let i = 0; i < 60; i++) rows.push(`${(i % 3) * 4 + (i % 7) * 0.1},${(i % 3) * -2 + (i % 5) * 0.1},${names[i % 3]}`);
  writeFileSync(path, rows.join('\n') + '\n');
}

function unpack(tar: RunExport, into: string): string[] {
  const file = join(into, tar.fileName);
  writeFileSync(file, tar.bytes);
  const r = spawnSync('tar', ['-xf', file, '-C', into], { encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  return spawnSync('tar', ['-tf', file], { encoding: 'utf8' }).stdout.trim().split('\n');
}

beforeAll(async () => {
  datasets = new DatasetRegistry();
  dir = mkdtempSync(join(tmpdir(), 'tb-spec-export-'));
  engine = await createEngine({ backend: 'wasm', utilityProcess: false, datasets }, () => undefined);
});

afterAll(() => {
  datasets.dispose();
  rmSync(dir, { recursive: true, force: true });
});

describe('spec.export: the Model screen exports the spec being edited', () => {
  it('exports a spec on a CSV loaded in the app as a tar whose train.py trains in PyTorch', async () => {
    const csv = join(dir, 'three.csv');
    writeCsv(csv);
    const loaded = await request<LoadedDataset>('dataset.load', { source: { kind: 'csv', path: csv } });
    expect(loaded.ok, loaded.ok ? '' : loaded.message).toBe(true);
    const id = (loaded as { result: LoadedDataset }).result.summary.id;
    const spec: SpecInput = {
      version: 1,
      name: 'Three Flowers (v2)',
      dataset: { kind: 'loaded', id },
      model: { layers: [{ type: 'dense', units: 8, activation: 'relu' }, { type: 'dense', units: 3, activation: 'softmax' }] },
      training: { epochs: 3, batchSize: 16, seed: 5, optimizer: { type: 'adam', learningRate: 0.01 } },
    };
    const answer = await request<RunExport>('spec.export', { spec, to: 'pytorch' });
    expect(answer.ok, answer.ok ? '' : answer.message).toBe(true);
    const tar = (answer as { result: RunExport }).result;
    expect(tar).toMatchObject({ fileName: 'three-flowers-v2-pytorch.tar', mediaType: 'application/x-tar', path: null });
    expect(unpack(tar, dir).sort()).toEqual(['three-flowers-v2-pytorch/data.npz', 'three-flowers-v2-pytorch/train.py']);
    const out = join(dir, 'three-flowers-v2-pytorch');
    const script = readFileSync(join(out, 'train.py'), 'utf8');
    expect(script).toContain(`${csv} (three)`);
    expect(script).toContain('self.dense_2 = nn.Linear(8, 3, bias=True)');
    const arrays = await readNpz(join(out, 'data.npz'));
    const rows = arrays.get('x_train')!.shape[0]! + (arrays.get('x_test')?.shape[0] ?? 0);
    expect(rows).toBe(60);
    expect(arrays.get('x_train')!.shape[1]).toBe(2);

    const python = torchPython();
    if ('missing' in python) throw new Error(python.missing);
    const r = spawnSync(python.python, [join(out, 'train.py'), '--json'], { encoding: 'utf8', timeout: 120_000 });
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ seed: 5, epochs: 3 });
  }, 120_000);

  it('refuses an optimizer PyTorch runs differently, naming it, and writes nothing', async () => {
    const spec: SpecInput = { version: 1, dataset: { kind: 'builtin', name: 'xor' }, model: { layers: [{ type: 'dense', units: 2, activation: 'softmax' }] }, training: { optimizer: { type: 'rmsprop' } } };
    const answer = await request<RunExport>('spec.export', { spec, to: 'pytorch' });
    expect(answer).toMatchObject({ ok: false, code: 'invalid-payload' });
    expect((answer as { message: string }).message).toMatch(/^this model cannot be exported as a PyTorch script: training\.optimizer "rmsprop": tfjs /);
  });

  it('says which dataset is missing when the spec names one no longer loaded', async () => {
    const spec: SpecInput = { version: 1, dataset: { kind: 'loaded', id: 'gone-1' }, model: { layers: [{ type: 'dense', units: 2, activation: 'softmax' }] } };
    const answer = await request<RunExport>('spec.export', { spec, to: 'pytorch' });
    expect(answer).toMatchObject({ ok: false, code: 'invalid-payload' });
    expect((answer as { message: string }).message).toContain('no dataset "gone-1" is loaded');
  });

  it('rejects a request for another target by the contract', async () => {
    const answer = await request<RunExport>('spec.export', { spec: { version: 1, dataset: { kind: 'builtin', name: 'xor' }, model: { layers: [] } }, to: 'onnx' });
    expect(answer).toMatchObject({ ok: false, code: 'invalid-payload' });
  });
});
