/** Hand-made specs, job infos, step series and probes for the detector tests. */
import { Spec, type EpochSummary, type JobInfo, type ProbeLayer, type ProbeResult, type SpecInput, type StepPoint } from '@contract';
import { inferShapes, type DataShape } from '@contract/specShapes';
import { makeContext, type DetectorContext } from '../../../src-main/engine/diagnosis/common';
import { mulberry32 } from '../../../src-main/engine/training/trainingData';

export const absData: DataShape = { inputShape: [2], task: 'regression', outputs: 1 };
export const digitsData: DataShape = { inputShape: [28, 28, 1], task: 'classification', outputs: 10 };

/** relu-abs: 2 → 3 ReLU → 1, full batch over 1000 samples. */
export const reluAbs: SpecInput = {
  version: 1,
  dataset: { kind: 'builtin', name: 'abs', size: 1000 },
  model: { layers: [{ type: 'dense', units: 3, activation: 'relu' }, { type: 'dense', units: 1 }] },
  training: { optimizer: { type: 'adam', learningRate: 0.01 }, loss: { type: 'mse' }, batchSize: 'full', epochs: 1500 },
  monitor: { probeEvery: 25, probeSize: 1000 },
};

/** A small MNIST MLP classifier with logits. */
export const digitsMlp: SpecInput = {
  version: 1,
  dataset: { kind: 'builtin', name: 'mnist' },
  normalization: 'divide255',
  model: { layers: [{ type: 'flatten' }, { type: 'dense', units: 32, activation: 'relu', kernelInitializer: 'heNormal' }, { type: 'dense', units: 10 }] },
  training: { loss: { type: 'sparseCategoricalCrossentropy', fromLogits: true }, batchSize: 64, epochs: 15, validationSplit: 0.2 },
  monitor: { probeEvery: 50, probeSize: 256 },
};

/** A JobInfo as the trainer would announce it for a spec and dataset shape. */
export function jobOf(spec: Spec, data: DataShape, trainCount = 1000): JobInfo {
  const report = inferShapes(spec, data);
  if (report.issues.length > 0) throw new Error(report.issues.map((i) => `${i.path}: ${i.message}`).join('; '));
  const batchSize = spec.training.batchSize === 'full' ? trainCount : Math.min(spec.training.batchSize, trainCount);
  return {
    jobId: 'job',
    backend: 'cpu',
    layers: report.layers.map((l) => {
      const layer = spec.model.layers[l.index]!;
      return { index: l.index, name: l.name, type: l.type, activation: 'activation' in layer ? layer.activation : 'linear', outputShape: l.outputShape, params: l.params };
    }),
    parameterLayers: report.layers.filter((l) => l.trainableParams > 0).map((l) => l.name),
    trainCount,
    valCount: 0,
    batchSize,
    stepsPerEpoch: Math.ceil(trainCount / batchSize),
    epochs: spec.training.epochs,
    totalParams: report.totalParams,
    startedAt: 0,
  };
}

export function setup(input: SpecInput, data: DataShape, trainCount = 1000): { spec: Spec; job: JobInfo; ctx: DetectorContext } {
  const spec = Spec.parse(input);
  const job = jobOf(spec, data, trainCount);
  return { spec, job, ctx: makeContext(spec, job) };
}

/** One step; per-layer arrays default to healthy values for `layers` parameter layers. */
export function point(step: number, over: Partial<StepPoint> = {}, layers = 2, stepsPerEpoch = 1): StepPoint {
  return {
    step,
    epoch: Math.floor(step / stepsPerEpoch),
    loss: 1,
    accuracy: null,
    gradNorm: 1,
    layerGradNorms: Array.from({ length: layers }, () => 0.7),
    layerWeightNorms: Array.from({ length: layers }, () => 3),
    layerUpdateRatios: Array.from({ length: layers }, () => 1e-3),
    time: step,
    ...over,
  };
}

/** n steps from `make(i)`. */
export function series(n: number, make: (i: number) => Partial<StepPoint>, layers = 2, stepsPerEpoch = 1): StepPoint[] {
  return Array.from({ length: n }, (_, i) => point(i, make(i), layers, stepsPerEpoch));
}

/** Seeded multiplicative noise: exp(σ·z) with z roughly standard normal. */
export function noise(seed: number, sigma: number): () => number {
  const random = mulberry32(seed);
  return () => {
    const z = (random() + random() + random() + random() - 2) * Math.sqrt(3);
    return Math.exp(sigma * z);
  };
}

/** A healthy classifier's curve: from ln 10 down to ~0.05, noisy like mini-batches. */
export function healthyLoss(n: number, seed = 1, sigma = 0.3): StepPoint[] {
  const jitter = noise(seed, sigma);
  const g = noise(seed + 1, 0.3);
  return series(
    n,
    (i) => {
      const loss = (2.25 * Math.exp(-i / 60) + 0.05 * (1 + 2 * Math.exp(-i / 600))) * (i < 5 ? 1 : jitter());
      return { loss, accuracy: Math.min(1, 1 - loss / 2.5), gradNorm: g() * (0.5 + loss), layerGradNorms: [0.4 * g(), 0.6 * g()] };
    },
    2,
    100,
  );
}

export function probeLayer(index: number, name: string, activation: string, active: number[], saturated?: number[]): ProbeLayer {
  const units = active.length;
  return {
    index,
    name,
    activation,
    units,
    active: Float32Array.from(active),
    saturated: Float32Array.from(saturated ?? active.map(() => 0)),
    mean: new Float32Array(units),
    std: new Float32Array(units),
    nonFinite: 0,
  };
}

export function probe(step: number, layers: ProbeLayer[], epoch = step): ProbeResult {
  return { step, epoch, layers, surface: null };
}

export function epoch(e: number, loss: number, valLoss: number | null, valAccuracy: number | null = null): EpochSummary {
  return { epoch: e, step: (e + 1) * 100, loss, accuracy: null, valLoss, valAccuracy, time: e };
}
