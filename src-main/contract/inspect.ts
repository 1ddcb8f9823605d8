/**
 * Offline inspection of a saved run: its snapshots, layers and dataset (`inspect.open`), a
 * layer's weights at a snapshot (`inspect.layer`), one unit over the dataset and across
 * snapshots (`inspect.unit`), and the input plane of a 2-D network (`inspect.surface`).
 * Activations are computed by the engine on demand; only their summaries cross the boundary.
 */
import { z } from 'zod';
import { DatasetRef, Normalization, Spec } from './spec';
import { DatasetSource } from './datasets';
import { Surface } from './training';
import { RunId } from './runs';

const F32 = z.custom<Float32Array>((value) => value instanceof Float32Array, 'expected a Float32Array');

const Step = z.number().int().nonnegative();
const LayerName = z.string().min(1).max(64);
/** Compute over this many samples of the training split (picked with a fixed seed) instead of all. */
const Sample = z.number().int().min(1).max(10_000_000);

/** Every inspect request names a run; the host fills in its runs folder when none is given. */
const RunRef = { runId: RunId, runsDir: z.string().min(1).max(4096).optional() };

/**
 * Where a run's data came from, as recorded in run.json when it started. `loaded` datasets
 * (dropped on the Data screen) are recorded by the source they were loaded from; a browser
 * upload is not kept on disk, so only its name is.
 */
export const DatasetOrigin = z.union([DatasetSource, z.object({ kind: z.literal('upload'), name: z.string().max(256) }).strict()]);
export type DatasetOrigin = z.infer<typeof DatasetOrigin>;

export const InspectLayer = z.object({
  index: z.number().int().nonnegative(),
  name: z.string(),
  type: z.string(),
  activation: z.string(),
  outputShape: z.array(z.number().int()),
  /** Output channels: a dense layer's units, a conv layer's filters, the last axis otherwise. */
  units: z.number().int().nonnegative(),
  /** Variable roles stored in the snapshots for this layer (kernel, bias, gamma, …). */
  roles: z.array(z.string()),
  /** Dense layers on image input: each unit's incoming weights can be drawn as an image; conv layers: the filters. */
  weightImages: z.boolean(),
});
export type InspectLayer = z.infer<typeof InspectLayer>;

export const InspectRun = z.object({
  runId: z.string(),
  name: z.string(),
  status: z.string(),
  seed: z.number().int(),
  spec: Spec,
  /** A model from elsewhere (inspect.openModel): the file it was read from. */
  outside: z.object({ file: z.string() }).optional(),
  /** Snapshot steps, ascending, with their epochs. */
  snapshots: z.array(z.object({ step: Step, epoch: z.number().int().nonnegative() })),
  layers: z.array(InspectLayer),
  dataset: z.object({
    name: z.string(),
    /** Where it was read from: a built-in's name and seed, or the path. */
    origin: z.string(),
    inputShape: z.array(z.number().int()),
    task: z.enum(['classification', 'regression']),
    outputs: z.number().int(),
    /** Samples of the training split: the set every activation is computed over. */
    count: z.number().int().nonnegative(),
    classNames: z.array(z.string()).nullable(),
    /** [h, w, 1|3] inputs, drawn as images; [2] inputs, drawn as points on the plane. */
    kind: z.enum(['image', 'points', 'other']),
  }),
});
export type InspectRun = z.infer<typeof InspectRun>;

export const InspectHistogram = z.object({
  /** Lower edge of the first bin and upper edge of the last. */
  min: z.number(),
  max: z.number(),
  counts: z.array(z.number().int().nonnegative()),
  /** Finite values counted. */
  total: z.number().int().nonnegative(),
  nonFinite: z.number().int().nonnegative(),
  /** Values exactly 0: a ReLU unit that did not fire. */
  zeros: z.number().int().nonnegative(),
  mean: z.number().nullable(),
  std: z.number().nullable(),
});
export type InspectHistogram = z.infer<typeof InspectHistogram>;

/** Per-unit statistics of a layer's output over the inspected samples (× positions, for conv). */
export const InspectUnitStats = z.object({
  samples: z.number().int().nonnegative(),
  active: F32,
  saturated: F32,
  mean: F32,
  std: F32,
});
export type InspectUnitStats = z.infer<typeof InspectUnitStats>;

export const InspectLayerView = z.object({
  step: Step,
  layer: z.string(),
  weights: z.array(z.object({ role: z.string(), shape: z.array(z.number().int()), histogram: InspectHistogram })),
  /**
   * One small image per unit: a dense unit's incoming weights in the input's shape, or a conv
   * filter (kh × kw, input channels side by side unless there are 3). count × height × width ×
   * channels raw weights; `scale` is their largest magnitude.
   */
  images: z
    .object({ count: z.number().int().nonnegative(), height: z.number().int().positive(), width: z.number().int().positive(), channels: z.union([z.literal(1), z.literal(3)]), scale: z.number(), data: F32 })
    .nullable(),
  units: InspectUnitStats,
});
export type InspectLayerView = z.infer<typeof InspectLayerView>;

