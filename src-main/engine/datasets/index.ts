/**
 * The engine's dataset layer: loads a dataset from any source into one in-memory form
 * (types.ts), summarises it for the UI, and picks samples to show.
 * Pure Node: no tfjs, no electron.
 */
import { stat } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import type { SampleSet, TrainingData } from '../training/trainingData';
import { loadBuiltin, mulberry32, type BuiltinName } from './builtin';
import { loadCsv, type CsvHeader, type MissingPolicy } from './csvReader';
import { loadIdxFiles, loadIdxFolder } from './idxReader';
import { loadImageFolder, type ResizeMode } from './imageFolderReader';
import { loadNumpy } from './numpyReader';
import {
  DatasetError,
  datasetBytes,
  featureAffine,
  normalizationAffine,
  sampleSize,
  targetsBatch,
  toFloat32Batch,
  type CsvReport,
  type Dataset,
  type ElementType,
  type Normalization,
  type ReadLimits,
  type SplitName,
  type Task,
  type ValueStats,
} from './types';

export * from './types';
export { readIdx, loadIdxFiles, loadIdxFolder, type IdxArray, type IdxLoadOptions } from './idxReader';
export { loadCsv, type CsvLoadOptions, type CsvHeader, type MissingPolicy } from './csvReader';
export { loadNumpy, readNpy, readNpz, parseNpy, type NpyArray, type NumpyLoadOptions } from './numpyReader';
export { loadImageFolder, type ImageFolderOptions, type ResizeMode } from './imageFolderReader';
export { loadBuiltin, mnistDataset, syntheticDataset, syntheticPoints, mulberry32, type BuiltinName, type SyntheticName, type BuiltinOptions } from './builtin';

/** Where a dataset comes from; matches the contract's DatasetRef (less `loaded`). */
export type DatasetSource =
  | { kind: 'builtin'; name: BuiltinName; size?: number; seed?: number; noise?: number }
  /** `path`: a folder of MNIST-style files, or one of them (its folder is read); `files`: exactly these. */
  | { kind: 'idx'; path: string; files?: string[] }
  | { kind: 'csv'; path: string; labelColumn?: string | number; task?: Task; delimiter?: string; header?: CsvHeader; skipLines?: number; missing?: MissingPolicy }
  /** An .npz archive, an .npy file, or a folder of .npy files. */
  | { kind: 'numpy'; path: string; task?: Task }
  | { kind: 'images'; path: string; size?: [number, number]; channels?: 1 | 3; resize?: ResizeMode };

export interface LoadOptions extends ReadLimits {
  normalization?: Normalization;
  /** Shown in the UI instead of the file or folder name. */
  name?: string;
  /** Image folders: called as images are decoded. */
  onProgress?: (done: number, total: number) => void;
}

