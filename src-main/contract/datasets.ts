/**
 * Datasets across the boundary: what the Data screen sends to load one (a path in the desktop
 * app, a chunked upload in serve mode) and what it gets back to show.
 */
import { z } from 'zod';
import { CsvOptions, Normalization } from './spec';

const Path = z.string().min(1).max(4096);

/** How to read a dataset again from the Data screen: a CSV file's options, an image folder's size and channels. */
export const ReadOptions = z
  .object({
    ...CsvOptions,
    size: z.tuple([z.number().int().min(4).max(1024), z.number().int().min(4).max(1024)]).optional(),
    channels: z.union([z.literal(1), z.literal(3)]).optional(),
  })
  .strict();
export type ReadOptions = z.infer<typeof ReadOptions>;

/** A source with the read options that apply to its reader; the others are ignored (a drop's reader is found, not chosen). */
export function applyReadOptions<S extends DatasetSource>(source: S, read: ReadOptions): S {
  const { size, channels, ...csv } = read;
  if (source.kind === 'csv') return { ...source, ...csv };
  if (source.kind === 'images') return { ...source, ...(size ? { size } : {}), ...(channels ? { channels } : {}) };
  if (source.kind === 'numpy') return { ...source, ...(read.task ? { task: read.task } : {}) };
  return source;
}

export const CsvReport = z.object({
  /** The file's columns in order, the label's included (header names, else "column N"). */
  columns: z.array(z.string()),
  delimiter: z.string(),
  skippedLines: z.number().int(),
  headerLine: z.number().int().nullable(),
  countLine: z.string().nullable(),
  countMismatch: z.string().optional(),
  labelColumn: z.union([z.string(), z.number().int()]),
  rowsRead: z.number().int(),
  missing: z.object({
    policy: z.enum(['drop', 'fill']),
    rows: z.number().int(),
    labels: z.number().int(),
    columns: z.array(z.object({ column: z.string(), count: z.number().int(), filledWith: z.union([z.number(), z.string()]).optional() })),
  }),
  oneHot: z.array(z.object({ column: z.string(), values: z.array(z.string()) })),
});
export type CsvReport = z.infer<typeof CsvReport>;
const Id = z.string().min(1).max(128);

/** A dataset named by where it is on disk (desktop app, CLI) or by a built-in name. */
export const DatasetSource = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('builtin'), name: z.enum(['mnist', 'abs', 'xor', 'spirals', 'circles', 'blobs']), size: z.number().int().min(4).max(1_000_000).optional(), seed: z.number().int().min(0).optional(), noise: z.number().min(0).max(10).optional() }).strict(),
  z.object({ kind: z.literal('idx'), path: Path, files: z.array(Path).max(16).optional() }).strict(),
  z.object({ kind: z.literal('csv'), path: Path, ...CsvOptions }).strict(),
  z.object({ kind: z.literal('numpy'), path: Path, task: z.enum(['classification', 'regression']).optional() }).strict(),
  z.object({ kind: z.literal('images'), path: Path, size: z.tuple([z.number().int().min(4).max(1024), z.number().int().min(4).max(1024)]).optional(), channels: z.union([z.literal(1), z.literal(3)]).optional() }).strict(),
]);
export type DatasetSource = z.infer<typeof DatasetSource>;

const ValueStats = z.object({ min: z.number(), max: z.number(), mean: z.number(), std: z.number() });

const SplitSummary = z.object({
  count: z.number().int().nonnegative(),
  xShape: z.array(z.number().int()),
  yShape: z.array(z.number().int()),
  classHistogram: z.array(z.number().int()).nullable(),
  targetStats: ValueStats.nullable(),
});

export const DatasetSummary = z.object({
  id: Id,
  name: z.string(),
  source: z.object({ kind: z.enum(['idx', 'csv', 'numpy', 'images', 'builtin']), files: z.array(z.string()) }),
  task: z.enum(['classification', 'regression']),
  inputShape: z.array(z.number().int()),
  elementType: z.enum(['u8', 'i8', 'i16', 'i32', 'f32', 'f64']),
  targetDim: z.number().int(),
  classNames: z.array(z.string()).nullable(),
  featureNames: z.array(z.string()).nullable(),
  normalization: Normalization,
  standardization: z.enum(['per-feature', 'global']).nullable(),
  splits: z.object({ train: SplitSummary, test: SplitSummary.nullable() }),
  valueStats: ValueStats,
  inputRange: z.object({ min: z.number(), max: z.number() }),
  bytes: z.number().nonnegative(),
  imbalanceRatio: z.number().nullable(),
  flags: z.object({ unnormalized: z.boolean(), imbalanced: z.boolean() }),
  warnings: z.array(z.string()),
  csv: CsvReport.nullable(),
});
export type DatasetSummary = z.infer<typeof DatasetSummary>;

export const SamplePreview = z.object({
  split: z.enum(['train', 'test']),
  index: z.number().int().nonnegative(),
  label: z.number().int().nullable(),
  className: z.string().nullable(),
  target: z.array(z.number()).nullable(),
  image: z
    .object({
      height: z.number().int().positive(),
      width: z.number().int().positive(),
      channels: z.union([z.literal(1), z.literal(3)]),
      bytes: z.custom<Uint8Array>((v) => v instanceof Uint8Array, 'expected a Uint8Array'),
    })
    .nullable(),
  features: z.array(z.number()).nullable(),
});
export type SamplePreview = z.infer<typeof SamplePreview>;

export const LoadedDataset = z.object({ summary: DatasetSummary, preview: z.array(SamplePreview) });
export type LoadedDataset = z.infer<typeof LoadedDataset>;

/** Largest chunk of a dropped file sent in one WebSocket message. */
export const UPLOAD_CHUNK_BYTES = 1024 * 1024;

export const UploadBegin = z
  .object({
    name: z.string().min(1).max(256),
    /** Paths relative to what was dropped (a folder's files keep their sub-folders: class names). */
    files: z.array(z.object({ path: z.string().min(1).max(1024), size: z.number().int().nonnegative() })).min(1).max(100_000),
  })
  .strict();

export const UploadChunk = z
  .object({
    uploadId: Id,
    file: z.number().int().nonnegative(),
    offset: z.number().int().nonnegative(),
    data: z.custom<Uint8Array>((v) => v instanceof Uint8Array && v.length <= UPLOAD_CHUNK_BYTES, `expected a Uint8Array of at most ${UPLOAD_CHUNK_BYTES} bytes`),
  })
  .strict();

export const UploadFinish = z
  .object({
    uploadId: Id,
    kind: z.enum(['auto', 'idx', 'csv', 'numpy', 'images']).default('auto'),
    normalization: Normalization.optional(),
    /** Applied to the reader the drop needs (the CSV options to a CSV file, size and channels to images). */
    read: ReadOptions.optional(),
  })
  .strict();

export const DatasetProgress = z.object({
  /** The upload or the load this is about. */
  id: Id,
  /** upload: bytes received; decode: the upload is in and being read; images: images decoded of total. */
  phase: z.enum(['upload', 'decode', 'images']),
  done: z.number().nonnegative(),
  total: z.number().nonnegative(),
});
