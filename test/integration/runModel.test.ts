// The final model through the real engine: written at the end of a run, loadable by tfjs,
// exported as a tar; never written from NaN weights, with run.json saying why.
import * as tf from '@tensorflow/tfjs';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Spec, type EventOf, type RunSummary } from '@contract';
import type { EngineHost } from '../../src-main/host/engineHost';
import { folderModelHandler } from '../../src-main/engine/runs/modelExport';
import { nextEvent, startHost } from '../support/engine';
import { preset } from '../support/presets';

let host: EngineHost | null = null;
afterEach(() => {
  host?.dispose();
  host = null;
});

async function trainToEnd(spec: Spec): Promise<{ runDir: string; status: EventOf<'train.status'> }> {
  const runsDir = mkdtempSync(join(tmpdir(), 'tb-model-run-'));
  host = startHost({ runsDir });
  await host.start();
  const job = (await host.request('train.start', { spec })) as { jobId: string; runDir: string };
  const status = await nextEvent<EventOf<'train.status'>>(host, 'train.status', (e) => e.jobId === job.jobId && e.status !== 'running', 60_000);
  return { runDir: job.runDir, status };
}

describe('the final model of a run', () => {
  it('is in model/ when the run ends, loads with tf.loadLayersModel, and exports as a tar', async () => {
    const { runDir, status } = await trainToEnd(preset('xor', { epochs: 3, seed: 1 }));
    expect(status.status).toBe('done');
    const record = JSON.parse(readFileSync(join(runDir, 'run.json'), 'utf8')) as { status: string; model: unknown };
    expect(record).toMatchObject({ status: 'done', model: { written: true, path: 'model/model.json', reason: null } });
    await tf.setBackend('cpu');
    const model = await tf.loadLayersModel(folderModelHandler(join(runDir, 'model')));
    const out = model.predict(tf.tensor2d([[0.5, -0.5]])) as tf.Tensor;
    const [p] = await out.data();
    expect(p).toBeGreaterThan(0);
    expect(p).toBeLessThan(1);
    out.dispose();
    model.dispose();
    const runId = runDir.split('/').at(-1)!;
    const [summary] = (await host!.request('runs.list', {})) as RunSummary[];
    expect(summary).toMatchObject({ id: runId, hasModel: true });
    const exported = (await host!.request('runs.export', { runId, what: 'model' })) as { fileName: string; bytes: Uint8Array };
    expect(exported.fileName).toBe(`${runId}-model.tar`);
    // ustar: the first entry's name, then the magic at byte 257.
    expect(new TextDecoder().decode(exported.bytes.subarray(0, 16))).toBe('model/model.json');
    expect(new TextDecoder().decode(exported.bytes.subarray(257, 262))).toBe('ustar');
  });

  it('is not written when the weights went to NaN, and run.json says why', async () => {
    const base = preset('xor');
    const spec = Spec.parse({
      ...base,
      dataset: { kind: 'builtin', name: 'abs', size: 200, seed: 0 },
      model: { layers: [{ type: 'dense', units: 4, activation: 'linear' }, { type: 'dense', units: 1, activation: 'linear' }] },
      training: { ...base.training, epochs: 20, optimizer: { type: 'sgd', learningRate: 100 }, loss: { type: 'mse' } },
      // 'continue': on 'stop' the trainer keeps the last finite weights, and a model of those is written.
      monitor: { ...base.monitor, onNonFinite: 'continue' },
      success: undefined,
    });
    const { runDir, status } = await trainToEnd(spec);
    expect(status.status).toBe('done');
    expect(existsSync(join(runDir, 'model'))).toBe(false);
    const record = JSON.parse(readFileSync(join(runDir, 'run.json'), 'utf8')) as { model: { written: boolean; reason: string } };
    expect(record.model.written).toBe(false);
    expect(record.model.reason).toMatch(/not written: the weights at step \d+ are not finite \(dense_\d\/(kernel|bias) holds (NaN|Inf)/);
    await expect(host!.request('runs.export', { runId: runDir.split('/').at(-1)!, what: 'model' })).rejects.toThrow(/has no model: not written: the weights/);
  });
});
