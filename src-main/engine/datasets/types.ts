/**
 * The in-memory dataset every reader produces. Samples keep the element type of their
 * source (pixels stay u8: 47 MB for Fashion-MNIST's training set instead of 188 MB as f32);
 * float batches are made on demand, a batch at a time, with the dataset's normalisation.
 */

export type ElementType = 'u8' | 'i8' | 'i16' | 'i32' | 'f32' | 'f64';
export type SampleArray = Uint8Array | Int8Array | Int16Array | Int32Array | Float32Array | Float64Array;
export type Normalization = 'none' | 'divide255' | 'standardize';
export type SplitName = 'train' | 'test';
export type Task = 'classification' | 'regression';

export interface Split {
  count: number;
  /**
   * count × product(inputShape) values, sample-major, in the dataset's element type. May be a
   * view into a larger buffer (an IDX file's inflated bytes, header included): use
   * byteOffset/byteLength, never `x.buffer` whole.
   */
  x: SampleArray;
  /** Class indices (classification, length count) or targets (regression, count × targetDim). */
  y: Int32Array | Float32Array;
}

export interface ValueStats {
  min: number;
  max: number;
  mean: number;
  std: number;
}

export interface Dataset {
  /** Stable for the same source and options (a hash), so the UI can refer to a loaded set. */
  id: string;
  name: string;
  source: { kind: 'idx' | 'csv' | 'numpy' | 'images' | 'builtin'; files: string[] };
  task: Task;
  /** Per sample, e.g. [28, 28, 1] for MNIST or [2] for a 2-D set. */
  inputShape: number[];
  elementType: ElementType;
  /** Target width: 1 for classification (a class index) and for a single regression target. */
  targetDim: number;
  /** Classification only: names of the classes, index = class index. */
  classNames?: string[];
  /** Names of the input features, where the source has them (a CSV header). */
  featureNames?: string[];
  splits: { train: Split; test?: Split };
  /** How toFloat32Batch turns stored values into network inputs. */
  normalization: Normalization;
  /** Of the stored (un-normalised) training inputs; `standardize` uses mean and std for images. */
  stats: ValueStats;
  /**
   * Tabular data ([F] inputs): each feature's stats over the training split; `standardize`
   * then scales each feature by its own mean and std (a column in metres and one in grams
   * both end up in the unit range, which one mean/std over all values would not do).
   */
  featureStats?: ValueStats[];
  /** CSV sources: what the reader recognised and did. */
  csv?: CsvReport;
}

/** What the CSV reader found and did, shown in the preview and recorded in run.json. */
export interface CsvReport {
  /** The file's columns in order, the label's included (header names, else "column N"). */
  columns: string[];
  delimiter: string;
  /** Lines dropped at the top because the options said so. */
  skippedLines: number;
  /** 1-based line of the header row; null: no header. */
  headerLine: number | null;
  /** The scikit-learn count line (`150,4,setosa,versicolor,virginica`) when one was recognised. */
  countLine: string | null;
  /** The count line's sample count disagrees with the rows read. */
  countMismatch?: string;
  /** By header name, else 0-based index. */
  labelColumn: string | number;
  /** Data rows read, before any were dropped. */
  rowsRead: number;
  missing: {
    policy: 'drop' | 'fill';
    /** Rows with at least one missing value (dropped, or filled but for a missing label). */
    rows: number;
    /** Rows whose label is missing: always dropped. */
    labels: number;
    columns: { column: string; count: number; filledWith?: number | string }[];
  };
  /** Text feature columns and their values, in the order of their one-hot features. */
  oneHot: { column: string; values: string[] }[];
}

/**
 * An error in a person's dataset. The message always starts with the file it is about
 * ("t10k-labels-idx1-ubyte.gz: 10000 labels for 9999 images"), so it can be shown as is.
 */
export class DatasetError extends Error {
  override readonly name = 'DatasetError';
  /** The name shown at the start of the message (a base name, or a path relative to a dropped folder). */
  readonly file: string;
  /** The message without the file prefix. */
  readonly detail: string;

  constructor(file: string, detail: string) {
    super(`${file}: ${detail}`);
    this.file = file;
    this.detail = detail;
  }
}

/** Options every reader understands. */
export interface ReadLimits {
  /** Largest decoded dataset accepted, in bytes (default 2 GiB). Checked before allocating. */
  maxBytes?: number;
  /** Stops a load in progress (the promise rejects with the signal's reason). */
  signal?: AbortSignal;
}

export const DEFAULT_MAX_BYTES = 2 * 1024 ** 3;

export const BYTES_PER_ELEMENT: Record<ElementType, number> = { u8: 1, i8: 1, i16: 2, i32: 4, f32: 4, f64: 8 };

/** Values per sample: the product of the input shape. */
export function sampleSize(ds: Pick<Dataset, 'inputShape'>): number {
  return ds.inputShape.reduce((a, b) => a * b, 1);
}

