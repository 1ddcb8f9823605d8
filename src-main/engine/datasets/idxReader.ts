/**
 * IDX files (the MNIST format, http://yann.lecun.com/exdb/mnist/): a 4-byte magic
 * (0x00 0x00, an element-type byte, a dimension count), the dimensions as big-endian u32,
 * then the values, big-endian. Plain or gzipped (told by the gzip magic, not the name).
 *
 * Nothing the header claims is allocated before it is checked against the size limit and
 * against what the file can hold: for a plain file its length, for a gzip file deflate's
 * largest expansion (1032:1) and the uncompressed size its trailer records. Inflation is
 * streamed and stops at the limit, so a gzip bomb costs at most the limit in time and
 * nothing beyond the declared size in memory. Header errors come back from the first bytes.
 */
import { open, readdir, stat, type FileHandle } from 'node:fs/promises';
import { endianness } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { createGunzip, type Gunzip } from 'node:zlib';
import { createHash } from 'node:crypto';
import {
  BYTES_PER_ELEMENT,
  DEFAULT_MAX_BYTES,
  DatasetError,
  computeStats,
  firstNonFinite,
  formatBytes,
  formatCount,
  throwIfAborted,
  type Dataset,
  type ElementType,
  type Normalization,
  type ReadLimits,
  type SampleArray,
  type Split,
} from './types';

/** One IDX file's contents: dims[0] is usually the sample count. */
export interface IdxArray {
  /** The file's base name, as errors show it. */
  file: string;
  type: ElementType;
  dims: number[];
  data: SampleArray;
}

export type IdxReadOptions = ReadLimits;

const TYPE_CODES: Record<number, ElementType> = { 0x08: 'u8', 0x09: 'i8', 0x0b: 'i16', 0x0c: 'i32', 0x0d: 'f32', 0x0e: 'f64' };
const MAX_DIMS = 8;
/** Deflate's largest expansion: a 258-byte match coded in about 2 bits. */
const DEFLATE_MAX_RATIO = 1032;
const GZIP_CHUNK = 256 * 1024;
const READ_CHUNK = 1024 * 1024;
/** Compressed bytes per read: two such buffers are reused for the whole file. */
const FEED_CHUNK = 256 * 1024;

interface IdxHeader {
  type: ElementType;
  dims: number[];
  headerBytes: number;
  dataBytes: number;
}

const hex = (b: number): string => `0x${b.toString(16).padStart(2, '0').toUpperCase()}`;

/**
 * Parses the header from the first bytes; null when more bytes are needed. `ended` says
 * those are all the bytes there are, so a short header is an error.
 */