/** Loads a dataset from any source. Rejects with a DatasetError whose message starts with the file at fault. */
export async function loadDataset(source: DatasetSource, options: LoadOptions = {}): Promise<Dataset> {
  const common = {
    ...(options.normalization ? { normalization: options.normalization } : {}),
    ...(options.maxBytes !== undefined ? { maxBytes: options.maxBytes } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.name ? { name: options.name } : {}),
  };
  switch (source.kind) {
    case 'builtin': {
      const ds = loadBuiltin(source.name, {
        ...(source.size !== undefined ? { size: source.size } : {}),
        ...(source.seed !== undefined ? { seed: source.seed } : {}),
        ...(source.noise !== undefined ? { noise: source.noise } : {}),
        ...(options.normalization ? { normalization: options.normalization } : {}),
      });
      return options.name ? { ...ds, name: options.name } : ds;
    }
    case 'idx': {
      if (source.files && source.files.length > 0) return loadIdxFiles(source.files, common);
      let isFolder: boolean;
      try {
        isFolder = (await stat(source.path)).isDirectory();
      } catch (error) {
        throw new DatasetError(basename(source.path), `cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
      }
      return loadIdxFolder(isFolder ? source.path : dirname(source.path), common);
    }
    case 'csv':
      return loadCsv(source.path, {
        ...common,
        ...(source.labelColumn !== undefined ? { labelColumn: source.labelColumn } : {}),
        ...(source.task ? { task: source.task } : {}),
        ...(source.delimiter ? { delimiter: source.delimiter } : {}),
        ...(source.header !== undefined ? { header: source.header } : {}),
        ...(source.skipLines !== undefined ? { skipLines: source.skipLines } : {}),
        ...(source.missing ? { missing: source.missing } : {}),
      });
    case 'numpy':
      return loadNumpy(source.path, { ...common, ...(source.task ? { task: source.task } : {}) });
    case 'images':
      return loadImageFolder(source.path, {
        ...common,
        ...(source.size ? { size: source.size } : {}),
        ...(source.channels ? { channels: source.channels } : {}),
        ...(source.resize ? { resize: source.resize } : {}),
        ...(options.onProgress ? { onProgress: options.onProgress } : {}),
      });
  }
}

export interface SplitSummary {
  count: number;
  /** [count, ...inputShape] */
  xShape: number[];
  /** [count] for class indices, [count, targetDim] for regression targets. */
  yShape: number[];
  /** Samples per class (classification). */
  classHistogram: number[] | null;
  /** Of the targets (regression). */
  targetStats: ValueStats | null;
}

/** A small JSON-able description of a dataset for the Data screen. */
export interface DatasetSummary {
  id: string;
  name: string;
  source: { kind: Dataset['source']['kind']; files: string[] };
  task: Task;
  inputShape: number[];
  elementType: ElementType;
  targetDim: number;
  classNames: string[] | null;
  featureNames: string[] | null;
  normalization: Normalization;
  /** `standardize` on tabular data scales each feature by its own mean and std; images use one. */
  standardization: 'per-feature' | 'global' | null;
  splits: { train: SplitSummary; test: SplitSummary | null };
  /** Of the stored training inputs, before normalisation. */
  valueStats: ValueStats;
  /** What the network sees: the stored range after the dataset's normalisation. */
  inputRange: { min: number; max: number };
  bytes: number;
  /** Largest over smallest class count in the training split (null: not classification, or a class without samples). */
  imbalanceRatio: number | null;
  flags: {
    /** Inputs far outside the unit range (|x| > 10 after normalisation): 0–255 pixels, say. */
    unnormalized: boolean;
    /** Largest class more than 3 × the smallest, or a class without training samples. */
    imbalanced: boolean;
  };
  /** The flags in plain words, with what to do. */
  warnings: string[];
  /** CSV sources: delimiter, header, count line, missing values, one-hot columns. */
  csv: CsvReport | null;
}

/** Above this, inputs count as unnormalised (the unit range is where initialisers assume them). */
export const UNNORMALIZED_LIMIT = 10;
/** Largest/smallest class count above which a set counts as imbalanced. */
export const IMBALANCE_LIMIT = 3;

function splitSummary(ds: Dataset, split: SplitName): SplitSummary | null {
  const s = ds.splits[split];
  if (!s) return null;
  let classHistogram: number[] | null = null;
  let targetStats: ValueStats | null = null;
  if (ds.task === 'classification') {
    const h = new Array<number>(ds.classNames?.length ?? 0).fill(0);
    for (const c of s.y) h[c] = (h[c] ?? 0) + 1;
    classHistogram = Array.from(h, (v) => v ?? 0);
  } else {
    let min = Infinity;
    let max = -Infinity;
    let sum = 0;
    let sumSq = 0;
    for (const v of s.y) {
      if (v < min) min = v;
      if (v > max) max = v;
      sum += v;
      sumSq += v * v;
    }
    const n = s.y.length || 1;
    const mean = sum / n;
    targetStats = s.y.length ? { min: round(min), max: round(max), mean: round(mean), std: round(Math.sqrt(Math.max(sumSq / n - mean * mean, 0))) } : { min: 0, max: 0, mean: 0, std: 0 };
  }
  return {
    count: s.count,
    xShape: [s.count, ...ds.inputShape],
    yShape: ds.task === 'classification' ? [s.count] : [s.count, ds.targetDim],
    classHistogram,
    targetStats,
  };
}

const round = (v: number): number => Number(v.toPrecision(6));

/** Summarises a dataset for the UI: counts, shapes, value range, classes, and what looks wrong. */
export function describeDataset(ds: Dataset): DatasetSummary {
  const train = splitSummary(ds, 'train')!;
  const test = splitSummary(ds, 'test');
  const { scale, shift } = normalizationAffine(ds);
  let a = ds.stats.min * scale + shift;
  let b = ds.stats.max * scale + shift;
  const perFeature = featureAffine(ds);
  if (perFeature && ds.featureStats) {
    a = Infinity;
    b = -Infinity;
    ds.featureStats.forEach((s, f) => {
      a = Math.min(a, s.min * perFeature.scale[f]! + perFeature.shift[f]!);
      b = Math.max(b, s.max * perFeature.scale[f]! + perFeature.shift[f]!);
    });
    if (!(a <= b)) a = b = 0;
  }
  const inputRange = { min: round(Math.min(a, b)), max: round(Math.max(a, b)) };
  const warnings: string[] = [];
  const csv = ds.csv;
  if (csv && csv.missing.rows > 0) {
    const where = csv.missing.columns.map((c) => `${c.count} in "${c.column}"`).join(', ');
    const labels = csv.missing.labels > 0 ? `${csv.missing.labels} missing label${csv.missing.labels > 1 ? 's' : ''} (those rows dropped)` : '';
    warnings.push(
      csv.missing.policy === 'drop'
        ? `${csv.missing.rows} of ${csv.rowsRead} rows had missing values (${[where, labels].filter(Boolean).join('; ')}) and were dropped; choose "fill" to keep them`
        : `missing values filled with each column's mean or most frequent value: ${[where, labels].filter(Boolean).join('; ')}`,
    );
  }
  if (csv?.countMismatch) warnings.push(csv.countMismatch);
  const unnormalized = Math.max(Math.abs(inputRange.min), Math.abs(inputRange.max)) > UNNORMALIZED_LIMIT;
  if (unnormalized) {
    warnings.push(
      `inputs range from ${inputRange.min} to ${inputRange.max}, far outside the unit range: ` +
        (ds.stats.min >= 0 && ds.stats.max <= 255 && ds.elementType === 'u8' ? 'choose normalization "divide255" or "standardize"' : 'choose normalization "standardize"'),
    );
  }
  let imbalanceRatio: number | null = null;
  let imbalanced = false;
  const h = train.classHistogram;
  if (h && h.length > 0) {
    const max = Math.max(...h);
    const min = Math.min(...h);
    if (min === 0) {
      imbalanced = true;
      const empty = h.flatMap((count, c) => (count === 0 ? [ds.classNames?.[c] ?? String(c)] : []));
      warnings.push(`class${empty.length > 1 ? 'es' : ''} ${empty.map((n) => `"${n}"`).join(', ')} ha${empty.length > 1 ? 've' : 's'} no training samples`);
    } else {
      imbalanceRatio = round(max / min);
      if (imbalanceRatio > IMBALANCE_LIMIT) {
        imbalanced = true;
        const big = ds.classNames?.[h.indexOf(max)] ?? String(h.indexOf(max));
        const small = ds.classNames?.[h.indexOf(min)] ?? String(h.indexOf(min));
        warnings.push(`classes are imbalanced: "${big}" has ${max} training samples, "${small}" ${min} (${imbalanceRatio}×); accuracy can look good while "${small}" is never predicted`);
      }
    }
  }
  return {
    id: ds.id,
    name: ds.name,
    source: { kind: ds.source.kind, files: ds.source.files.map((f) => basename(f)) },
    task: ds.task,
    inputShape: [...ds.inputShape],
    elementType: ds.elementType,
    targetDim: ds.targetDim,
    classNames: ds.classNames ? [...ds.classNames] : null,
    featureNames: ds.featureNames ? [...ds.featureNames] : null,
    normalization: ds.normalization,
    standardization: ds.normalization !== 'standardize' ? null : perFeature ? 'per-feature' : 'global',
    splits: { train, test },
    valueStats: { min: round(ds.stats.min), max: round(ds.stats.max), mean: round(ds.stats.mean), std: round(ds.stats.std) },
    inputRange,
    bytes: datasetBytes(ds),
    imbalanceRatio,
    flags: { unnormalized, imbalanced },
    warnings,
    csv: csv ?? null,
  };
}

/** One sample to show: an image's bytes, or a point's coordinates, with its label or target. */
export interface SamplePreview {
  split: SplitName;
  index: number;
  /** Class index (classification). */
  label: number | null;
  className: string | null;
  /** Regression target(s). */
  target: number[] | null;
  /** Images ([h, w, 1|3] inputs): u8 grayscale or RGB, row-major; stored values other than u8 are scaled from their range to 0–255. */
  image: { height: number; width: number; channels: 1 | 3; bytes: Uint8Array } | null;
  /** Other inputs (2-D points, CSV rows): the stored values. */
  features: number[] | null;
}

export interface PreviewOptions {
  split?: SplitName;
  /** Pick samples at random with this seed; without it they are evenly spaced over the split. */
  seed?: number;
}

/** n samples of a split (fewer when it has fewer), for thumbnails or a scatter plot. */
export function previewSamples(ds: Dataset, n: number, options: PreviewOptions = {}): SamplePreview[] {
  const split = options.split ?? 'train';
  const s = ds.splits[split];
  if (!s || s.count === 0 || n <= 0) return [];
  const k = Math.min(Math.floor(n), s.count);
  let indices: number[];
  if (options.seed !== undefined) {
    // A partial Fisher–Yates shuffle: k distinct indices without materialising the whole split for small k.
    const random = mulberry32(options.seed);
    const swapped = new Map<number, number>();
    indices = [];
    for (let i = 0; i < k; i++) {
      const j = i + Math.floor(random() * (s.count - i));
      const vj = swapped.get(j) ?? j;
      swapped.set(j, swapped.get(i) ?? i);
      indices.push(vj);
    }
  } else {
    indices = Array.from({ length: k }, (_, i) => Math.floor((i * s.count) / k));
  }
  const shape = ds.inputShape;
  const isImage = shape.length === 3 && (shape[2] === 1 || shape[2] === 3);
  const size = sampleSize(ds);
  const lo = ds.stats.min;
  const span = ds.stats.max - ds.stats.min || 1;
  const targets = targetsBatch(ds, split, indices);
  return indices.map((i, j) => {
    const values = s.x.subarray(i * size, (i + 1) * size);
    let image: SamplePreview['image'] = null;
    let features: number[] | null = null;
    if (isImage) {
      const bytes = new Uint8Array(size);
      if (values instanceof Uint8Array) bytes.set(values);
      else for (let p = 0; p < size; p++) bytes[p] = Math.round(Math.min(1, Math.max(0, (values[p]! - lo) / span)) * 255);
      image = { height: shape[0]!, width: shape[1]!, channels: shape[2] as 1 | 3, bytes };
    } else {
      features = Array.from(values, Number);
    }
    const classification = ds.task === 'classification';
    const label = classification ? targets[j]! : null;
    return {
      split,
      index: i,
      label,
      className: label === null ? null : (ds.classNames?.[label] ?? String(label)),
      target: classification ? null : Array.from(targets.subarray(j * ds.targetDim, (j + 1) * ds.targetDim)),
      image,
      features,
    };
  });
}

/** Adapts a Dataset to the trainer's TrainingData: float batches made on demand, a batch at a time. */
export function asTrainingData(ds: Dataset): TrainingData {
  const set = (split: SplitName): SampleSet => ({
    count: ds.splits[split]!.count,
    fill(indices, x, y) {
      toFloat32Batch(ds, split, indices, x);
      targetsBatch(ds, split, indices, y);
    },
  });
  return {
    name: ds.name,
    inputShape: [...ds.inputShape],
    task: ds.task,
    outputs: ds.task === 'classification' ? (ds.classNames?.length ?? 0) : ds.targetDim,
    ...(ds.classNames ? { classNames: [...ds.classNames] } : {}),
    train: set('train'),
    ...(ds.splits.test ? { test: set('test') } : {}),
  };
}
