/**
 * Streams dropped files to the engine in serve mode: dataset.upload.begin, then each file in
 * chunks of at most UPLOAD_CHUNK_BYTES, in order (the engine appends them), then finish. The
 * page never holds more than one chunk of a file in memory.
 */
import { UPLOAD_CHUNK_BYTES, type Bridge, type LoadedDataset, type Normalization, type ReadOptions } from '@contract';
import type { DroppedFile } from './droppedFiles';

/** Byte ranges that cover a file of `size` bytes in order, each at most `chunkBytes` long. */
export function chunkRanges(size: number, chunkBytes: number = UPLOAD_CHUNK_BYTES): { offset: number; length: number }[] {
  if (!Number.isInteger(size) || size < 0) throw new RangeError(`chunkRanges: size ${size} is not a byte count`);
  if (!Number.isInteger(chunkBytes) || chunkBytes < 1) throw new RangeError(`chunkRanges: chunk size ${chunkBytes} is not a positive byte count`);
  const ranges: { offset: number; length: number }[] = [];
  for (let offset = 0; offset < size; offset += chunkBytes) ranges.push({ offset, length: Math.min(chunkBytes, size - offset) });
  return ranges;
}

export interface UploadProgress {
  phase: 'upload' | 'decode';
  /** Bytes the engine has acknowledged (upload), or of the decode as the engine reports it. */
  done: number;
  total: number;
}

export interface UploadOptions {
  name: string;
  normalization?: Normalization;
  /** How the engine reads the files (a CSV file's header, an image folder's size). */
  read?: ReadOptions;
  onProgress?: (progress: UploadProgress) => void;
  /** Told the upload's id once the engine has opened it (to match dataset.progress events). */
  onBegin?: (uploadId: string) => void;
  /** Aborting stops the upload at once and cancels it in the engine, decoding included. */
  signal?: AbortSignal;
}

/** Thrown when the upload was cancelled through its signal. */
export class UploadCancelled extends Error {
  override readonly name = 'UploadCancelled';
  constructor() {
    super('the upload was cancelled');
  }
}

/**
 * `work`, or UploadCancelled as soon as the signal aborts: a Cancel takes effect at once, not
 * when the chunk in flight is answered (whose answer, coming later, is then ignored).
 */
function untilAborted<T>(work: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return work;
  work.catch(() => undefined);
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(new UploadCancelled());
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/** Uploads the files and loads them as one dataset; rejects with the engine's error (naming the file at fault). */
export async function uploadFiles(bridge: Bridge, files: readonly DroppedFile[], options: UploadOptions): Promise<LoadedDataset> {
  const { signal } = options;
  if (signal?.aborted) throw new UploadCancelled();
  const total = files.reduce((sum, f) => sum + f.file.size, 0);
  const { uploadId } = await bridge.request('dataset.upload.begin', { name: options.name, files: files.map((f) => ({ path: f.path, size: f.file.size })) });
  options.onBegin?.(uploadId);
  let done = 0;
  options.onProgress?.({ phase: 'upload', done, total });
  try {
    for (const [index, { file }] of files.entries()) {
      for (const { offset, length } of chunkRanges(file.size)) {
        if (signal?.aborted) throw new UploadCancelled();
        const data = new Uint8Array(await untilAborted(file.slice(offset, offset + length).arrayBuffer(), signal));
        if (data.length !== length) throw new Error(`${file.name}: read ${data.length} bytes at ${offset}, expected ${length}; was the file changed while it was sent?`);
        await untilAborted(bridge.request('dataset.upload.chunk', { uploadId, file: index, offset, data }), signal);
        done += length;
        options.onProgress?.({ phase: 'upload', done, total });
      }
    }
    if (signal?.aborted) throw new UploadCancelled();
  } catch (error) {
    // The engine drops what it received; a chunk still in flight is refused when it arrives.
    await bridge.request('dataset.upload.cancel', { uploadId }).catch(() => undefined);
    throw error;
  }
  options.onProgress?.({ phase: 'decode', done: 0, total });
  const finishing = bridge.request('dataset.upload.finish', { uploadId, kind: 'auto', ...(options.normalization ? { normalization: options.normalization } : {}), ...(options.read ? { read: options.read } : {}) });
  // A Cancel while the engine decodes stops its reader; nothing it had loaded changes.
  const onAbort = (): void => void bridge.request('dataset.upload.cancel', { uploadId }).catch(() => undefined);
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    return await untilAborted(finishing, signal);
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
}
