/**
 * What a training job reports: steps, epochs, probes, snapshots, non-finite values, its
 * final numbers, and the shapes the Model screen checks. Schemas only, like the rest of the
 * contract; typed arrays cross every boundary as binary.
 */
import { z } from 'zod';
import { BackendName, JobId } from './common';
import { Finding } from './findings';

/** Typed arrays cross every boundary as binary (structured clone, or the WebSocket wire format). */
const F32 = z.custom<Float32Array>((value) => value instanceof Float32Array, 'expected a Float32Array');

/** One training step, as the monitor plots it. Non-finite numbers travel as null. */
export const StepPoint = z.object({
  step: z.number().int().nonnegative(),
  epoch: z.number().int().nonnegative(),
  loss: z.number().nullable(),
  accuracy: z.number().nullable(),
  gradNorm: z.number().nullable(),
  /** Per parameter layer (see JobInfo.parameterLayers): gradient norm, weight norm, ‖Δw‖/‖w‖. */
  layerGradNorms: z.array(z.number().nullable()),
  layerWeightNorms: z.array(z.number().nullable()),
  layerUpdateRatios: z.array(z.number().nullable()),
  /** Milliseconds since the job started. */
  time: z.number().nonnegative(),
});
export type StepPoint = z.infer<typeof StepPoint>;

export const EpochSummary = z.object({
  epoch: z.number().int().nonnegative(),
  step: z.number().int().nonnegative(),
  loss: z.number().nullable(),
  accuracy: z.number().nullable(),
  valLoss: z.number().nullable(),
  valAccuracy: z.number().nullable(),
  time: z.number().nonnegative(),
});
export type EpochSummary = z.infer<typeof EpochSummary>;

export const LayerInfo = z.object({
  index: z.number().int().nonnegative(),
  name: z.string(),
  type: z.string(),
  activation: z.string(),
  outputShape: z.array(z.number().int()),
  params: z.number().int().nonnegative(),
});

export const JobInfo = z.object({
  jobId: JobId,
  backend: BackendName,
  layers: z.array(LayerInfo),
  /** Names of the layers with trainable weights, in forward order: the order of per-layer step arrays. */
  parameterLayers: z.array(z.string()),
  trainCount: z.number().int().nonnegative(),
  valCount: z.number().int().nonnegative(),
  batchSize: z.number().int().positive(),
  stepsPerEpoch: z.number().int().positive(),
  epochs: z.number().int().positive(),
  totalParams: z.number().int().nonnegative(),
  /** The run's folder on disk, when it is written. */
  runDir: z.string().optional(),
  /** Wall-clock time (ms since 1970) the job started: StepPoint.time counts from here. */
  startedAt: z.number(),
  /**
   * How a training step splits across the engine's threads: `parts` of the batch computed at
   * once (data parallelism), or 1 with the reason it does not apply.
   */
  parallelism: z.object({ parts: z.number().int().positive(), reason: z.string().max(500).nullable() }).optional(),
});
export type JobInfo = z.infer<typeof JobInfo>;

/** Per-unit statistics of one layer's output on the probe batch. */
export const ProbeLayer = z.object({
  index: z.number().int().nonnegative(),
  name: z.string(),
  activation: z.string(),
  units: z.number().int().nonnegative(),
  /** Fraction of probe samples (× positions, for conv) where the unit's output is > 0. */
  active: F32,
  /** Fraction within 1 % of an asymptote (sigmoid, tanh, softmax); zeros for other activations. */
  saturated: F32,
  mean: F32,
  std: F32,
  /** Non-finite values in this layer's output on the probe batch. */
  nonFinite: z.number().int().nonnegative(),
});
export type ProbeLayer = z.infer<typeof ProbeLayer>;

/**
 * For networks with a 2-D input: the network's output and the first layer's units over a
 * size × size grid of the input plane (row-major, y from max to min, x from min to max), as
 * TensorFlow Playground draws them.
 */
export const Surface = z.object({
  size: z.number().int().positive(),
  /** [xmin, xmax, ymin, ymax] of the grid. */
  extent: z.tuple([z.number(), z.number(), z.number(), z.number()]),
  outputs: z.number().int().positive(),
  /** size² × outputs values. */
  output: F32,
  unitsLayer: z.string().nullable(),
  units: z.number().int().nonnegative(),
  /** size² × units values of the first layer with weights, after its activation. */
  unitOutput: F32,
  /** That layer's kernel [2, units] and bias [units]: each unit's hinge line is w·x + b = 0. */
  kernel: F32,
  bias: F32,
});
export type Surface = z.infer<typeof Surface>;

