import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { Spec, type Surface, type NonFiniteReport, type ProbeLayer, type RunFinal, type Snapshot, type SpecInput, type StepPoint, type EpochSummary, type JobStatus } from '@contract';
import { Trainer, SpecError } from '../../src-main/engine/training/trainer';
import type { TrainingData } from '../../src-main/engine/training/trainingData';
import { absData, imageData } from '../support/data';
import { registerWasmGradientKernels } from '../../src-main/engine/backend/wasmGradients';

beforeAll(async () => {
  registerWasmGradientKernels(tf);
  await tf.setBackend('wasm');
  await tf.ready();
});

interface Recorded {
  steps: StepPoint[];
  epochs: EpochSummary[];
  probes: ProbeLayer[][];
  surfaces: Surface[];
  snapshots: Snapshot[];
  nonFinite: NonFiniteReport[];
  statuses: { status: JobStatus; final?: RunFinal; error?: string }[];
}

async function train(input: SpecInput, data: TrainingData): Promise<Recorded> {
  const spec = Spec.parse(input);
  const r: Recorded = { steps: [], epochs: [], probes: [], surfaces: [], snapshots: [], nonFinite: [], statuses: [] };
  const trainer = new Trainer('job-t', spec, data, 'wasm', {
    onStep: (point) => r.steps.push(point),
    onEpoch: (summary) => r.epochs.push(summary),
    onProbe: (_s, _e, layers, surface) => {
      r.probes.push(layers);
      if (surface) r.surfaces.push(surface);
    },
    onSnapshot: (s) => r.snapshots.push(s),
    onNonFinite: (report) => r.nonFinite.push(report),
    onStatus: (status, final, error) => r.statuses.push({ status, final, error }),
  });
  await trainer.run();
  return r;
}

const absSpec = (over: Partial<SpecInput['training']> = {}, layers?: SpecInput['model']['layers']): SpecInput => ({
  version: 1,
  dataset: { kind: 'builtin', name: 'abs' },
  model: { layers: layers ?? [{ type: 'dense', units: 8, activation: 'relu' }, { type: 'dense', units: 1 }] },
  training: { optimizer: { type: 'adam', learningRate: 0.02 }, loss: { type: 'mse' }, batchSize: 50, epochs: 20, ...over },
  monitor: { probeEvery: 4, probeSize: 64 },
});

