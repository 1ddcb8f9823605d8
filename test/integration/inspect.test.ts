/**
 * Inspection through the engine, on a real saved run: relu-abs with seed 4 trains 60
 * full-batch steps with a snapshot every 5; its third first-layer unit fires at steps 5 and 10
 * and never again from step 15 on (found by training seeds 1–20). The engine reopens the run
 * from disk alone, and every answer passes the contract's schema (dispatch checks it).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventChannel, EventOf, InspectLayerView, InspectRun, InspectUnitView, JobInfo, LoadedDataset, ResponseMessage, Surface } from '@contract';
import { createEngine, type Engine } from '../../src-main/engine/engine';
import { dispatch } from '../../src-main/engine/dispatcher';
import { DatasetRegistry } from '../../src-main/engine/datasetRegistry';
import { preset } from '../support/presets';

let engine: Engine;
let datasets: DatasetRegistry;
let runsDir: string;
let runId: string;
let nextId = 1;
const statuses: EventOf<'train.status'>[] = [];

async function request<T>(channel: string, payload: unknown): Promise<T> {
  const answer = (await dispatch(engine.handlers, { type: 'request', id: nextId++, channel, payload })) as ResponseMessage;
  if (!answer.ok) throw new Error(`${answer.error.code}: ${answer.error.message}`);
  return answer.result as T;
}

beforeAll(async () => {
  datasets = new DatasetRegistry();
  runsDir = mkdtempSync(join(tmpdir(), 'tb-inspect-runs-'));
  engine = await createEngine({ backend: 'wasm', utilityProcess: false, datasets }, <C extends EventChannel>(channel: C, payload: EventOf<C>) => {
    if (channel === 'train.status') statuses.push(payload as EventOf<'train.status'>);
  });
  const spec = preset('relu-abs', { epochs: 60, seed: 4 });
  spec.monitor.snapshotEvery = 5;
  spec.monitor.probeEvery = 5;
  const job = await request<JobInfo>('train.start', { spec, runsDir });
  for (let i = 0; i < 600 && !statuses.some((s) => s.status === 'done' || s.status === 'failed'); i++) await new Promise((r) => setTimeout(r, 50));
  expect(statuses.at(-1)?.status).toBe('done');
  runId = basename(job.runDir!);
}, 60_000);

afterAll(() => {
  datasets.dispose();
  rmSync(runsDir, { recursive: true, force: true });
});

describe('inspecting a saved relu-abs run', () => {
  it('opens the run: its snapshots in order, its layers and its regenerated dataset', async () => {
    const run = await request<InspectRun>('inspect.open', { runId, runsDir });
    expect(run.snapshots.map((s) => s.step)).toEqual(Array.from({ length: 12 }, (_, i) => 5 * (i + 1)));
    expect(run.layers.map((l) => [l.name, l.units, l.activation])).toEqual([
      ['dense_1', 3, 'relu'],
      ['dense_2', 1, 'linear'],
    ]);
    expect(run.dataset).toMatchObject({ count: 1000, kind: 'points', task: 'regression', inputShape: [2] });
    expect(run.dataset.origin).toContain('abs');
  });

  it('finds the dead unit: all-zero activations on every sample, and the snapshot it died at', async () => {
    const layer = await request<InspectLayerView>('inspect.layer', { runId, runsDir, step: 60, layer: 'dense_1' });
    expect(layer.weights.map((w) => [w.role, w.shape])).toEqual([
      ['kernel', [2, 3]],
      ['bias', [3]],
    ]);
    expect(layer.weights[0]!.histogram.total).toBe(6);
    expect(layer.images).toBeNull();
    expect([...layer.units.active].map((a) => a === 0)).toEqual([false, false, true]);

    const unit = await request<InspectUnitView>('inspect.unit', { runId, runsDir, step: 60, layer: 'dense_1', unit: 2 });
    expect(unit.samples).toBe(1000);
    expect(unit.histogram.total).toBe(1000);
    expect(unit.histogram.zeros).toBe(1000);
    expect(unit.active).toBe(0);
    expect(unit.history).toHaveLength(12);
    expect(unit.history[1]!.active).toBeGreaterThan(0);
    expect(unit.diedAt).toBe(15);
    expect(unit.history.filter((h) => h.step >= 15).every((h) => h.active === 0)).toBe(true);
    expect(unit.weights).toHaveLength(12);
    expect(unit.weights[0]!.weights).toHaveLength(2);
    expect(unit.top[0]!.point).toHaveLength(2);

    // Asked again (and at another step), nothing is left behind on the backend.
    const tensors = tf.memory().numTensors;
    await request('inspect.unit', { runId, runsDir, step: 30, layer: 'dense_1', unit: 1 });
    await request('inspect.layer', { runId, runsDir, step: 35, layer: 'dense_2' });
    expect(tf.memory().numTensors).toBe(tensors);

    // A live unit at the same step: its top inputs in descending order, the bottom ascending.
    const live = await request<InspectUnitView>('inspect.unit', { runId, runsDir, step: 60, layer: 'dense_1', unit: 0, k: 5, sample: 400 });
    expect(live.samples).toBe(400);
    expect(live.diedAt).toBeNull();
    expect(live.histogram.zeros).toBeLessThan(400);
    const top = live.top.map((s) => s.value);
    expect(top).toEqual([...top].sort((a, b) => b - a));
    expect(live.bottom.map((s) => s.value)).toEqual(live.bottom.map((s) => s.value).sort((a, b) => a - b));
  });

  it('draws the input plane at a snapshot, the dead unit flat at zero', async () => {
    const early = await request<Surface>('inspect.surface', { runId, runsDir, step: 5 });
    const late = await request<Surface>('inspect.surface', { runId, runsDir, step: 60 });
    expect(late.units).toBe(3);
    expect(late.unitOutput).toHaveLength(41 * 41 * 3);
    const column = (s: Surface, u: number): number[] => Array.from({ length: s.size * s.size }, (_, i) => s.unitOutput[i * s.units + u]!);
    expect(column(early, 2).some((v) => v > 0)).toBe(true);
    // Dead on the data ([-1, 1]²); the plane reaches 1.2, where it may still bend: mostly zero.
    expect(column(late, 2).filter((v) => v > 0).length).toBeLessThan(column(early, 2).filter((v) => v > 0).length);
  });

  it('refuses what is not there, naming it', async () => {
    await expect(request('inspect.open', { runId: 'no-such-run', runsDir })).rejects.toThrow(/no run "no-such-run"/);
    await expect(request('inspect.open', { runId: '../etc', runsDir })).rejects.toThrow(/invalid-payload/);
    await expect(request('inspect.layer', { runId, runsDir, step: 7, layer: 'dense_1' })).rejects.toThrow(/no snapshot at step 7/);
    await expect(request('inspect.layer', { runId, runsDir, step: 60, layer: 'dense_9' })).rejects.toThrow(/no layer "dense_9"/);
    await expect(request('inspect.unit', { runId, runsDir, step: 60, layer: 'dense_1', unit: 3 })).rejects.toThrow(/has 3 units/);
  });

  it('refuses a run whose dataset file is gone, naming the path', async () => {
    const other = mkdtempSync(join(tmpdir(), 'tb-inspect-gone-'));
    const writer = new (await import('../../src-main/engine/runs/runWriter')).RunWriter(other, { ...preset('relu-abs'), dataset: { kind: 'csv', path: '/nowhere/points.csv' } }, 'wasm', {});
    writer.finish('done', null, null);
    await expect(request('inspect.open', { runId: basename(writer.dir), runsDir: other })).rejects.toThrow(/\/nowhere\/points\.csv: the dataset .* is not there any more/);
    const record = JSON.parse(readFileSync(join(writer.dir, 'run.json'), 'utf8')) as { spec: { dataset: { path: string } } };
    expect(record.spec.dataset.path).toBe('/nowhere/points.csv');
    rmSync(other, { recursive: true, force: true });
  });

  it('records where a dropped dataset came from, reloads it from there, and names the path once it is gone', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tb-inspect-csv-'));
    const csv = join(dir, 'points.csv');
    const rows = Array.from({ length: 120 }, (_, i) => {
      const x = ((i * 37) % 100) / 50 - 1;
      const y = ((i * 61) % 100) / 50 - 1;
      return `${x},${y},${Math.hypot(x, y).toFixed(4)}`;
    });
    writeFileSync(csv, `x,y,r\n${rows.join('\n')}\n`);
    const loaded = await request<LoadedDataset>('dataset.load', { source: { kind: 'csv', path: csv, task: 'regression' } });
    const spec = { ...preset('relu-abs', { epochs: 3, seed: 2 }), dataset: { kind: 'loaded' as const, id: loaded.summary.id } };
    spec.monitor.snapshotEvery = 1;
    const before = statuses.length;
    const job = await request<JobInfo>('train.start', { spec, runsDir });
    for (let i = 0; i < 400 && !statuses.slice(before).some((s) => s.status === 'done' || s.status === 'failed'); i++) await new Promise((r) => setTimeout(r, 50));
    const record = JSON.parse(readFileSync(join(job.runDir!, 'run.json'), 'utf8')) as { datasetOrigin: unknown };
    expect(record.datasetOrigin).toEqual({ kind: 'csv', path: csv, task: 'regression' });
    const id = basename(job.runDir!);
    const run = await request<InspectRun>('inspect.open', { runId: id, runsDir });
    expect(run.dataset).toMatchObject({ count: 120, origin: csv, kind: 'points' });
    rmSync(dir, { recursive: true, force: true });
    // A new engine (nothing cached) finds the file gone.
    const fresh = await createEngine({ backend: 'wasm', utilityProcess: false, datasets }, () => undefined);
    const answer = (await dispatch(fresh.handlers, { type: 'request', id: 1, channel: 'inspect.open', payload: { runId: id, runsDir } })) as ResponseMessage;
    expect(answer.ok).toBe(false);
    if (!answer.ok) expect(answer.error.message).toContain(`${csv}: the dataset run ${id} trained on is not there any more`);
  });
});