function parseHeader(file: string, bytes: Uint8Array, ended: boolean, maxBytes: number): IdxHeader | null {
  if (bytes.length < 4) {
    if (!ended) return null;
    throw new DatasetError(file, bytes.length === 0 ? 'the file is empty' : `the file holds ${bytes.length} bytes, too few for an IDX header (4-byte magic, then 4 bytes per dimension)`);
  }
  const [z0, z1, code, ndims] = [bytes[0]!, bytes[1]!, bytes[2]!, bytes[3]!];
  if (z0 !== 0 || z1 !== 0) {
    throw new DatasetError(file, `not an IDX file: it starts with ${[z0, z1, code, ndims].map(hex).join(' ')}, an IDX file with 0x00 0x00, a type byte and a dimension count`);
  }
  const type = TYPE_CODES[code];
  if (!type) throw new DatasetError(file, `unknown IDX element type ${hex(code)} (known: 0x08 u8, 0x09 i8, 0x0B i16, 0x0C i32, 0x0D f32, 0x0E f64)`);
  if (ndims === 0 || ndims > MAX_DIMS) throw new DatasetError(file, `the IDX header declares ${ndims} dimensions; 1 to ${MAX_DIMS} are supported`);
  const headerBytes = 4 + 4 * ndims;
  if (bytes.length < headerBytes) {
    if (!ended) return null;
    throw new DatasetError(file, `the IDX header declares ${ndims} dimensions (a ${headerBytes}-byte header) but the file ends after ${bytes.length} bytes`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, headerBytes);
  const dims: number[] = [];
  let values = 1n;
  for (let d = 0; d < ndims; d++) {
    const size = view.getUint32(4 + 4 * d, false);
    dims.push(size);
    values *= BigInt(size);
  }
  // BigInt: eight u32 dimensions multiply far past 2^53, where doubles stop being exact.
  const dataBytes = values * BigInt(BYTES_PER_ELEMENT[type]);
  if (dataBytes > BigInt(maxBytes)) {
    throw new DatasetError(file, `the IDX header declares ${dims.join('×')} ${type} values (${formatCount(Number(dataBytes))} bytes), more than the ${formatBytes(maxBytes)} limit`);
  }
  return { type, dims, headerBytes, dataBytes: Number(dataBytes) };
}

function describeDeclared(h: IdxHeader): string {
  return `${h.dims.join('×')} ${h.type} values (${formatCount(h.headerBytes + h.dataBytes)} bytes with the ${h.headerBytes}-byte header)`;
}

/** Big-endian file bytes → a typed array of the host's order, in place (bytes aligned to the element size). */
function toTypedArray(type: ElementType, bytes: Uint8Array): SampleArray {
  const width = BYTES_PER_ELEMENT[type];
  if (endianness() === 'LE' && width > 1) {
    const view = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    if (type === 'i16') view.swap16();
    else if (type === 'f64') view.swap64();
    else view.swap32();
  }
  const { buffer, byteOffset, byteLength } = bytes;
  switch (type) {
    case 'u8':
      return bytes;
    case 'i8':
      return new Int8Array(buffer, byteOffset, byteLength);
    case 'i16':
      return new Int16Array(buffer, byteOffset, byteLength / 2);
    case 'i32':
      return new Int32Array(buffer, byteOffset, byteLength / 4);
    case 'f32':
      return new Float32Array(buffer, byteOffset, byteLength / 4);
    case 'f64':
      return new Float64Array(buffer, byteOffset, byteLength / 8);
  }
}

async function readFully(fh: FileHandle, target: Uint8Array, position: number, signal: AbortSignal | undefined): Promise<number> {
  let done = 0;
  while (done < target.length) {
    throwIfAborted(signal);
    const length = Math.min(target.length - done, 16 * READ_CHUNK);
    const { bytesRead } = await fh.read(target, done, length, position + done);
    if (bytesRead === 0) break;
    done += bytesRead;
  }
  return done;
}

async function readPlain(file: string, fh: FileHandle, size: number, maxBytes: number, signal: AbortSignal | undefined): Promise<IdxArray> {
  const first = new Uint8Array(Math.min(size, 4 + 4 * MAX_DIMS));
  await readFully(fh, first, 0, signal);
  const header = parseHeader(file, first, true, maxBytes)!;
  const declared = header.headerBytes + header.dataBytes;
  if (size !== declared) {
    throw new DatasetError(file, `the header declares ${describeDeclared(header)} but the file holds ${formatCount(size)} bytes`);
  }
  const buffer = new ArrayBuffer(header.dataBytes);
  const got = await readFully(fh, new Uint8Array(buffer), header.headerBytes, signal);
  if (got !== header.dataBytes) throw new DatasetError(file, `the file shrank while it was read (${formatCount(header.headerBytes + got)} of ${formatCount(declared)} bytes)`);
  return { file, type: header.type, dims: header.dims, data: toTypedArray(header.type, new Uint8Array(buffer)) };
}

/** The uncompressed size mod 2^32 that a gzip file's trailer records (of its last member). */
async function gzipTrailerSize(fh: FileHandle, size: number): Promise<number | null> {
  if (size < 18) return null;
  const tail = new Uint8Array(4);
  await fh.read(tail, 0, 4, size - 4);
  return new DataView(tail.buffer).getUint32(0, true);
}

/** A zlib error as a person's error: truncated, or not gzip at all. */
function gzipFailure(file: string, error: unknown, inflated: number, header: IdxHeader | null): DatasetError {
  const code = (error as { code?: string }).code;
  if (code === 'Z_BUF_ERROR' || /unexpected end of file/i.test(String((error as Error).message))) {
    const of = header ? ` of the ${formatCount(header.headerBytes + header.dataBytes)} the header declares` : '';
    return new DatasetError(file, `the gzip stream is truncated (it ends after ${formatCount(inflated)} inflated bytes${of})`);
  }
  return new DatasetError(file, `not a valid gzip stream (${(error as Error).message})`);
}

/**
 * Feeds the file to zlib through two reused buffers (read one while the other inflates), so
 * the compressed input leaves no garbage behind. Stops when zlib is destroyed.
 */
async function feed(fh: FileHandle, size: number, gunzip: Gunzip): Promise<void> {
  const buffers = [Buffer.allocUnsafe(FEED_CHUNK), Buffer.allocUnsafe(FEED_CHUNK)];
  const closed = new Promise<void>((resolve) => gunzip.once('close', resolve));
  const free: Promise<void>[] = [Promise.resolve(), Promise.resolve()];
  let position = 0;
  for (let k = 0; position < size; k ^= 1) {
    await Promise.race([free[k], closed]);
    if (gunzip.destroyed) return;
    const buffer = buffers[k]!;
    const { bytesRead } = await fh.read(buffer, 0, Math.min(FEED_CHUNK, size - position), position);
    if (bytesRead === 0 || gunzip.destroyed) break;
    position += bytesRead;
    // The write's callback says zlib has consumed the buffer: then it can be read into again.
    free[k] = new Promise<void>((resolve) => gunzip.write(buffer.subarray(0, bytesRead), () => resolve()));
  }
  if (!gunzip.destroyed) gunzip.end();
}

/**
 * Streams a gzip file through zlib, handing each inflated chunk to `take`; stops (and stops
 * reading the file) as soon as `take` returns false or throws. Resolves to the bytes inflated.
 */
async function inflate(file: string, fh: FileHandle, size: number, chunkSize: number, signal: AbortSignal | undefined, header: () => IdxHeader | null, take: (chunk: Buffer) => boolean): Promise<number> {
  const gunzip = createGunzip({ chunkSize });
  const feeding = feed(fh, size, gunzip).catch((error: unknown) => {
    gunzip.destroy(error as Error);
  });
  let inflated = 0;
  try {
    for await (const chunk of gunzip as AsyncIterable<Buffer>) {
      throwIfAborted(signal);
      inflated += chunk.length;
      if (!take(chunk)) break;
    }
  } catch (error) {
    if (error instanceof DatasetError) throw error;
    throwIfAborted(signal);
    throw gzipFailure(file, error, inflated, header());
  } finally {
    gunzip.destroy();
    // The file handle is closed after this returns: the feeder must be done with it by then.
    await feeding;
  }
  return inflated;
}

/** Room past the declared size in zlib's one output buffer, so a correct file never fills it. */
const OUTPUT_SLACK = 64 * 1024;

async function readGzip(file: string, fh: FileHandle, size: number, maxBytes: number, signal: AbortSignal | undefined): Promise<IdxArray> {
  // 1. The header, from the first inflated bytes: errors in it come back at once.
  let probe: Uint8Array = new Uint8Array(0);
  let parsed: IdxHeader | null = null;
  const probed = await inflate(file, fh, size, GZIP_CHUNK, signal, () => null, (chunk) => {
    const joined = new Uint8Array(probe.length + chunk.length);
    joined.set(probe);
    joined.set(chunk, probe.length);
    probe = joined.subarray(0, 4 + 4 * MAX_DIMS);
    parsed = parseHeader(file, joined, false, maxBytes);
    return parsed === null;
  });
  if (probed === 0) throw new DatasetError(file, 'the gzip stream inflates to 0 bytes: no IDX header');
  const h: IdxHeader = parsed ?? parseHeader(file, probe, true, maxBytes)!;
  const declared = h.headerBytes + h.dataBytes;
  if (declared > size * DEFLATE_MAX_RATIO + 1024) {
    throw new DatasetError(file, `the header declares ${describeDeclared(h)} but ${formatCount(size)} gzipped bytes can inflate to at most ${formatCount(size * DEFLATE_MAX_RATIO)}: the file is truncated or its header is wrong`);
  }

  // 2. The whole stream. When the trailer's size agrees with the header, zlib gets one output
  // buffer that holds it all: the chunks it hands out are consecutive views of that buffer, so
  // the data is adopted without a copy and no chunk is left as garbage. Otherwise (a lying
  // header, or a multi-member file) chunks are kept and joined, and nothing is allocated upfront.
  const trusted = (await gzipTrailerSize(fh, size)) === declared % 2 ** 32;
  let whole: Uint8Array | null = null;
  const chunks: Buffer[] = [];
  let total = 0;
  let overflow = false;
  const limit = Math.max(maxBytes, declared);
  const inflated = await inflate(file, fh, size, trusted ? declared + OUTPUT_SLACK : GZIP_CHUNK, signal, () => h, (chunk) => {
    if (total + chunk.length > declared) {
      // Longer than declared: count on (storing nothing) up to the limit, to say by how much.
      overflow = true;
      total += chunk.length;
      if (total > limit) throw new DatasetError(file, `the header declares ${describeDeclared(h)} but the gzip stream inflates to more than the ${formatBytes(maxBytes)} limit; stopped there`);
      return true;
    }
    if (trusted) {
      if (whole === null) {
        whole = chunk.byteOffset === 0 && chunk.buffer.byteLength >= declared && chunk.buffer.byteLength <= declared + OUTPUT_SLACK ? new Uint8Array(chunk.buffer, 0, declared) : new Uint8Array(declared);
      }
      // Already in place when zlib wrote into the adopted buffer; copied otherwise.
      if (chunk.buffer !== whole.buffer || chunk.byteOffset !== total) whole.set(chunk, total);
    } else {
      chunks.push(chunk);
    }
    total += chunk.length;
    return true;
  });
  if (overflow || inflated !== declared) {
    throw new DatasetError(file, `the header declares ${describeDeclared(h)} but the gzip stream inflates to ${formatCount(inflated)} bytes`);
  }
  if (!whole) {
    whole = new Uint8Array(declared);
    let at = 0;
    for (const c of chunks) {
      whole.set(c, at);
      at += c.length;
    }
    chunks.length = 0;
  }
  const w: Uint8Array = whole;
  const aligned = (w.byteOffset + h.headerBytes) % BYTES_PER_ELEMENT[h.type] === 0;
  // A typed array must start at a multiple of its element size: copy in the rare case it does not.
  const data = aligned ? w.subarray(h.headerBytes) : w.slice(h.headerBytes);
  return { file, type: h.type, dims: h.dims, data: toTypedArray(h.type, data) };
}

/**
 * Reads one IDX file, plain or gzipped. Rejects with a DatasetError naming the file for a
 * wrong magic, an unknown type, 0 or more than 8 dimensions, a declared size over
 * `maxBytes` (default 2 GiB), a length that disagrees with the header, or a bad gzip stream.
 */
export async function readIdx(path: string, options: IdxReadOptions = {}): Promise<IdxArray> {
  const file = basename(path);
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  throwIfAborted(options.signal);
  let fh: FileHandle;
  try {
    fh = await open(path, 'r');
  } catch (error) {
    throw new DatasetError(file, `cannot be opened (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
  try {
    const info = await fh.stat();
    if (!info.isFile()) throw new DatasetError(file, 'is not a regular file');
    const magic = new Uint8Array(2);
    if (info.size >= 2) await fh.read(magic, 0, 2, 0);
    if (magic[0] === 0x1f && magic[1] === 0x8b) return await readGzip(file, fh, info.size, maxBytes, options.signal);
    return await readPlain(file, fh, info.size, maxBytes, options.signal);
  } finally {
    await fh.close();
  }
}

// ---------------------------------------------------------------------------------------
// MNIST-style pairs of files → one Dataset

type Role = 'trainImages' | 'trainLabels' | 'testImages' | 'testLabels';

/** train-images-idx3-ubyte, t10k-labels.idx1-ubyte.gz, emnist-letters-train-images-idx3-ubyte … */
const IDX_NAME = /(train|t10k|test)-(images|labels)[-.]idx(\d)-ubyte(\.gz)?$/i;

export const IDX_EXPECTED_NAMES = 'train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte (each optionally .gz)';

function roleOf(path: string): Role | null {
  const m = IDX_NAME.exec(basename(path));
  if (!m) return null;
  const train = m[1]!.toLowerCase() === 'train';
  const images = m[2]!.toLowerCase() === 'images';
  return train ? (images ? 'trainImages' : 'trainLabels') : images ? 'testImages' : 'testLabels';
}

export interface IdxLoadOptions extends ReadLimits {
  normalization?: Normalization;
  /** Names of the classes; IDX files hold none, so they default to "0", "1", …. */
  classNames?: string[];
  /** Shown in the UI; defaults to the folder's name. */
  name?: string;
}

function labelsToClasses(labels: IdxArray, images: IdxArray, limit: number): Int32Array {
  const n = images.dims[0]!;
  if (labels.dims.length !== 1 && !(labels.dims.length === 2 && labels.dims[1] === 1)) {
    throw new DatasetError(labels.file, `labels must be one value per image (an idx1 file); this one is ${labels.dims.join('×')}`);
  }
  if (labels.dims[0] !== n) throw new DatasetError(labels.file, `${labels.dims[0]} labels for ${n} images in ${images.file}`);
  if (labels.type === 'f32' || labels.type === 'f64') throw new DatasetError(labels.file, `labels must be integers (class indices), not ${labels.type}`);
  const out = new Int32Array(n);
  const data = labels.data;
  for (let i = 0; i < n; i++) {
    const v = data[i]!;
    if (v < 0 || v >= limit) throw new DatasetError(labels.file, `label ${v} at index ${i} is out of range (classes are 0 to ${limit - 1})`);
    out[i] = v;
  }
  return out;
}

function inputShapeOf(images: IdxArray): number[] {
  const rest = images.dims.slice(1);
  if (rest.length === 0) return [1];
  // [N, H, W] are grayscale images: give them their channel, as convolutions expect.
  if (rest.length === 2) return [...rest, 1];
  return rest;
}

/** Loads MNIST-style IDX files (train and/or t10k pairs) into one Dataset. */
export async function loadIdxFiles(paths: string[], options: IdxLoadOptions = {}): Promise<Dataset> {
  const byRole = new Map<Role, string>();
  for (const path of paths) {
    const role = roleOf(path);
    if (!role) throw new DatasetError(basename(path), `not an MNIST-style IDX file name; expected ${IDX_EXPECTED_NAMES}`);
    const previous = byRole.get(role);
    if (previous) throw new DatasetError(basename(path), `two files for the same part of the dataset: ${basename(previous)} and ${basename(path)}`);
    byRole.set(role, path);
  }
  for (const [images, labels] of [
    ['trainImages', 'trainLabels'],
    ['testImages', 'testLabels'],
  ] as const) {
    const i = byRole.get(images);
    const l = byRole.get(labels);
    if (i && !l) throw new DatasetError(basename(i), `has no labels file beside it (${images === 'trainImages' ? 'train' : 't10k'}-labels-idx1-ubyte[.gz])`);
    if (l && !i) throw new DatasetError(basename(l), `has no images file beside it (${labels === 'trainLabels' ? 'train' : 't10k'}-images-idx3-ubyte[.gz])`);
  }
  if (byRole.size === 0) throw new DatasetError('(no files)', `no IDX files given; expected ${IDX_EXPECTED_NAMES}`);

  const limits: IdxReadOptions = { ...(options.maxBytes !== undefined ? { maxBytes: options.maxBytes } : {}), ...(options.signal ? { signal: options.signal } : {}) };
  const roles = [...byRole.keys()];
  // Read concurrently (inflation runs on the thread pool), but stop the others on the first error.
  const abort = new AbortController();
  const onAbort = (): void => abort.abort(options.signal?.reason);
  throwIfAborted(options.signal);
  options.signal?.addEventListener('abort', onAbort, { once: true });
  let arrays: IdxArray[];
  try {
    arrays = await Promise.all(
      roles.map((role) =>
        readIdx(byRole.get(role)!, { ...limits, signal: abort.signal }).catch((error: unknown) => {
          abort.abort(error);
          throw error;
        }),
      ),
    );
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
  }
  const read = new Map(roles.map((role, k) => [role, arrays[k]!]));

  const classLimit = options.classNames ? options.classNames.length : 256;
  const splitOf = (imagesRole: Role, labelsRole: Role): { split: Split; images: IdxArray } | undefined => {
    const images = read.get(imagesRole);
    const labels = read.get(labelsRole);
    if (!images || !labels) return undefined;
    if (images.dims[0] === 0) throw new DatasetError(images.file, 'holds no images');
    const bad = firstNonFinite(images.data);
    if (bad >= 0) throw new DatasetError(images.file, `value ${images.data[bad]} at index ${bad} (sample ${Math.floor(bad / (images.data.length / images.dims[0]!))}) is not a finite number`);
    return { images, split: { count: images.dims[0]!, x: images.data, y: labelsToClasses(labels, images, classLimit) } };
  };
  const train = splitOf('trainImages', 'trainLabels');
  const test = splitOf('testImages', 'testLabels');
  // Only a t10k pair given: it is the set to train on (validation then comes from a split of it).
  const main = train ?? test!;
  const held = train ? test : undefined;
  const inputShape = inputShapeOf(main.images);
  if (held) {
    const heldShape = inputShapeOf(held.images);
    if (heldShape.join('×') !== inputShape.join('×')) {
      throw new DatasetError(held.images.file, `samples are ${heldShape.join('×')}, but the training samples (${main.images.file}) are ${inputShape.join('×')}`);
    }
    if (held.images.type !== main.images.type) throw new DatasetError(held.images.file, `values are ${held.images.type}, but the training values (${main.images.file}) are ${main.images.type}`);
  }
  let classes = 0;
  for (const part of [main, held]) if (part) for (const v of part.split.y) if (v + 1 > classes) classes = v + 1;
  const classNames = options.classNames ?? Array.from({ length: classes }, (_, c) => String(c));
  const files = roles.map((role) => resolve(byRole.get(role)!)).sort();
  const folder = dirname(files[0]!);
  return {
    id: `idx-${createHash('sha1').update(JSON.stringify([files, options.normalization ?? 'none', options.classNames ?? null])).digest('hex').slice(0, 12)}`,
    name: options.name ?? basename(folder),
    source: { kind: 'idx', files },
    task: 'classification',
    inputShape,
    elementType: main.images.type,
    targetDim: 1,
    classNames,
    splits: held ? { train: main.split, test: held.split } : { train: main.split },
    normalization: options.normalization ?? 'none',
    stats: computeStats(main.split.x),
  };
}

/**
 * Loads the MNIST-style files in a folder (train-images-idx3-ubyte[.gz] and the others).
 * When a file is there both plain and gzipped, the plain one is read (no inflating).
 */
export async function loadIdxFolder(dir: string, options: IdxLoadOptions = {}): Promise<Dataset> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (error) {
    throw new DatasetError(basename(dir), `cannot be read as a folder (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
  const chosen = new Map<Role, string>();
  for (const name of names.sort()) {
    const role = roleOf(name);
    if (!role) continue;
    const previous = chosen.get(role);
    if (previous && !previous.toLowerCase().endsWith('.gz')) continue;
    if (previous && name.toLowerCase().endsWith('.gz')) {
      throw new DatasetError(basename(dir), `two files for the same part of the dataset: ${previous} and ${name}`);
    }
    chosen.set(role, name);
  }
  if (chosen.size === 0) throw new DatasetError(basename(dir), `holds no IDX files; expected ${IDX_EXPECTED_NAMES}`);
  const paths: string[] = [];
  for (const name of chosen.values()) {
    const path = join(dir, name);
    if (!(await stat(path)).isFile()) throw new DatasetError(name, 'is not a regular file');
    paths.push(path);
  }
  return loadIdxFiles(paths, { name: basename(resolve(dir)), ...options });
}