/** An input the unit responds to: an image, or a point of a 2-D set, with its label or target. */
export const InspectSample = z.object({
  index: z.number().int().nonnegative(),
  /** The unit's output on it (its largest over positions, for conv). */
  value: z.number(),
  label: z.string().nullable(),
  image: z.object({ height: z.number().int().positive(), width: z.number().int().positive(), channels: z.union([z.literal(1), z.literal(3)]), bytes: z.custom<Uint8Array>((v) => v instanceof Uint8Array, 'expected a Uint8Array') }).nullable(),
  point: z.tuple([z.number(), z.number()]).nullable(),
});
export type InspectSample = z.infer<typeof InspectSample>;

export const InspectUnitView = z.object({
  step: Step,
  layer: z.string(),
  unit: z.number().int().nonnegative(),
  /** Samples the activations were computed on (the whole training split, or the sample asked for). */
  samples: z.number().int().nonnegative(),
  histogram: InspectHistogram,
  /** Fraction of samples (× positions) where the unit's output is > 0, at the chosen step. */
  active: z.number(),
  top: z.array(InspectSample),
  bottom: z.array(InspectSample),
  /** The active fraction at every snapshot, in step order. */
  history: z.array(z.object({ step: Step, active: z.number() })),
  /** The first snapshot from which on the unit never fires again (ReLU family), or null. */
  diedAt: Step.nullable(),
  /** The unit's incoming weights (and bias) at every snapshot; `weights` is its fan-in. */
  weights: z.array(z.object({ step: Step, weights: F32, bias: z.number().nullable() })),
});
export type InspectUnitView = z.infer<typeof InspectUnitView>;

/** Largest N of `sample` and k of top/bottom, to keep answers small. */
export const INSPECT_MAX_TOP_K = 32;

/**
 * A model trained outside Trainbench: a tfjs layers model (its model.json, the .bin files
 * beside it), or a safetensors file of `layer/role` tensors with the Trainbench spec (JSON)
 * that names its architecture.
 */
/** Largest drop of model files sent in one request: under serve's 16 MiB WebSocket message. Larger models are opened by path. */
export const MAX_DROPPED_MODEL_BYTES = 15 * 1024 * 1024;
const DroppedFile = z.object({
  /** The file's own name, no folder: model.json and the .bin names its manifest gives, or a .safetensors and a spec .json. */
  name: z.string().min(1).max(255).regex(/^[^/\\]+$/, 'a file name, without a folder').refine((n) => n !== '.' && n !== '..', 'a file name'),
  data: z.custom<Uint8Array>((v) => v instanceof Uint8Array, 'expected a Uint8Array'),
});
export const OutsideModelRef = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('tfjs'), path: z.string().min(1).max(4096) }).strict(),
  z.object({ kind: z.literal('safetensors'), path: z.string().min(1).max(4096), specPath: z.string().min(1).max(4096) }).strict(),
  /** Files dropped on the page (model.json + its .bin files, or a .safetensors + a spec .json), sent whole. */
  z
    .object({ kind: z.literal('files'), files: z.array(DroppedFile).min(1).max(64) })
    .strict()
    .refine((v) => v.files.reduce((sum, f) => sum + f.data.length, 0) <= MAX_DROPPED_MODEL_BYTES, `the dropped files exceed ${MAX_DROPPED_MODEL_BYTES / 1024 / 1024} MiB together: open a model this large by its path`)
    .refine((v) => new Set(v.files.map((f) => f.name)).size === v.files.length, 'two dropped files have the same name'),
]);
export type OutsideModelRef = z.infer<typeof OutsideModelRef>;

export const InspectOpenModelRequest = z
  .object({
    model: OutsideModelRef,
    /** The data to inspect it over; a spec file's own dataset when omitted. */
    dataset: DatasetRef.optional(),
    /** How its inputs are prepared, as the model was trained on them; a spec file's own, else none, when omitted. */
    normalization: Normalization.optional(),
  })
  .strict();
export type InspectOpenModelRequest = z.infer<typeof InspectOpenModelRequest>;

export const inspectRequests = {
  /** A saved run's snapshots, layers and dataset; refused with the path when its data cannot be found. */
  'inspect.open': { request: z.object(RunRef).strict(), response: InspectRun },
  /**
   * Opens a model from elsewhere with a dataset as a run of one snapshot (step 0) that every
   * other inspect request names by the returned runId; unsupported layers are refused by class and name.
   */
  'inspect.openModel': { request: InspectOpenModelRequest, response: InspectRun },
  /** A layer at a snapshot: weight histograms, weights as images, and per-unit activity over the data. */
  'inspect.layer': { request: z.object({ ...RunRef, step: Step, layer: LayerName, sample: Sample.optional() }).strict(), response: InspectLayerView },
  /** One unit: its activations over the data (or `sample` of them), top/bottom inputs, its history. */
  'inspect.unit': {
    request: z
      .object({ ...RunRef, step: Step, layer: LayerName, unit: z.number().int().nonnegative(), sample: Sample.optional(), k: z.number().int().min(1).max(INSPECT_MAX_TOP_K).optional() })
      .strict(),
    response: InspectUnitView,
  },
  /** For 2-D-input networks: the first layer's unit surfaces and the output over the input plane. */
  'inspect.surface': { request: z.object({ ...RunRef, step: Step }).strict(), response: Surface },
} as const;

export type InspectChannel = keyof typeof inspectRequests;
export const INSPECT_CHANNELS = Object.keys(inspectRequests) as InspectChannel[];
