/**
 * What the trainer needs of a dataset: shapes, and float32 batches made on demand from the
 * stored (often u8) samples. Datasets of every source are adapted to this.
 */
import { mulberry32 } from '../datasets/builtin';
import type { DataPreparation } from '../datasets/types';

export interface TrainingData {
  name: string;
  inputShape: number[];
  task: 'classification' | 'regression';
  /** Classes (classification) or target width (regression). */
  outputs: number;
  classNames?: string[];
  train: SampleSet;
  /** Held out by the dataset itself (e.g. MNIST's t10k); validation uses it when no split is set. */
  test?: SampleSet;
  /** Range of the stored inputs before normalisation (0–255 pixels, say), for the static checks. */
  rawRange?: { min: number; max: number };
  /** A regression's smallest and largest training target, for the static checks (targets an output cannot reach). */
  targetRange?: { min: number; max: number };
  /** How the inputs were prepared (standardisation's means and stds, a CSV's one-hot columns), recorded in run.json. */
  preparation?: DataPreparation;
}

export interface SampleSet {
  count: number;
  /**
   * Writes the samples at `indices` into `x` (float32, normalised as the dataset says,
   * count × product(inputShape)) and their targets into `y` (class indices, or count ×
   * outputs regression targets).
   */
  fill(indices: ArrayLike<number>, x: Float32Array, y: Int32Array | Float32Array): void;
}

/** Deterministic PRNG: shuffling and splits depend on the seed only (the datasets' own generator). */
export { mulberry32 };

export function shuffleInPlace(values: Int32Array, random: () => number): Int32Array {
  for (let i = values.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const t = values[i]!;
    values[i] = values[j]!;
    values[j] = t;
  }
  return values;
}

/** A view of some samples of a set, by index. */
export function subset(set: SampleSet, indices: Int32Array): SampleSet {
  return {
    count: indices.length,
    fill(picked, x, y) {
      const mapped = new Int32Array(picked.length);
      for (let i = 0; i < picked.length; i++) mapped[i] = indices[picked[i]!]!;
      set.fill(mapped, x, y);
    },
  };
}

export interface Split {
  train: SampleSet;
  validation: SampleSet | null;
}

/**
 * Holds out the last `fraction` of a seeded permutation for validation; with none, the
 * dataset's own test split (MNIST's 2,000 held-out digits, say) validates.
 */
export function splitData(data: TrainingData, fraction: number, seed: number): Split {
  if (fraction <= 0) return { train: data.train, validation: data.test ?? null };
  const order = shuffleInPlace(Int32Array.from({ length: data.train.count }, (_, i) => i), mulberry32(seed ^ 0x5eed));
  const held = Math.max(1, Math.round(data.train.count * fraction));
  return { train: subset(data.train, order.subarray(0, order.length - held)), validation: subset(data.train, order.subarray(order.length - held)) };
}