/** The element type of a typed array. */
export function elementTypeOf(values: SampleArray): ElementType {
  if (values instanceof Uint8Array) return 'u8';
  if (values instanceof Int8Array) return 'i8';
  if (values instanceof Int16Array) return 'i16';
  if (values instanceof Int32Array) return 'i32';
  if (values instanceof Float32Array) return 'f32';
  return 'f64';
}

/** Stats of all values; u8 and i8 through a 256-bin histogram (one pass, no float work per value). */
export function computeStats(values: SampleArray): ValueStats {
  const n = values.length;
  if (n === 0) return { min: 0, max: 0, mean: 0, std: 0 };
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  let sumSq = 0;
  if (values instanceof Uint8Array || values instanceof Int8Array) {
    const offset = values instanceof Int8Array ? 128 : 0;
    const histogram = new Float64Array(256);
    // Counts in u32 chunks would overflow past 4 G values; f64 counts are exact to 2^53.
    for (let i = 0; i < n; i++) histogram[values[i]! + offset]!++;
    for (let b = 0; b < 256; b++) {
      const count = histogram[b]!;
      if (count === 0) continue;
      const v = b - offset;
      if (v < min) min = v;
      if (v > max) max = v;
      sum += count * v;
      sumSq += count * v * v;
    }
  } else {
    for (let i = 0; i < n; i++) {
      const v = values[i]!;
      if (v < min) min = v;
      if (v > max) max = v;
      sum += v;
      sumSq += v * v;
    }
  }
  const mean = sum / n;
  return { min, max, mean, std: Math.sqrt(Math.max(sumSq / n - mean * mean, 0)) };
}

/** Per-feature stats of a sample-major [count, features] array. */
export function computeFeatureStats(values: SampleArray, features: number): ValueStats[] {
  const n = features > 0 ? values.length / features : 0;
  const min = new Float64Array(features).fill(Infinity);
  const max = new Float64Array(features).fill(-Infinity);
  const sum = new Float64Array(features);
  const sumSq = new Float64Array(features);
  for (let i = 0, k = 0; i < n; i++) {
    for (let f = 0; f < features; f++, k++) {
      const v = values[k]!;
      if (v < min[f]!) min[f] = v;
      if (v > max[f]!) max[f] = v;
      sum[f]! += v;
      sumSq[f]! += v * v;
    }
  }
  return Array.from({ length: features }, (_, f) => {
    if (n === 0) return { min: 0, max: 0, mean: 0, std: 0 };
    const mean = sum[f]! / n;
    return { min: min[f]!, max: max[f]!, mean, std: Math.sqrt(Math.max(sumSq[f]! / n - mean * mean, 0)) };
  });
}

/**
 * The per-feature affine maps of tabular standardisation (one scale and shift per feature),
 * or null where one map serves every value (images, other normalisations).
 */
export function featureAffine(ds: Pick<Dataset, 'normalization' | 'featureStats'>): { scale: Float32Array; shift: Float32Array } | null {
  if (ds.normalization !== 'standardize' || !ds.featureStats) return null;
  const scale = new Float32Array(ds.featureStats.length);
  const shift = new Float32Array(ds.featureStats.length);
  ds.featureStats.forEach((s, f) => {
    // A constant feature (std 0, a one-hot value every row has) is only centred.
    const std = s.std > 1e-12 ? s.std : 1;
    scale[f] = 1 / std;
    shift[f] = -s.mean / std;
  });
  return { scale, shift };
}

/** The index of the first NaN or ±Infinity, or -1. Integer arrays have none. */
export function firstNonFinite(values: SampleArray): number {
  if (!(values instanceof Float32Array || values instanceof Float64Array)) return -1;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    // v - v is NaN for NaN and ±Infinity, 0 otherwise.
    if (v - v !== 0) return i;
  }
  return -1;
}

/** x ↦ x · scale + shift, the affine map a normalisation applies to every value (for tabular standardisation see featureAffine). */
export function normalizationAffine(ds: Pick<Dataset, 'normalization' | 'stats'>): { scale: number; shift: number } {
  if (ds.normalization === 'divide255') return { scale: 1 / 255, shift: 0 };
  if (ds.normalization === 'standardize') {
    // A constant input (std 0) is only centred: dividing by 0 would make it NaN.
    const std = ds.stats.std > 1e-12 ? ds.stats.std : 1;
    return { scale: 1 / std, shift: -ds.stats.mean / std };
  }
  return { scale: 1, shift: 0 };
}

function getSplit(ds: Dataset, split: SplitName): Split {
  const s = ds.splits[split];
  if (!s) throw new RangeError(`dataset "${ds.name}" has no ${split} split`);
  return s;
}

/**
 * The samples at `indices` of a split as float32 network inputs (indices.length ×
 * product(inputShape), normalised as the dataset says), written into `out` when given.
 */
