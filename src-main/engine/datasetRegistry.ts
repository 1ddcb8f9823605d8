/**
 * The datasets this engine holds: loaded from a path (desktop app, CLI), a built-in, or a
 * chunked upload (serve mode: files dropped in a browser arrive over the WebSocket). Specs
 * name them by source, or by id once loaded. A failed load touches no dataset already held.
 */
import { ownedTempDir } from './tempDirs';
import { mkdirSync, openSync, closeSync, writeSync, rmSync, readdirSync, statSync } from 'node:fs';
import { join, normalize, sep, isAbsolute } from 'node:path';
import { randomBytes } from 'node:crypto';
import { ContractError, applyReadOptions, type ReadOptions, type DatasetOrigin, type DatasetSource as WireSource, type LoadedDataset, type Normalization, type Spec } from '@contract';
import { asTrainingData, describeDataset, loadDataset, preparationOf, previewSamples, targetRange, DatasetError, type Dataset, type DatasetSource, type LoadOptions } from './datasets';
import type { TrainingData } from './training/trainingData';

/** Samples sent with a loaded dataset for the preview grid. */
const PREVIEW_SAMPLES = 48;
/** Largest upload accepted, all files together: the readers' own default limit. */
export const MAX_UPLOAD_BYTES = 2 * 1024 ** 3;

interface Upload {
  id: string;
  name: string;
  dir: string;
  files: { path: string; size: number; received: number }[];
  total: number;
  received: number;
}

type Progress = (progress: { id: string; phase: 'upload' | 'decode' | 'images'; done: number; total: number }) => void;

function asDatasetError(error: unknown): ContractError {
  if (error instanceof ContractError) return error;
  const message = error instanceof Error ? error.message : String(error);
  // DatasetError messages start with the file at fault: shown to the person as they are.
  return new ContractError({ code: error instanceof DatasetError ? 'invalid-payload' : 'failed', message });
}

function sourceKey(source: DatasetSource | WireSource, normalization: Normalization | undefined): string {
  return JSON.stringify({ source, normalization: normalization ?? null });
}

/** Picks the reader for an uploaded folder from what it holds. */
function detectKind(dir: string): 'idx' | 'csv' | 'numpy' | 'images' {
  const entries = readdirSync(dir);
  if (entries.some((name) => /idx\d-ubyte(\.gz)?$/i.test(name))) return 'idx';
  if (entries.some((name) => /\.(csv|tsv)$/i.test(name))) return 'csv';
  if (entries.some((name) => /\.(npz|npy)$/i.test(name))) return 'numpy';
  if (entries.some((name) => statSync(join(dir, name)).isDirectory())) return 'images';
  throw new ContractError({ code: 'invalid-payload', message: `${entries[0] ?? 'the drop'}: not a dataset Trainbench reads (MNIST-style IDX files, a CSV file, a NumPy .npz or .npy file, or a folder with one sub-folder of images per class)` });
}

export class DatasetRegistry {
  private readonly loaded = new Map<string, { dataset: Dataset; info: LoadedDataset }>();
  private readonly cache = new Map<string, Dataset>();
  private readonly uploads = new Map<string, Upload>();
  /** Uploads being decoded: cancelling one aborts its reader. */
  private readonly decoding = new Map<string, { controller: AbortController; name: string }>();
  /** Where each loaded dataset came from, recorded in the runs that train on it. */
  private readonly origins = new Map<string, DatasetOrigin>();
  private readonly uploadRoot: string;

  constructor(private readonly progress: Progress = () => undefined) {
    this.uploadRoot = ownedTempDir('trainbench-uploads-');
  }

  /** Loads a dataset and keeps it; the same source loads once. */
  async load(source: WireSource, normalization?: Normalization, name?: string, reading: Pick<LoadOptions, 'signal' | 'onProgress'> = {}): Promise<LoadedDataset> {
    let dataset: Dataset;
    try {
      dataset = await this.read(source, normalization, name, reading);
    } catch (error) {
      throw asDatasetError(error);
    }
    const info: LoadedDataset = { summary: describeDataset(dataset), preview: previewSamples(dataset, PREVIEW_SAMPLES, { seed: 1 }) };
    this.loaded.set(dataset.id, { dataset, info });
    this.origins.set(dataset.id, source);
    return info;
  }