export const ProbeResult = z.object({
  step: z.number().int().nonnegative(),
  epoch: z.number().int().nonnegative(),
  layers: z.array(ProbeLayer),
  surface: Surface.nullable(),
});
export type ProbeResult = z.infer<typeof ProbeResult>;

export const SnapshotTensor = z.object({
  layer: z.string(),
  role: z.string(),
  shape: z.array(z.number().int().nonnegative()),
  data: F32,
});
export type SnapshotTensor = z.infer<typeof SnapshotTensor>;

export const Snapshot = z.object({
  jobId: JobId,
  step: z.number().int().nonnegative(),
  epoch: z.number().int().nonnegative(),
  /** Weights of every layer, then the probe batch's activations (role "activation"). */
  tensors: z.array(SnapshotTensor),
});
export type Snapshot = z.infer<typeof Snapshot>;

export const NonFiniteTensor = z.enum(['loss', 'activation', 'gradient', 'weight']);
export const NonFiniteReport = z.object({
  jobId: JobId,
  step: z.number().int().nonnegative(),
  epoch: z.number().int().nonnegative(),
  /** The first layer, in forward order, where a NaN or Inf appeared; null when only the loss is. */
  layer: z.string().nullable(),
  tensor: NonFiniteTensor,
  /** What it was: NaN, +Inf or -Inf, as far as it tells. */
  kind: z.enum(['NaN', 'Inf', 'NaN/Inf']),
  /** The global gradient norm of the steps before, oldest first: what was growing. */
  gradNormHistory: z.array(z.number().nullable()),
  lossHistory: z.array(z.number().nullable()),
});
export type NonFiniteReport = z.infer<typeof NonFiniteReport>;

export const LayerShapeInfo = z.object({
  index: z.number().int().nonnegative(),
  type: z.string(),
  name: z.string(),
  inputShape: z.array(z.number().int()),
  outputShape: z.array(z.number().int()),
  params: z.number().int().nonnegative(),
  trainableParams: z.number().int().nonnegative(),
  macs: z.number().nonnegative(),
});

export const SpecCheck = z.object({
  /** What the dataset gave, or null when it could not be loaded (then `dataError` says why). */
  data: z.object({ name: z.string(), inputShape: z.array(z.number().int()), task: z.enum(['classification', 'regression']), outputs: z.number().int() }).nullable(),
  dataError: z.string().nullable(),
  layers: z.array(LayerShapeInfo),
  issues: z.array(z.object({ path: z.string(), message: z.string() })),
  totalParams: z.number().int().nonnegative(),
  trainableParams: z.number().int().nonnegative(),
  flopsPerSample: z.number().nonnegative(),
  activationBytesPerSample: z.number().nonnegative(),
  outputShape: z.array(z.number().int()).nullable(),
  /** Static diagnosis before training: loss-mismatch, unnormalized-input. */
  findings: z.array(Finding),
});
export type SpecCheck = z.infer<typeof SpecCheck>;

export const RunSummary = z.object({
  id: z.string(),
  dir: z.string(),
  name: z.string(),
  status: z.enum(['running', 'done', 'stopped', 'failed', 'interrupted']),
  seed: z.number().int(),
  backend: z.string(),
  dataset: z.string(),
  startedAt: z.string(),
  endedAt: z.string().nullable(),
  steps: z.number().int().nullable(),
  loss: z.number().nullable(),
  accuracy: z.number().nullable(),
  valAccuracy: z.number().nullable(),
  findings: z.number().int().nonnegative(),
  snapshots: z.number().int().nonnegative(),
  error: z.string().nullable(),
  /** The spec's (or preset's) name; `name` is the run's own, which a person may rename. */
  specName: z.string().optional(),
  tags: z.array(z.string()).optional(),
  /** The best epoch value of the most telling metric: validation accuracy, else accuracy, else the lowest loss. */
  best: z.object({ metric: z.enum(['valAccuracy', 'accuracy', 'valLoss', 'loss']), value: z.number(), epoch: z.number().int().nonnegative() }).nullable().optional(),
  /** Whether model/model.json was written. */
  hasModel: z.boolean().optional(),
});
export type RunSummary = z.infer<typeof RunSummary>;

export const RunFinal = z.object({
  steps: z.number().int().nonnegative(),
  epochs: z.number().int().nonnegative(),
  loss: z.number().nullable(),
  accuracy: z.number().nullable(),
  valLoss: z.number().nullable(),
  valAccuracy: z.number().nullable(),
  seconds: z.number().nonnegative(),
  samplesPerSecond: z.number().nonnegative(),
  success: z.boolean().nullable(),
});
export type RunFinal = z.infer<typeof RunFinal>;