export function toFloat32Batch(ds: Dataset, split: SplitName, indices: Int32Array | ArrayLike<number>, out?: Float32Array): Float32Array {
  const { x, count } = getSplit(ds, split);
  const size = sampleSize(ds);
  const n = indices.length;
  const result = out ?? new Float32Array(n * size);
  if (result.length < n * size) throw new RangeError(`toFloat32Batch: out holds ${result.length} values, the batch needs ${n * size}`);
  const { scale, shift } = normalizationAffine(ds);
  const perFeature = featureAffine(ds);
  const identity = scale === 1 && shift === 0 && perFeature === null;
  // u8/i8 through a 256-entry table: one load per value instead of a multiply-add and conversion.
  let table: Float32Array | null = null;
  let tableOffset = 0;
  if (x instanceof Uint8Array || x instanceof Int8Array) {
    tableOffset = x instanceof Int8Array ? 128 : 0;
    table = new Float32Array(256);
    for (let b = 0; b < 256; b++) table[b] = (b - tableOffset) * scale + shift;
  }
  for (let k = 0; k < n; k++) {
    const i = indices[k]!;
    if (!(i >= 0 && i < count && Number.isInteger(i))) throw new RangeError(`toFloat32Batch: index ${i} is outside the ${split} split (0..${count - 1})`);
    const base = i * size;
    const at = k * size;
    if (perFeature) {
      const { scale: fs, shift: fh } = perFeature;
      for (let p = 0; p < size; p++) result[at + p] = x[base + p]! * fs[p]! + fh[p]!;
    } else if (table) {
      for (let p = 0; p < size; p++) result[at + p] = table[x[base + p]! + tableOffset]!;
    } else if (identity) {
      result.set(x.subarray(base, base + size), at);
    } else {
      for (let p = 0; p < size; p++) result[at + p] = x[base + p]! * scale + shift;
    }
  }
  return result;
}

/**
 * The targets at `indices`: class indices (Int32Array, one per sample) for classification,
 * indices.length × targetDim floats for regression; written into `out` when given.
 */
export function targetsBatch(ds: Dataset, split: SplitName, indices: Int32Array | ArrayLike<number>, out?: Int32Array | Float32Array): Int32Array | Float32Array {
  const { y, count } = getSplit(ds, split);
  const width = ds.task === 'classification' ? 1 : ds.targetDim;
  const n = indices.length;
  const result = out ?? (ds.task === 'classification' ? new Int32Array(n) : new Float32Array(n * width));
  if (result.length < n * width) throw new RangeError(`targetsBatch: out holds ${result.length} values, the batch needs ${n * width}`);
  for (let k = 0; k < n; k++) {
    const i = indices[k]!;
    if (!(i >= 0 && i < count && Number.isInteger(i))) throw new RangeError(`targetsBatch: index ${i} is outside the ${split} split (0..${count - 1})`);
    for (let t = 0; t < width; t++) result[k * width + t] = y[i * width + t]!;
  }
  return result;
}

/** A regression's smallest and largest target over the training split; null for classification. */
export function targetRange(ds: Dataset): { min: number; max: number } | null {
  if (ds.task !== 'regression') return null;
  const { y } = ds.splits.train;
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < y.length; i++) {
    const v = y[i]!;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return { min, max };
}

/** Bytes held by a dataset's arrays. */
export function datasetBytes(ds: Dataset): number {
  let total = 0;
  for (const split of [ds.splits.train, ds.splits.test]) if (split) total += split.x.byteLength + split.y.byteLength;
  return total;
}

/** How the stored inputs become network inputs and what the reader did, for run.json. */
export interface DataPreparation {
  normalization: Normalization;
  /** `standardize`: per feature (tabular) or one mean/std over every value (images). */
  standardization?: { perFeature: boolean; mean: number[]; std: number[] };
  csv?: CsvReport;
}

/** What a run on this dataset, with this normalisation, records about its inputs. */
export function preparationOf(ds: Dataset, normalization: Normalization = ds.normalization): DataPreparation {
  const standardization =
    normalization !== 'standardize'
      ? undefined
      : ds.featureStats
        ? { perFeature: true, mean: ds.featureStats.map((s) => s.mean), std: ds.featureStats.map((s) => s.std) }
        : { perFeature: false, mean: [ds.stats.mean], std: [ds.stats.std] };
  return { normalization, ...(standardization ? { standardization } : {}), ...(ds.csv ? { csv: ds.csv } : {}) };
}

/** Throws the signal's reason when it has been aborted. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw signal.reason instanceof Error ? signal.reason : new Error('the dataset load was cancelled');
}

/** "47,040,000" — byte counts in messages, readable. */
export function formatCount(n: number): string {
  return n.toLocaleString('en-US');
}

/** "2 GiB", "10 MB" for limits in messages. */
export function formatBytes(n: number): string {
  const units: [number, string][] = [
    [1024 ** 3, 'GiB'],
    [1024 ** 2, 'MiB'],
    [1024, 'KiB'],
  ];
  for (const [size, unit] of units) {
    if (n >= size) {
      const v = n / size;
      return `${Number.isInteger(v) ? v : v.toFixed(1)} ${unit}`;
    }
  }
  return `${n} bytes`;
}