  private async read(source: DatasetSource | WireSource, normalization: Normalization | undefined, name?: string, reading: Pick<LoadOptions, 'signal' | 'onProgress'> = {}): Promise<Dataset> {
    const key = sourceKey(source, normalization);
    const cached = this.cache.get(key);
    if (cached) return cached;
    const dataset = await loadDataset(source as DatasetSource, { ...(normalization ? { normalization } : {}), ...(name ? { name } : {}), ...reading });
    // Built-ins are cheap to keep and costly to rebuild; files may change on disk, so they are read again.
    if (source.kind === 'builtin') this.cache.set(key, dataset);
    return dataset;
  }

  list(): LoadedDataset[] {
    return [...this.loaded.values()].map((entry) => entry.info);
  }

  preview(id: string, n: number, split?: 'train' | 'test', seed?: number): LoadedDataset['preview'] {
    const entry = this.loaded.get(id);
    if (!entry) throw new ContractError({ code: 'not-found', message: `no dataset "${id}" is loaded` });
    return previewSamples(entry.dataset, n, { ...(split ? { split } : {}), ...(seed !== undefined ? { seed } : {}) });
  }

  beginUpload(name: string, files: { path: string; size: number }[]): { uploadId: string } {
    const total = files.reduce((sum, f) => sum + f.size, 0);
    if (total > MAX_UPLOAD_BYTES) {
      throw new ContractError({ code: 'invalid-payload', message: `${name}: ${total} bytes dropped, more than the ${MAX_UPLOAD_BYTES}-byte limit` });
    }
    const id = randomBytes(8).toString('hex');
    const dir = join(this.uploadRoot, id);
    const clean: Upload['files'] = [];
    for (const file of files) {
      // Paths come from the page: relative, inside the upload folder, nothing else.
      const relative = normalize(file.path.replace(/\\/g, '/'));
      if (isAbsolute(relative) || relative.split(/[\\/]/).includes('..') || relative.includes('\0')) {
        throw new ContractError({ code: 'invalid-payload', message: `${file.path}: not a relative path inside the drop`, issues: [{ path: 'files', message: 'relative paths only' }] });
      }
      clean.push({ path: relative, size: file.size, received: 0 });
    }
    mkdirSync(dir, { recursive: true });
    for (const file of clean) {
      const target = join(dir, file.path);
      if (!target.startsWith(dir + sep)) throw new ContractError({ code: 'invalid-payload', message: `${file.path}: outside the drop` });
      mkdirSync(join(target, '..'), { recursive: true });
      closeSync(openSync(target, 'w'));
    }
    this.uploads.set(id, { id, name, dir, files: clean, total, received: 0 });
    return { uploadId: id };
  }

  chunk(uploadId: string, fileIndex: number, offset: number, data: Uint8Array): { received: number } {
    const upload = this.uploads.get(uploadId);
    if (!upload) throw new ContractError({ code: 'not-found', message: `no upload "${uploadId}" in progress` });
    const file = upload.files[fileIndex];
    if (!file) throw new ContractError({ code: 'invalid-payload', message: `upload ${uploadId} has no file ${fileIndex}` });
    if (offset !== file.received || offset + data.length > file.size) {
      throw new ContractError({ code: 'invalid-payload', message: `${file.path}: chunk at ${offset} (${data.length} bytes) does not follow the ${file.received} bytes received of ${file.size}` });
    }
    const fd = openSync(join(upload.dir, file.path), 'a');
    try {
      writeSync(fd, data);
    } finally {
      closeSync(fd);
    }
    file.received += data.length;
    upload.received += data.length;
    this.progress({ id: uploadId, phase: 'upload', done: upload.received, total: upload.total });
    return { received: upload.received };
  }

