/**
 * The training spec: a versioned JSON document that says which data, which network and how to
 * train it. Presets, the Model screen, `trainbench train SPEC` and saved runs all use it.
 * Schemas only, no tfjs: the renderer validates with the same code as the engine.
 */
import { z } from 'zod';

export const SPEC_VERSION = 1;

export const Activation = z.enum(['linear', 'relu', 'leakyRelu', 'elu', 'selu', 'tanh', 'sigmoid', 'softplus', 'softmax', 'swish', 'gelu']);
export type Activation = z.infer<typeof Activation>;

/** Activations whose units can be "dead" or "linear" (never bend): the ReLU family. */
export const RELU_FAMILY: readonly Activation[] = ['relu', 'leakyRelu', 'elu', 'selu', 'gelu', 'swish'];
/** Activations with asymptotes a unit can saturate against. */
export const SATURATING: readonly Activation[] = ['sigmoid', 'tanh', 'softmax'];

const finite = z.number().finite();

const SimpleInitializer = z.enum(['glorotUniform', 'glorotNormal', 'heUniform', 'heNormal', 'lecunNormal', 'zeros', 'ones']);
export const Initializer = z.union([
  SimpleInitializer,
  z.object({ type: SimpleInitializer }).strict(),
  z.object({ type: z.literal('randomNormal'), mean: finite.default(0), stddev: z.number().positive().finite().default(0.05) }).strict(),
  z.object({ type: z.literal('randomUniform'), min: finite.default(-0.05), max: finite.default(0.05) }).strict(),
]);
export type Initializer = z.infer<typeof Initializer>;

const units = z.number().int().min(1).max(65_536);
const size2 = z.union([z.number().int().min(1).max(64), z.tuple([z.number().int().min(1).max(64), z.number().int().min(1).max(64)])]);
const Padding = z.enum(['valid', 'same']);
const name = z.string().min(1).max(64).regex(/^[A-Za-z][A-Za-z0-9_]*$/, 'letters, digits and _ only, starting with a letter').optional();

const weighted = {
  activation: Activation.default('linear'),
  /** Negative slope of leakyRelu (PyTorch's default). */
  alpha: z.number().min(0).max(1).default(0.01),
  useBias: z.boolean().default(true),
  kernelInitializer: Initializer.default('glorotUniform'),
  biasInitializer: Initializer.default('zeros'),
};

export const InputLayer = z.object({ type: z.literal('input'), name, shape: z.array(z.number().int().min(1).max(100_000)).min(1).max(3) }).strict();
export const DenseLayer = z.object({ type: z.literal('dense'), name, units, ...weighted }).strict();
export const Conv2dLayer = z
  .object({ type: z.literal('conv2d'), name, filters: units, kernelSize: size2.default(3), strides: size2.default(1), padding: Padding.default('valid'), ...weighted })
  .strict();
export const PoolLayer = z
  .object({ type: z.enum(['maxPooling2d', 'averagePooling2d']), name, poolSize: size2.default(2), strides: size2.optional(), padding: Padding.default('valid') })
  .strict();
export const FlattenLayer = z.object({ type: z.literal('flatten'), name }).strict();
export const DropoutLayer = z.object({ type: z.literal('dropout'), name, rate: z.number().min(0).lt(1).default(0.5) }).strict();
export const BatchNormLayer = z
  .object({ type: z.literal('batchNormalization'), name, momentum: z.number().min(0).max(1).default(0.99), epsilon: z.number().positive().default(1e-3) })
  .strict();
export const ActivationLayer = z.object({ type: z.literal('activation'), name, activation: Activation, alpha: z.number().min(0).max(1).default(0.01) }).strict();

export const Layer = z.discriminatedUnion('type', [InputLayer, DenseLayer, Conv2dLayer, PoolLayer, FlattenLayer, DropoutLayer, BatchNormLayer, ActivationLayer]);
export type Layer = z.infer<typeof Layer>;
export type LayerInput = z.input<typeof Layer>;
export type LayerType = Layer['type'];
export const LAYER_TYPES: readonly LayerType[] = ['input', 'dense', 'conv2d', 'maxPooling2d', 'averagePooling2d', 'flatten', 'dropout', 'batchNormalization', 'activation'];

const lr = z.number().positive().max(100);
export const Optimizer = z.discriminatedUnion('type', [
  z.object({ type: z.literal('sgd'), learningRate: lr.default(0.01) }).strict(),
  z.object({ type: z.literal('momentum'), learningRate: lr.default(0.01), momentum: z.number().min(0).lt(1).default(0.9), nesterov: z.boolean().default(false) }).strict(),
  z.object({ type: z.literal('adam'), learningRate: lr.default(0.001), beta1: z.number().min(0).lt(1).default(0.9), beta2: z.number().min(0).lt(1).default(0.999), epsilon: z.number().positive().default(1e-7) }).strict(),
  z.object({ type: z.literal('adamax'), learningRate: lr.default(0.002), beta1: z.number().min(0).lt(1).default(0.9), beta2: z.number().min(0).lt(1).default(0.999), epsilon: z.number().positive().default(1e-7) }).strict(),
  z.object({ type: z.literal('rmsprop'), learningRate: lr.default(0.001), decay: z.number().min(0).lt(1).default(0.9), momentum: z.number().min(0).lt(1).default(0), epsilon: z.number().positive().default(1e-7) }).strict(),
  z.object({ type: z.literal('adagrad'), learningRate: lr.default(0.01), initialAccumulatorValue: z.number().positive().default(0.1) }).strict(),
  z.object({ type: z.literal('adadelta'), learningRate: lr.default(1), rho: z.number().min(0).lt(1).default(0.95), epsilon: z.number().positive().default(1e-7) }).strict(),
]);
export type Optimizer = z.infer<typeof Optimizer>;

