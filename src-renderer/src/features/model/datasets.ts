/**
 * The built-in datasets as the Model screen offers them: what each holds, and the training
 * set-up that trains well on it. Shapes here match the engine's builtinData; the engine's
 * spec.check remains the authority once it answers.
 */
import { Loss, Normalization, Optimizer, type DataShape, type DatasetRef, type Spec } from '@contract';

export type BuiltinName = 'mnist' | 'abs' | 'xor' | 'spirals' | 'circles' | 'blobs';

export interface BuiltinDataset {
  name: BuiltinName;
  label: string;
  /** One line on what the samples and targets are. */
  help: string;
  shape: DataShape;
  /** Whether size, seed and noise apply (the synthetic sets); MNIST is a fixed file. */
  synthetic: boolean;
}

/** Points when a synthetic set's size is not given (the engine's default). */
export const DEFAULT_SYNTHETIC_SIZE = 500;
/** Digits in the bundled MNIST subset. */
export const MNIST_SIZE = 10_000;

export const BUILTIN_DATASETS: readonly BuiltinDataset[] = [
  { name: 'mnist', label: 'MNIST digits', help: '10,000 handwritten digits, 28×28 grey pixels valued 0–255, 10 classes', shape: { inputShape: [28, 28, 1], task: 'classification', outputs: 10 }, synthetic: false },
  { name: 'abs', label: '|x+iy|', help: 'points in [−1, 1]², target sqrt(x² + y²): regression, situation 2', shape: { inputShape: [2], task: 'regression', outputs: 1 }, synthetic: true },
  { name: 'xor', label: 'XOR', help: 'points in [−1, 1]², class 1 where x·y < 0: 2 classes', shape: { inputShape: [2], task: 'classification', outputs: 2 }, synthetic: true },
  { name: 'spirals', label: 'Two spirals', help: 'two interleaved spirals: 2 classes, needs several bends', shape: { inputShape: [2], task: 'classification', outputs: 2 }, synthetic: true },
  { name: 'circles', label: 'Circles', help: 'a disc inside a ring: 2 classes', shape: { inputShape: [2], task: 'classification', outputs: 2 }, synthetic: true },
  { name: 'blobs', label: 'Blobs', help: 'three Gaussian clusters: 3 classes, linearly separable', shape: { inputShape: [2], task: 'classification', outputs: 3 }, synthetic: true },
];

export function builtinDataset(name: string): BuiltinDataset | undefined {
  return BUILTIN_DATASETS.find((d) => d.name === name);
}

/** What a dataset reference gives, when it can be told without loading it. */
export function knownDataShape(ref: DatasetRef): DataShape | null {
  return ref.kind === 'builtin' ? (builtinDataset(ref.name)?.shape ?? null) : null;
}

/** Samples in the dataset, when known without loading it (for "full" batches). */
export function knownSampleCount(ref: DatasetRef): number | null {
  if (ref.kind !== 'builtin') return null;
  return ref.name === 'mnist' ? MNIST_SIZE : (ref.size ?? DEFAULT_SYNTHETIC_SIZE);
}

/** The part of a spec that a dataset suggests: what trains well on it from a fresh start. */
export interface SuggestedSetup {
  normalization: Normalization;
  loss: Loss;
  optimizer: Optimizer;
  batchSize: Spec['training']['batchSize'];
  epochs: number;
}

/**
 * A set-up that trains well on the dataset: cross-entropy from logits for classes (the last
 * layer stays linear), MSE for regression, Adam, pixels divided by 255.
 */
export function suggestedSetup(shape: DataShape | null, name?: string): SuggestedSetup {
  const images = (shape?.inputShape.length ?? 1) === 3;
  const regression = shape?.task === 'regression';
  return {
    normalization: images || name === 'mnist' ? 'divide255' : 'none',
    loss: regression ? Loss.parse({ type: 'mse' }) : Loss.parse({ type: 'sparseCategoricalCrossentropy', fromLogits: true }),
    optimizer: Optimizer.parse({ type: 'adam', learningRate: images ? 0.001 : 0.01 }),
    batchSize: images ? 64 : 32,
    epochs: images ? 5 : 200,
  };
}