  async finishUpload(uploadId: string, kind: 'auto' | 'idx' | 'csv' | 'numpy' | 'images', normalization?: Normalization, read: ReadOptions = {}): Promise<LoadedDataset> {
    const upload = this.uploads.get(uploadId);
    if (!upload) throw new ContractError({ code: 'not-found', message: `no upload "${uploadId}" in progress` });
    const short = upload.files.find((f) => f.received !== f.size);
    if (short) throw new ContractError({ code: 'invalid-payload', message: `${short.path}: ${short.received} of ${short.size} bytes arrived` });
    this.uploads.delete(uploadId);
    try {
      // A single dropped folder holds the dataset one level down.
      const top = readdirSync(upload.dir);
      const root = top.length === 1 && statSync(join(upload.dir, top[0]!)).isDirectory() && kind !== 'images' ? join(upload.dir, top[0]!) : upload.dir;
      const picked = kind === 'auto' ? detectKind(root) : kind;
      this.progress({ id: uploadId, phase: 'decode', done: 0, total: upload.total });
      let source: WireSource;
      if (picked === 'csv') {
        const csv = readdirSync(root).find((n) => /\.(csv|tsv)$/i.test(n));
        if (!csv) throw new ContractError({ code: 'invalid-payload', message: `${upload.name}: no .csv file in the drop` });
        source = { kind: 'csv', path: join(root, csv) };
      } else if (picked === 'numpy') {
        // One .npz is the dataset; .npy files (x_train.npy, y_train.npy, …) are read as their folder.
        const npz = readdirSync(root).find((n) => /\.npz$/i.test(n));
        const npy = readdirSync(root).filter((n) => /\.npy$/i.test(n));
        source = { kind: 'numpy', path: npz ? join(root, npz) : npy.length === 1 ? join(root, npy[0]!) : root };
      } else {
        source = { kind: picked, path: root };
      }
      source = applyReadOptions(source, read);
      const controller = new AbortController();
      this.decoding.set(uploadId, { controller, name: upload.name });
      const info = await this.load(source, normalization, upload.name, {
        signal: controller.signal,
        onProgress: (done, total) => this.progress({ id: uploadId, phase: 'images', done, total }),
      });
      // The drop's temporary folder is removed below: only its name can be recorded.
      this.origins.set(info.summary.id, { kind: 'upload', name: upload.name });
      this.progress({ id: uploadId, phase: 'decode', done: upload.total, total: upload.total });
      return info;
    } catch (error) {
      // Errors name files relative to the drop, never the engine's temporary folder.
      const shaped = asDatasetError(error);
      throw new ContractError({ ...shaped.toShape(), message: shaped.message.split(upload.dir + sep).join('') });
    } finally {
      this.decoding.delete(uploadId);
      rmSync(upload.dir, { recursive: true, force: true });
    }
  }

  cancelUpload(uploadId: string): { cancelled: boolean } {
    const decoding = this.decoding.get(uploadId);
    if (decoding) {
      decoding.controller.abort(new DatasetError(decoding.name, 'the load was cancelled'));
      return { cancelled: true };
    }
    const upload = this.uploads.get(uploadId);
    if (!upload) return { cancelled: false };
    this.uploads.delete(uploadId);
    rmSync(upload.dir, { recursive: true, force: true });
    return { cancelled: true };
  }

  /** A loaded dataset and where it came from; null for an unknown id. */
  loadedDataset(id: string): { dataset: Dataset; origin: DatasetOrigin | null } | null {
    const entry = this.loaded.get(id);
    return entry ? { dataset: entry.dataset, origin: this.origins.get(id) ?? null } : null;
  }

  /** Where a spec's `loaded` dataset was loaded from; null for other specs (the spec says it) or an unknown id. */
  origin(spec: Spec): DatasetOrigin | null {
    return spec.dataset.kind === 'loaded' ? (this.origins.get(spec.dataset.id) ?? null) : null;
  }

  /** The data a spec names, with the spec's normalisation, as the trainer takes it. */
  async resolve(spec: Spec): Promise<TrainingData> {
    const ref = spec.dataset;
    let dataset: Dataset;
    if (ref.kind === 'loaded') {
      const entry = this.loaded.get(ref.id);
      if (!entry) {
        throw new ContractError({ code: 'invalid-payload', message: `spec.dataset.id: no dataset "${ref.id}" is loaded in this engine (it was loaded before a restart?): load it again on the Data screen`, issues: [{ path: 'spec.dataset.id', message: 'not loaded' }] });
      }
      dataset = entry.dataset;
    } else {
      try {
        dataset = await this.read(ref, spec.normalization);
      } catch (error) {
        throw asDatasetError(error);
      }
    }
    const targets = targetRange(dataset);
    return {
      ...asTrainingData({ ...dataset, normalization: spec.normalization }),
      rawRange: { min: dataset.stats.min, max: dataset.stats.max },
      ...(targets ? { targetRange: targets } : {}),
      preparation: preparationOf(dataset, spec.normalization),
    };
  }

  dispose(): void {
    rmSync(this.uploadRoot, { recursive: true, force: true });
  }
}