export const Loss = z.discriminatedUnion('type', [
  z.object({ type: z.literal('mse') }).strict(),
  z.object({ type: z.literal('mae') }).strict(),
  z.object({ type: z.literal('binaryCrossentropy'), fromLogits: z.boolean().default(false) }).strict(),
  z.object({ type: z.literal('categoricalCrossentropy'), fromLogits: z.boolean().default(false) }).strict(),
  z.object({ type: z.literal('sparseCategoricalCrossentropy'), fromLogits: z.boolean().default(false) }).strict(),
]);
export type Loss = z.infer<typeof Loss>;

export const SyntheticName = z.enum(['abs', 'xor', 'spirals', 'circles', 'blobs']);
/** How a CSV file is read (each optional: the reader recognises what is not given). */
export const CsvOptions = {
  /** By header name or 0-based index. */
  labelColumn: z.union([z.string().max(256), z.number().int().min(0)]).optional(),
  task: z.enum(['classification', 'regression']).optional(),
  delimiter: z.enum([',', ';', '\t']).optional(),
  /** 'auto': count/metadata lines and the header recognised; 'none'; or the header's row (1-based, after skipped lines). */
  header: z.union([z.enum(['auto', 'none']), z.number().int().min(1).max(64)]).optional(),
  skipLines: z.number().int().min(0).max(1_000_000).optional(),
  /** Rows with missing values: dropped, or filled with the column's mean (most frequent value for text). */
  missing: z.enum(['drop', 'fill']).optional(),
};

export const DatasetRef = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('builtin'), name: z.union([z.literal('mnist'), SyntheticName]), size: z.number().int().min(4).max(1_000_000).optional(), seed: z.number().int().min(0).optional(), noise: z.number().min(0).max(10).optional() }).strict(),
  z.object({ kind: z.literal('idx'), path: z.string().min(1) }).strict(),
  z.object({ kind: z.literal('csv'), path: z.string().min(1), ...CsvOptions }).strict(),
  /** An .npz archive (x_train, y_train, x_test, y_test), an .npy file, or a folder of .npy files. */
  z.object({ kind: z.literal('numpy'), path: z.string().min(1), task: z.enum(['classification', 'regression']).optional() }).strict(),
  z.object({ kind: z.literal('images'), path: z.string().min(1), size: z.tuple([z.number().int().min(4).max(1024), z.number().int().min(4).max(1024)]).default([28, 28]), channels: z.union([z.literal(1), z.literal(3)]).default(1) }).strict(),
  /** A dataset already loaded in the engine (dropped on the Data screen). */
  z.object({ kind: z.literal('loaded'), id: z.string().min(1).max(64) }).strict(),
]);
export type DatasetRef = z.infer<typeof DatasetRef>;

export const Normalization = z.enum(['none', 'divide255', 'standardize']);
export type Normalization = z.infer<typeof Normalization>;

export const Training = z
  .object({
    optimizer: Optimizer.default({ type: 'adam', learningRate: 0.001, beta1: 0.9, beta2: 0.999, epsilon: 1e-7 }),
    loss: Loss.default({ type: 'sparseCategoricalCrossentropy', fromLogits: false }),
    /** Samples per step; "full" trains on the whole training split at once. */
    batchSize: z.union([z.number().int().min(1).max(65_536), z.literal('full')]).default(32),
    epochs: z.number().int().min(1).max(100_000).default(10),
    /** Fraction of the training split held out for validation (0 for none). */
    validationSplit: z.number().min(0).max(0.9).default(0),
    /** Clip the global gradient norm to this value; omitted: no clipping. */
    clipNorm: z.number().positive().optional(),
    seed: z.number().int().min(0).max(2 ** 31 - 1).default(1),
    shuffle: z.boolean().default(true),
  })
  .strict();
export type Training = z.infer<typeof Training>;

export const Monitor = z
  .object({
    /** Run the probe batch every K steps (and at the end of every epoch). */
    probeEvery: z.number().int().min(1).max(1_000_000).default(50),
    probeSize: z.number().int().min(8).max(4096).default(256),
    /** Snapshot weights every S steps (0: only at the end). */
    snapshotEvery: z.number().int().min(0).max(10_000_000).default(0),
    onNonFinite: z.enum(['stop', 'continue']).default('stop'),
  })
  .strict();
export type Monitor = z.infer<typeof Monitor>;

export const Success = z
  .object({
    metric: z.enum(['loss', 'accuracy', 'valLoss', 'valAccuracy']),
    op: z.enum(['<', '<=', '>', '>=']),
    value: finite,
  })
  .strict();
export type Success = z.infer<typeof Success>;

export const Spec = z
  .object({
    version: z.literal(SPEC_VERSION),
    name: z.string().max(120).optional(),
    description: z.string().max(2000).optional(),
    dataset: DatasetRef,
    normalization: Normalization.default('none'),
    model: z.object({ layers: z.array(Layer).min(1).max(200) }).strict(),
    training: Training.default(Training.parse({})),
    monitor: Monitor.default(Monitor.parse({})),
    /** When a run counts as a success (for repeated seeds' success rate). */
    success: Success.optional(),
  })
  .strict();
export type Spec = z.infer<typeof Spec>;
export type SpecInput = z.input<typeof Spec>;
