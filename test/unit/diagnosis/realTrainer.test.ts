import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { Spec, type SpecInput } from '@contract';
import { Finding } from '@contract/findings';
import { Trainer } from '../../../src-main/engine/training/trainer';
import type { TrainingData } from '../../../src-main/engine/training/trainingData';
import { registerWasmGradientKernels } from '../../../src-main/engine/backend/wasmGradients';
import { builtinData } from '../../../src-main/engine/training/builtinData';
import { Diagnosis } from '../../../src-main/engine/diagnosis/diagnosis';
import { absData, imageData } from '../../support/data';

beforeAll(async () => {
  registerWasmGradientKernels(tf);
  await tf.setBackend('wasm');
  await tf.ready();
});

/** Trains a spec with the real trainer, feeding its stream to a Diagnosis as the engine will. */
async function diagnose(input: SpecInput, data: TrainingData): Promise<{ findings: Finding[]; status: string; ms: number }> {
  const spec = Spec.parse(input);
  let diagnosis: Diagnosis | null = null;
  let status = '';
  const trainer = new Trainer('job-d', spec, data, 'wasm', {
    onStart: (info) => {
      diagnosis = new Diagnosis(spec, info);
    },
    onStep: (point) => diagnosis!.onStep(point),
    onEpoch: (summary) => diagnosis!.onEpoch(summary),
    onProbe: (step, epoch, layers, surface) => diagnosis!.onProbe({ step, epoch, layers, surface }),
    onSnapshot: (snapshot) => diagnosis!.onSnapshot(snapshot),
    onNonFinite: (report) => diagnosis!.onNonFinite(report),
    onStatus: (s, final) => {
      status = s;
      if (final) diagnosis!.finish(final);
    },
  });
  await trainer.run();
  const d = diagnosis as Diagnosis | null;
  if (!d) throw new Error('the trainer never started');
  return { findings: d.findings().map((f) => Finding.parse(f)), status, ms: d.cost.ms };
}

const problems = (findings: Finding[]): string[] => findings.filter((f) => f.severity !== 'info').map((f) => `${f.code} ${f.layer ?? ''}: ${f.message}`);

describe('Diagnosis fed by the real trainer', () => {
  it('raises no warning or error on healthy small problems', async () => {
    const abs = await diagnose(
      {
        version: 1,
        dataset: { kind: 'builtin', name: 'abs' },
        model: { layers: [{ type: 'dense', units: 8, activation: 'relu', kernelInitializer: 'heNormal' }, { type: 'dense', units: 1 }] },
        training: { optimizer: { type: 'adam', learningRate: 0.02 }, loss: { type: 'mse' }, batchSize: 50, epochs: 40 },
        monitor: { probeEvery: 4, probeSize: 200, snapshotEvery: 40 },
      },
      absData(200),
    );
    expect(abs.status).toBe('done');
    expect(problems(abs.findings)).toEqual([]);

    const blobs: SpecInput = {
      version: 1,
      dataset: { kind: 'builtin', name: 'blobs', size: 300, seed: 1 },
      model: { layers: [{ type: 'dense', units: 16, activation: 'relu', kernelInitializer: 'heNormal' }, { type: 'dense', units: 3 }] },
      training: { optimizer: { type: 'adam', learningRate: 0.01 }, loss: { type: 'sparseCategoricalCrossentropy', fromLogits: true }, batchSize: 32, epochs: 20, validationSplit: 0.25 },
      monitor: { probeEvery: 5, probeSize: 225, snapshotEvery: 50 },
    };
    const classes = await diagnose(blobs, builtinData(Spec.parse(blobs)));
    expect(classes.status).toBe('done');
    expect(problems(classes.findings)).toEqual([]);
  });

  it('names the layer and units a -5 bias kills', async () => {
    const { findings } = await diagnose(
      {
        version: 1,
        dataset: { kind: 'builtin', name: 'abs' },
        model: {
          layers: [
            { type: 'dense', units: 4, activation: 'relu', biasInitializer: { type: 'randomUniform', min: -5, max: -5 } },
            { type: 'dense', units: 1 },
          ],
        },
        training: { optimizer: { type: 'adam', learningRate: 0.02 }, loss: { type: 'mse' }, batchSize: 50, epochs: 10 },
        monitor: { probeEvery: 4, probeSize: 64 },
      },
      absData(200),
    );
    const dead = findings.find((f) => f.code === 'dead-units');
    expect(dead).toMatchObject({ layer: 'dense_1', units: [0, 1, 2, 3], severity: 'warning', step: 4 });
    expect(dead!.message).toMatch(/^All 4 ReLUs in dense_1 output 0 on all of the 64 probe samples, since step 4/);
    expect(dead!.suggestions.some((s) => s.set['model.layers.0.biasInitializer'] === 'zeros')).toBe(true);
  });

  it('names the step, layer and tensor where NaN first appears', async () => {
    const { findings, status } = await diagnose(
      {
        version: 1,
        dataset: { kind: 'builtin', name: 'mnist' },
        model: { layers: [{ type: 'flatten' }, { type: 'dense', units: 64, activation: 'relu' }, { type: 'dense', units: 3 }] },
        training: { optimizer: { type: 'sgd', learningRate: 0.5 }, loss: { type: 'mse' }, batchSize: 8, epochs: 5 },
      },
      imageData(64, [8, 8, 1], 3, 0, 1),
    );
    expect(status).toBe('stopped');
    const nf = findings.find((f) => f.code === 'non-finite')!;
    expect(nf.severity).toBe('error');
    expect(nf.step).toBeGreaterThan(0);
    expect(['activation', 'loss', 'gradient']).toContain(nf.evidence['tensor']);
    expect(nf.message).toMatch(/appeared at step \d+ \(epoch \d+\), first in/);
  });
});