describe('trainer', () => {
  it('learns, and reports per-step and per-layer measurements', async () => {
    const r = await train(absSpec(), absData(200));
    expect(r.statuses.at(-1)!.status).toBe('done');
    expect(r.steps).toHaveLength(20 * 4);
    expect(r.epochs).toHaveLength(20);
    expect(r.epochs.at(-1)!.loss!).toBeLessThan(r.epochs[0]!.loss! / 3);
    const step = r.steps[10]!;
    expect(step.layerGradNorms).toHaveLength(2);
    for (const v of [...step.layerGradNorms, ...step.layerWeightNorms, ...step.layerUpdateRatios]) expect(v).toBeGreaterThan(0);
    expect(step.gradNorm!).toBeCloseTo(Math.hypot(...step.layerGradNorms.map((g) => g!)), 4);
    expect(r.probes.length).toBeGreaterThan(5);
    const probe = r.probes.at(-1)!;
    expect(probe.map((l) => l.units)).toEqual([8, 1]);
    for (const f of probe[0]!.active) expect(f).toBeGreaterThanOrEqual(0);
    expect(r.snapshots.at(-1)!.tensors.map((t) => t.role)).toEqual(['kernel', 'bias', 'kernel', 'bias', 'activation', 'activation']);
    expect(r.statuses.at(-1)!.final!.samplesPerSecond).toBeGreaterThan(0);
    // 2-D input: the output over the plane and each first-layer unit, as in TensorFlow Playground.
    const surface = r.surfaces.at(-1)!;
    expect(surface.output).toHaveLength(41 * 41);
    expect(surface.unitOutput).toHaveLength(41 * 41 * 8);
    expect(surface.kernel).toHaveLength(16);
    // The centre of the grid is (0, 0), where |x+iy| is 0: the fitted output is small there.
    const centre = surface.output[20 * 41 + 20]!;
    const corner = surface.output[0]!;
    expect(corner).toBeGreaterThan(centre);
  });

  it('gives the same loss sequence, bit for bit, for the same spec and seed', async () => {
    const layers: SpecInput['model']['layers'] = [{ type: 'dense', units: 16, activation: 'relu' }, { type: 'dropout', rate: 0.3 }, { type: 'dense', units: 1 }];
    const a = await train(absSpec({ epochs: 5, seed: 7 }, layers), absData(200));
    const b = await train(absSpec({ epochs: 5, seed: 7 }, layers), absData(200));
    const c = await train(absSpec({ epochs: 5, seed: 8 }, layers), absData(200));
    expect(b.steps.map((s) => s.loss)).toEqual(a.steps.map((s) => s.loss));
    expect(c.steps.map((s) => s.loss)).not.toEqual(a.steps.map((s) => s.loss));
  });

  it('keeps the tensor count flat across epochs', async () => {
    const counts: number[] = [];
    const before = tf.memory().numTensors;
    const spec = Spec.parse(absSpec({ epochs: 20 }, [{ type: 'dense', units: 8, activation: 'tanh' }, { type: 'batchNormalization' }, { type: 'dropout', rate: 0.2 }, { type: 'dense', units: 1 }]));
    const trainer = new Trainer('job-m', spec, absData(100), 'wasm', {
      onStep: () => undefined,
      onEpoch: (e) => counts.push(tf.memory().numTensors + 0 * e.epoch),
      onProbe: () => undefined,
      onSnapshot: () => undefined,
      onNonFinite: () => undefined,
      onStatus: () => undefined,
    });
    await trainer.run();
    expect(counts[19]).toBe(counts[1]);
    // The trainer's own variables, optimizer slots and probe batch are gone with it.
    expect(tf.memory().numTensors).toBe(before);
  });

  it('keeps the tensor count flat across epochs with conv, pooling and batch norm (wasm kernels included)', async () => {
    const counts: number[] = [];
    const before = tf.memory().numTensors;
    const spec = Spec.parse({
      version: 1,
      dataset: { kind: 'builtin', name: 'mnist' },
      model: { layers: [{ type: 'conv2d', filters: 4, padding: 'same', activation: 'relu' }, { type: 'batchNormalization' }, { type: 'maxPooling2d' }, { type: 'flatten' }, { type: 'dense', units: 3 }] },
      training: { batchSize: 16, epochs: 6 },
      monitor: { probeEvery: 3, probeSize: 16, snapshotEvery: 5 },
    });
    const trainer = new Trainer('job-c', spec, imageData(48), 'wasm', {
      onStep: () => undefined,
      onEpoch: () => counts.push(tf.memory().numTensors),
      onProbe: () => undefined,
      onSnapshot: () => undefined,
      onNonFinite: () => undefined,
      onStatus: () => undefined,
    });
    await trainer.run();
    expect(counts).toHaveLength(6);
    expect(new Set(counts.slice(1)).size).toBe(1);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('trains every layer type of the palette and every optimizer and loss', async () => {
    const layers: SpecInput['model']['layers'] = [
      { type: 'conv2d', filters: 4, kernelSize: 3, padding: 'same', activation: 'elu' },
      { type: 'batchNormalization' },
      { type: 'maxPooling2d', poolSize: 2 },
      { type: 'conv2d', filters: 4, kernelSize: 3, strides: 2, activation: 'relu' },
      { type: 'averagePooling2d', poolSize: 1 },
      { type: 'flatten' },
      { type: 'dropout', rate: 0.1 },
      { type: 'dense', units: 8, activation: 'selu' },
      { type: 'activation', activation: 'gelu' },
      { type: 'dense', units: 8, activation: 'swish' },
      { type: 'dense', units: 8, activation: 'leakyRelu' },
      { type: 'dense', units: 8, activation: 'softplus' },
      { type: 'dense', units: 3, activation: 'softmax' },
    ];
    for (const optimizer of ['sgd', 'momentum', 'adam', 'adamax', 'rmsprop', 'adagrad', 'adadelta'] as const) {
      const r = await train(
        { version: 1, dataset: { kind: 'builtin', name: 'mnist' }, model: { layers }, training: { optimizer: { type: optimizer }, loss: { type: 'sparseCategoricalCrossentropy' }, batchSize: 16, epochs: 1 } },
        imageData(32),
      );
      expect(r.statuses.at(-1), `${optimizer}: ${r.statuses.at(-1)?.error}`).toMatchObject({ status: 'done' });
      expect(r.steps.every((s) => s.loss !== null), optimizer).toBe(true);
      expect(r.steps.at(-1)!.layerUpdateRatios.every((u) => u !== null && u > 0), optimizer).toBe(true);
    }
    for (const loss of [{ type: 'mse' }, { type: 'mae' }, { type: 'categoricalCrossentropy' }, { type: 'categoricalCrossentropy', fromLogits: true }] as const) {
      const r = await train(
        { version: 1, dataset: { kind: 'builtin', name: 'mnist' }, model: { layers: [{ type: 'flatten' }, { type: 'dense', units: 3 }] }, training: { loss, batchSize: 16, epochs: 1 } },
        imageData(32),
      );
      expect(r.statuses.at(-1), loss.type).toMatchObject({ status: 'done' });
    }
  });

  it('finds the first non-finite value, names step, layer and tensor, and stops keeping the last finite weights', async () => {
    // Raw 0–255 pixels, MSE, a huge learning rate: the situation-3 recipe for NaN, made quick.
    const r = await train(
      {
        version: 1,
        dataset: { kind: 'builtin', name: 'mnist' },
        model: { layers: [{ type: 'flatten' }, { type: 'dense', units: 64, activation: 'relu' }, { type: 'dense', units: 3 }] },
        training: { optimizer: { type: 'sgd', learningRate: 0.5 }, loss: { type: 'mse' }, batchSize: 8, epochs: 5 },
      },
      imageData(64, [8, 8, 1], 3, 0, 1),
    );
    expect(r.nonFinite).toHaveLength(1);
    const report = r.nonFinite[0]!;
    expect(['activation', 'loss', 'gradient']).toContain(report.tensor);
    expect(report.step).toBeGreaterThan(0);
    expect(report.gradNormHistory.length).toBeGreaterThan(0);
    expect(r.statuses.at(-1)!.status).toBe('stopped');
    const weights = r.snapshots.at(-1)!.tensors.filter((t) => t.role !== 'activation');
    for (const t of weights) expect(t.data.every(Number.isFinite)).toBe(true);
    expect(r.steps.at(-1)!.step).toBe(report.step);
  });

  it('refuses a spec that cannot be built, naming the field', () => {
    const spec = Spec.parse({ version: 1, dataset: { kind: 'builtin', name: 'mnist' }, model: { layers: [{ type: 'dense', units: 10 }] } });
    expect(() => new Trainer('j', spec, imageData(8), 'wasm', {} as never)).toThrow(SpecError);
    try {
      new Trainer('j', spec, imageData(8), 'wasm', {} as never);
    } catch (error) {
      expect((error as SpecError).issues[0]!.path).toBe('model.layers.0');
      expect((error as SpecError).issues[0]!.message).toContain('flatten');
    }
  });
});
