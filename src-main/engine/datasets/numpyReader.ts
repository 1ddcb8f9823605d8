/**
 * NumPy files as Python users save them: `.npy` (one array) and `.npz` (a zip of `.npy`
 * members, stored or deflated, as np.savez and np.savez_compressed write them, and as
 * keras.datasets.mnist ships x_train, y_train, x_test, y_test). Dtypes u1, i1…i8, f2/f4/f8,
 * b1, either byte order, C or Fortran order. Object arrays are refused: numpy saves them as
 * pickles, and a pickle can run code when loaded, so Trainbench never loads one.
 * Format: https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html
 */
import { open, readdir, stat } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { createHash } from 'node:crypto';
import { inflateRawSync } from 'node:zlib';
import { MAX_CLASSES, MAX_INFERRED_CLASSES } from './csvReader';
import { DEFAULT_MAX_BYTES, DatasetError, computeFeatureStats, computeStats, elementTypeOf, formatBytes, formatCount, throwIfAborted, type Dataset, type Normalization, type ReadLimits, type SampleArray, type Split, type Task } from './types';

export interface NumpyLoadOptions extends ReadLimits {
  normalization?: Normalization;
  task?: Task;
  name?: string;
}

/** One array as read: values in C order, in the closest element type the engine keeps. */
export interface NpyArray {
  /** The dtype as the file declares it ('<f4', '|u1'). */
  descr: string;
  shape: number[];
  values: SampleArray;
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

interface Dtype {
  kind: 'u' | 'i' | 'f' | 'b';
  size: number;
  little: boolean;
}

function parseDescr(file: string, descr: string): Dtype {
  const m = /^([<>|=])([uifb])(\d+)$/.exec(descr);
  if (!m) {
    if (/^[<>|=]?O/.test(descr)) throw new DatasetError(file, `holds Python objects (dtype ${descr}), which numpy saves as a pickle; Trainbench never loads pickles (they can run code): save a numeric array, e.g. np.save(path, x.astype("float32"))`);
    if (/^[<>|=]?[USa]/.test(descr)) throw new DatasetError(file, `holds text (dtype ${descr}); inputs and labels must be numbers: map class names to integers before saving`);
    throw new DatasetError(file, `dtype ${descr} is not one Trainbench reads (u1, i1, i2, i4, i8, f2, f4, f8, b1)`);
  }
  const kind = m[2] as Dtype['kind'];
  const size = Number(m[3]);
  const ok = (kind === 'u' && size === 1) || (kind === 'i' && [1, 2, 4, 8].includes(size)) || (kind === 'f' && [2, 4, 8].includes(size)) || (kind === 'b' && size === 1);
  if (!ok) throw new DatasetError(file, `dtype ${descr} is not one Trainbench reads (u1, i1, i2, i4, i8, f2, f4, f8, b1)`);
  return { kind, size, little: m[1] !== '>' };
}

/** The header dict numpy writes: {'descr': '<f4', 'fortran_order': False, 'shape': (60000, 28, 28), } */
function parseHeader(file: string, text: string): { descr: string; fortran: boolean; shape: number[] } {
  const descr = /['"]descr['"]\s*:\s*(['"])(.*?)\1/.exec(text);
  if (!descr) {
    if (/['"]descr['"]\s*:\s*\[/.test(text)) throw new DatasetError(file, 'holds a structured array (a dtype with named fields); save each field as its own array');
    throw new DatasetError(file, `the .npy header has no 'descr' (the dtype): ${JSON.stringify(text.slice(0, 80))}`);
  }
  const fortran = /['"]fortran_order['"]\s*:\s*(True|False)/.exec(text);
  if (!fortran) throw new DatasetError(file, "the .npy header has no 'fortran_order'");
  const shape = /['"]shape['"]\s*:\s*\(([^)]*)\)/.exec(text);
  if (!shape) throw new DatasetError(file, "the .npy header has no 'shape'");
  const dims = shape[1]!
    .split(',')
    .map((d) => d.trim())
    .filter((d) => d !== '');
  if (!dims.every((d) => /^\d+L?$/.test(d))) throw new DatasetError(file, `the .npy header's shape (${shape[1]}) is not a tuple of sizes`);
  return { descr: descr[2]!, fortran: fortran[1] === 'True', shape: dims.map((d) => Number.parseInt(d, 10)) };
}

/** Header length of a .npy held in `bytes`: where the data starts, and what it declares. */
function npyHeader(file: string, bytes: Uint8Array): { dataStart: number; descr: string; dtype: Dtype; fortran: boolean; shape: number[]; count: number } {
  if (bytes.length === 0) throw new DatasetError(file, 'the file is empty');
  for (let i = 0; i < MAGIC.length; i++) {
    if (i >= bytes.length) throw new DatasetError(file, `${bytes.length} bytes, too few for a .npy header (it starts with 10)`);
    if (bytes[i] !== MAGIC[i]) {
      const head = Array.from(bytes.subarray(0, 6), (b) => `0x${b.toString(16).padStart(2, '0')}`).join(' ');
      throw new DatasetError(file, `not a .npy file: it starts with ${head}, not \\x93NUMPY`);
    }
  }
  if (bytes.length < 10) throw new DatasetError(file, `${bytes.length} bytes, too few for a .npy header (it starts with 10)`);
  const major = bytes[6]!;
  if (major < 1 || major > 3) throw new DatasetError(file, `.npy format version ${major}.${bytes[7]} is not one Trainbench reads (1.0 to 3.0)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const wide = major >= 2;
  if (wide && bytes.length < 12) throw new DatasetError(file, `${bytes.length} bytes, too few for a version ${major} .npy header (it starts with 12)`);
  const headerLength = wide ? view.getUint32(8, true) : view.getUint16(8, true);
  const textStart = wide ? 12 : 10;
  const dataStart = textStart + headerLength;
  if (dataStart > bytes.length) throw new DatasetError(file, `the .npy header says it is ${formatCount(headerLength)} bytes long, but the file ends after ${formatCount(bytes.length)} bytes`);
  const text = new TextDecoder(major >= 3 ? 'utf-8' : 'latin1').decode(bytes.subarray(textStart, dataStart));
  const { descr, fortran, shape } = parseHeader(file, text);
  const dtype = parseDescr(file, descr);
  const count = shape.reduce((a, b) => a * b, 1);
  return { dataStart, descr, dtype, fortran, shape, count };
}

function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >> 10) & 0x1f;
  const fraction = h & 0x3ff;
  if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024);
  if (exponent === 31) return fraction ? NaN : sign * Infinity;
  return sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
}

/** The values of a C-order layout from a Fortran-order one (first index fastest). */
function fromFortran<T extends SampleArray>(values: T, shape: number[]): T {
  if (shape.length < 2) return values;
  const out = new (values.constructor as new (n: number) => T)(values.length);
  const rank = shape.length;
  // Fortran strides: the first axis varies fastest.
  const strides = new Array<number>(rank);
  strides[0] = 1;
  for (let a = 1; a < rank; a++) strides[a] = strides[a - 1]! * shape[a - 1]!;
  const index = new Array<number>(rank).fill(0);
  let from = 0;
  for (let i = 0; i < values.length; i++) {
    out[i] = values[from]!;
    // Advance the C-order multi-index (last axis fastest), tracking the Fortran offset.
    for (let a = rank - 1; a >= 0; a--) {
      index[a]!++;
      from += strides[a]!;
      if (index[a]! < shape[a]!) break;
      from -= strides[a]! * shape[a]!;
      index[a] = 0;
    }
  }
  return out;
}

/** Decodes one .npy held in memory (a file, or an .npz member). Checks what the header claims before allocating. */
export function parseNpy(file: string, bytes: Uint8Array, maxBytes = DEFAULT_MAX_BYTES): NpyArray {
  const { dataStart, descr, dtype, fortran, shape, count } = npyHeader(file, bytes);
  const declared = count * dtype.size;
  const shown = shape.length === 0 ? 'a scalar' : `${shape.join('×')} ${descr}`;
  if (declared > maxBytes) throw new DatasetError(file, `declares ${shown} values (${formatCount(declared)} bytes), more than the ${formatBytes(maxBytes)} limit`);
  const held = bytes.length - dataStart;
  if (held !== declared) throw new DatasetError(file, `declares ${shown} values (${formatCount(declared)} bytes after its ${dataStart}-byte header) but the file holds ${formatCount(held)}${held < declared ? ': it is truncated' : ''}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset + dataStart, declared);
  let values: SampleArray;
  const { kind, size, little } = dtype;
  if (kind === 'u') {
    // A view, not a copy: an inflated member's buffer is this array's alone.
    values = new Uint8Array(bytes.buffer, bytes.byteOffset + dataStart, count);
  } else if (kind === 'b') {
    values = new Uint8Array(count);
    for (let i = 0; i < count; i++) values[i] = bytes[dataStart + i] ? 1 : 0;
  } else if (kind === 'i' && size === 1) {
    values = new Int8Array(count);
    for (let i = 0; i < count; i++) values[i] = view.getInt8(i);
  } else if (kind === 'i' && size === 2) {
    values = new Int16Array(count);
    for (let i = 0; i < count; i++) values[i] = view.getInt16(i * 2, little);
  } else if (kind === 'i' && size === 4) {
    values = new Int32Array(count);
    for (let i = 0; i < count; i++) values[i] = view.getInt32(i * 4, little);
  } else if (kind === 'i') {
    // int64 (numpy's default integer): int32 when every value fits, else float64 (exact to 2^53).
    let fits = true;
    for (let i = 0; i < count && fits; i++) {
      const v = view.getBigInt64(i * 8, little);
      fits = v >= -2147483648n && v <= 2147483647n;
    }
    values = fits ? new Int32Array(count) : new Float64Array(count);
    for (let i = 0; i < count; i++) values[i] = Number(view.getBigInt64(i * 8, little));
  } else if (size === 2) {
    values = new Float32Array(count);
    for (let i = 0; i < count; i++) values[i] = halfToFloat(view.getUint16(i * 2, little));
  } else if (size === 4) {
    values = new Float32Array(count);
    if (little && (bytes.byteOffset + dataStart) % 4 === 0) values.set(new Float32Array(bytes.buffer, bytes.byteOffset + dataStart, count));
    else for (let i = 0; i < count; i++) values[i] = view.getFloat32(i * 4, little);
  } else {
    values = new Float64Array(count);
    for (let i = 0; i < count; i++) values[i] = view.getFloat64(i * 8, little);
  }
  return { descr, shape, values: fortran ? fromFortran(values, shape) : values };
}

interface ZipEntry {
  name: string;
  method: number;
  compressedSize: number;
  size: number;
  localHeader: number;
}

/** The members of a zip archive, from its central directory. */
function zipEntries(file: string, bytes: Uint8Array): ZipEntry[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let end = -1;
  for (let i = bytes.length - 22; i >= Math.max(0, bytes.length - 22 - 65_535); i--) {
    if (view.getUint32(i, true) === 0x06054b50) {
      end = i;
      break;
    }
  }
  if (end < 0) {
    if (bytes.length >= 4 && view.getUint32(0, true) === 0x04034b50) throw new DatasetError(file, 'the zip archive has no central directory at its end: the file is truncated');
    throw new DatasetError(file, 'not an .npz file: no zip archive directory found (np.savez writes a zip archive)');
  }
  const entries = view.getUint16(end + 10, true);
  const directorySize = view.getUint32(end + 12, true);
  const directory = view.getUint32(end + 16, true);
  if (directory === 0xffffffff || entries === 0xffff) throw new DatasetError(file, 'a zip64 archive over 4 GB or 65,535 members, more than Trainbench reads');
  if (directory + directorySize > end) throw new DatasetError(file, `the zip directory claims ${formatCount(directorySize)} bytes at offset ${formatCount(directory)}, past its end record at ${formatCount(end)}: the file is damaged`);
  const out: ZipEntry[] = [];
  let at = directory;
  for (let k = 0; k < entries; k++) {
    if (at + 46 > end || view.getUint32(at, true) !== 0x02014b50) throw new DatasetError(file, `zip directory entry ${k + 1} of ${entries} is damaged`);
    const flags = view.getUint16(at + 8, true);
    const method = view.getUint16(at + 10, true);
    let compressedSize = view.getUint32(at + 20, true);
    let size = view.getUint32(at + 24, true);
    const nameLength = view.getUint16(at + 28, true);
    const extraLength = view.getUint16(at + 30, true);
    const commentLength = view.getUint16(at + 32, true);
    let localHeader = view.getUint32(at + 42, true);
    const name = new TextDecoder().decode(bytes.subarray(at + 46, at + 46 + nameLength));
    if (flags & 1) throw new DatasetError(`${file}/${name}`, 'is encrypted');
    // Zip64 sizes (numpy writes members with force_zip64): in the 0x0001 extra field, in this order.
    let extra = at + 46 + nameLength;
    const extraEnd = extra + extraLength;
    while (extra + 4 <= extraEnd) {
      const id = view.getUint16(extra, true);
      const length = view.getUint16(extra + 2, true);
      if (id === 0x0001) {
        let p = extra + 4;
        const next = (): number => {
          const v = Number(view.getBigUint64(p, true));
          p += 8;
          return v;
        };
        if (size === 0xffffffff) size = next();
        if (compressedSize === 0xffffffff) compressedSize = next();
        if (localHeader === 0xffffffff) localHeader = next();
      }
      extra += 4 + length;
    }
    out.push({ name, method, compressedSize, size, localHeader });
    at = extraEnd + commentLength;
  }
  return out;
}

/** A member's bytes: stored, or inflated with the output capped at its declared size (a zip bomb stops there). */
function zipMember(file: string, bytes: Uint8Array, entry: ZipEntry, maxBytes: number): Uint8Array {
  const member = `${file}/${entry.name}`;
  if (entry.size > maxBytes) throw new DatasetError(member, `inflates to ${formatCount(entry.size)} bytes, more than the ${formatBytes(maxBytes)} limit`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const at = entry.localHeader;
  if (at + 30 > bytes.length || view.getUint32(at, true) !== 0x04034b50) throw new DatasetError(member, 'its local zip header is missing or damaged');
  const start = at + 30 + view.getUint16(at + 26, true) + view.getUint16(at + 28, true);
  if (start + entry.compressedSize > bytes.length) throw new DatasetError(member, `declares ${formatCount(entry.compressedSize)} bytes of data but the archive ends ${formatCount(bytes.length - start)} bytes after it starts: the file is truncated`);
  const data = bytes.subarray(start, start + entry.compressedSize);
  if (entry.method === 0) {
    if (entry.compressedSize !== entry.size) throw new DatasetError(member, `stored without compression, but its sizes differ (${formatCount(entry.compressedSize)} and ${formatCount(entry.size)})`);
    return data;
  }
  if (entry.method !== 8) throw new DatasetError(member, `zip compression method ${entry.method}; np.savez and np.savez_compressed write stored (0) or deflated (8) members`);
  let inflated: Buffer;
  try {
    inflated = inflateRawSync(data, { maxOutputLength: Math.max(1, entry.size) });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE' || error instanceof RangeError) {
      throw new DatasetError(member, `inflates to more than the ${formatCount(entry.size)} bytes its zip entry declares (a zip bomb?)`);
    }
    throw new DatasetError(member, `the deflated data is damaged (${(error as Error).message})`);
  }
  if (inflated.length !== entry.size) throw new DatasetError(member, `inflates to ${formatCount(inflated.length)} bytes, but its zip entry declares ${formatCount(entry.size)}`);
  return inflated;
}

async function readWhole(path: string, file: string, maxBytes: number): Promise<Uint8Array> {
  try {
    const fh = await open(path, 'r');
    try {
      const info = await fh.stat();
      if (!info.isFile()) throw new DatasetError(file, 'is not a regular file');
      if (info.size > maxBytes) throw new DatasetError(file, `the file holds ${formatCount(info.size)} bytes, more than the ${formatBytes(maxBytes)} limit`);
      const bytes = Buffer.alloc(info.size);
      let done = 0;
      while (done < info.size) {
        const { bytesRead } = await fh.read(bytes, done, info.size - done, done);
        if (bytesRead === 0) break;
        done += bytesRead;
      }
      return bytes.subarray(0, done);
    } finally {
      await fh.close();
    }
  } catch (error) {
    if (error instanceof DatasetError) throw error;
    throw new DatasetError(file, `cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
}

/** Every array of an .npz archive, by name (without `.npy`). */
export async function readNpz(path: string, options: ReadLimits = {}): Promise<Map<string, NpyArray>> {
  const file = basename(path);
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  const bytes = await readWhole(path, file, maxBytes);
  if (bytes.length === 0) throw new DatasetError(file, 'the file is empty');
  const entries = zipEntries(file, bytes);
  for (const e of entries) if (e.size > maxBytes) throw new DatasetError(`${file}/${e.name}`, `inflates to ${formatCount(e.size)} bytes, more than the ${formatBytes(maxBytes)} limit`);
  const total = entries.reduce((sum, e) => sum + e.size, 0);
  if (total > maxBytes) throw new DatasetError(file, `its arrays inflate to ${formatCount(total)} bytes, more than the ${formatBytes(maxBytes)} limit`);
  const arrays = new Map<string, NpyArray>();
  for (const entry of entries) {
    throwIfAborted(options.signal);
    if (entry.name.endsWith('/')) continue;
    if (!entry.name.endsWith('.npy')) throw new DatasetError(`${file}/${entry.name}`, 'is not an .npy member; an .npz archive holds only .npy arrays');
    const member = `${file}/${entry.name}`;
    arrays.set(entry.name.slice(0, -4), parseNpy(member, zipMember(file, bytes, entry, maxBytes), maxBytes));
  }
  return arrays;
}

/** Reads one .npy file. */
export async function readNpy(path: string, options: ReadLimits = {}): Promise<NpyArray> {
  const file = basename(path);
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  // The header first: a claim beyond the limit is refused before the body is read.
  const fh = await open(path, 'r').catch((error: NodeJS.ErrnoException) => {
    throw new DatasetError(file, `cannot be read (${error.code ?? error.message})`);
  });
  let size: number;
  try {
    size = (await fh.stat()).size;
    const head = Buffer.alloc(Math.min(size, 64 * 1024));
    await fh.read(head, 0, head.length, 0);
    try {
      npyHeader(file, head);
    } catch (error) {
      // A header longer than the probe is checked on the whole file below.
      if (!(error instanceof DatasetError && /header says it is/.test(error.detail) && size > head.length)) throw error;
    }
  } finally {
    await fh.close();
  }
  const bytes = await readWhole(path, file, Math.max(maxBytes + 65_536, 0));
  return parseNpy(file, bytes, maxBytes);
}

type Role = 'x' | 'y';
const X_WORDS = ['x', 'data', 'inputs', 'input', 'features', 'images'];
const Y_WORDS = ['y', 'labels', 'label', 'targets', 'target'];

/** "x_train" → x/train, "y" → y/train, "test_labels" → y/test; null for names that are neither. */
function roleOf(name: string): { role: Role; split: 'train' | 'test' } | null {
  const n = name.toLowerCase();
  for (const [role, words] of [
    ['x', X_WORDS],
    ['y', Y_WORDS],
  ] as const) {
    for (const word of words) {
      if (n === word) return { role, split: 'train' };
      for (const split of ['train', 'test'] as const) {
        if (n === `${word}_${split}` || n === `${split}_${word}` || n === `${word}${split}`) return { role, split };
      }
    }
  }
  return null;
}

interface Pairs {
  train: { x: NpyArray; y: NpyArray | null; xName: string; yName: string | null };
  test?: { x: NpyArray; y: NpyArray; xName: string; yName: string };
}

function pairArrays(file: string, arrays: Map<string, NpyArray>): Pairs {
  const found: Record<string, { name: string; array: NpyArray }> = {};
  for (const [name, array] of arrays) {
    const r = roleOf(name);
    if (r && !found[`${r.role}/${r.split}`]) found[`${r.role}/${r.split}`] = { name, array };
  }
  const names = [...arrays.keys()].map((n) => `"${n}"`).join(', ') || 'none';
  const only = arrays.size === 1 ? [...arrays][0]! : null;
  const xTrain = found['x/train'] ?? (only ? { name: only[0], array: only[1] } : undefined);
  if (!xTrain) throw new DatasetError(file, `no inputs array: the arrays are ${names}; name them x_train and y_train (and x_test, y_test), as keras.datasets.mnist does, or x and y`);
  const yTrain = found['y/train'];
  if (!yTrain && arrays.size > 1) throw new DatasetError(file, `no labels array for "${xTrain.name}": the arrays are ${names}; name them y_train (or y, labels)`);
  const pairs: Pairs = { train: { x: xTrain.array, y: yTrain?.array ?? null, xName: xTrain.name, yName: yTrain?.name ?? null } };
  const xTest = found['x/test'];
  const yTest = found['y/test'];
  if (xTest && yTest) pairs.test = { x: xTest.array, y: yTest.array, xName: xTest.name, yName: yTest.name };
  else if (xTest || yTest) throw new DatasetError(file, `"${(xTest ?? yTest)!.name}" has no ${xTest ? 'labels' : 'inputs'} to go with it: save both x_test and y_test, or neither`);
  return pairs;
}


/** Per-sample input shape: [H, W] images gain a channel axis; [F] stays tabular. */
function inputShapeOf(file: string, name: string, shape: number[]): number[] {
  if (shape.length < 1 || shape[0] === 0) throw new DatasetError(file, `"${name}" has shape (${shape.join(', ')}); inputs need a first axis of samples`);
  const rest = shape.slice(1);
  if (rest.length === 0) return [1];
  if (rest.length === 2) return [...rest, 1];
  return rest;
}

/** Loads an .npz archive, an .npy file, or a folder of .npy files (x_train.npy, y_train.npy, …). */
export async function loadNumpy(path: string, options: NumpyLoadOptions = {}): Promise<Dataset> {
  const file = basename(path);
  throwIfAborted(options.signal);
  const limits = { ...(options.maxBytes !== undefined ? { maxBytes: options.maxBytes } : {}), ...(options.signal ? { signal: options.signal } : {}) };
  let arrays: Map<string, NpyArray>;
  let files: string[];
  const info = await stat(path).catch((error: NodeJS.ErrnoException) => {
    throw new DatasetError(file, `cannot be read (${error.code ?? error.message})`);
  });
  if (info.isDirectory()) {
    const names = (await readdir(path)).filter((n) => /\.npy$/i.test(n)).sort();
    if (names.length === 0) throw new DatasetError(file, 'holds no .npy files');
    arrays = new Map();
    files = [];
    for (const name of names) {
      arrays.set(name.replace(/\.npy$/i, ''), await readNpy(join(path, name), limits));
      files.push(resolve(path, name));
    }
  } else if (/\.npz$/i.test(path)) {
    arrays = await readNpz(path, limits);
    files = [resolve(path)];
  } else {
    arrays = new Map([[file.replace(/\.npy$/i, ''), await readNpy(path, limits)]]);
    files = [resolve(path)];
  }
  const pairs = pairArrays(file, arrays);
  // One array without labels: a table whose last column is the label, as a CSV file's would be.
  let train: { x: NpyArray; y: NpyArray; xName: string; yName: string };
  if (pairs.train.y) train = { ...pairs.train, y: pairs.train.y, yName: pairs.train.yName ?? '' };
  else {
    const { x, xName } = pairs.train;
    if (x.shape.length !== 2 || x.shape[1]! < 2) throw new DatasetError(file, `one array "${xName}" of shape (${x.shape.join(', ')}) and no labels: save x and y apart (np.savez(path, x=x, y=y)), or a 2-D table whose last column is the label`);
    const [n, width] = x.shape as [number, number];
    const features = new Float32Array(n * (width - 1));
    const labels = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      for (let f = 0; f < width - 1; f++) features[i * (width - 1) + f] = x.values[i * width + f]!;
      labels[i] = x.values[i * width + width - 1]!;
    }
    train = { x: { descr: x.descr, shape: [n, width - 1], values: features }, y: { descr: x.descr, shape: [n], values: labels }, xName, yName: `${xName}[:, -1]` };
  }
  const inputShape = inputShapeOf(file, train.xName, train.x.shape);
  const elementType = elementTypeOf(train.x.values);
  const splitsRaw = [train, ...(pairs.test ? [pairs.test] : [])];
  for (const s of splitsRaw) {
    const n = s.x.shape[0]!;
    const m = s.y.shape[0] ?? 1;
    if (s.y.shape.length === 0 || m !== n) throw new DatasetError(file, `"${s.xName}" holds ${formatCount(n)} samples but "${s.yName}" ${s.y.shape.length === 0 ? 'is a scalar' : `${formatCount(m)} labels`}`);
    if (s.y.shape.length > 2) throw new DatasetError(file, `"${s.yName}" has shape (${s.y.shape.join(', ')}); labels are (N,), (N, 1), one-hot (N, K) or targets (N, K)`);
    const shape = inputShapeOf(file, s.xName, s.x.shape);
    if (shape.join('×') !== inputShape.join('×')) throw new DatasetError(file, `"${s.xName}" samples are ${shape.join('×')}, "${train.xName}" samples ${inputShape.join('×')}: the splits must match`);
    if (elementTypeOf(s.x.values) !== elementType) throw new DatasetError(file, `"${s.xName}" is ${s.x.descr}, "${train.xName}" ${train.x.descr}: save the splits with the same dtype`);
  }

  // Labels: (N,) or (N, 1) values; (N, K) one-hot rows become class indices, other (N, K) are regression targets.
  const width = (y: NpyArray): number => (y.shape.length === 2 ? y.shape[1]! : 1);
  const isOneHot = (y: NpyArray): boolean => {
    const k = width(y);
    if (k < 2) return false;
    for (let i = 0; i < y.shape[0]!; i++) {
      let sum = 0;
      for (let c = 0; c < k; c++) {
        const v = y.values[i * k + c]!;
        if (v !== 0 && v !== 1) return false;
        sum += v;
      }
      if (sum !== 1) return false;
    }
    return true;
  };
  const oneHot = splitsRaw.every((s) => isOneHot(s.y));
  const targetDim = oneHot ? 1 : width(train.y);
  const integral = (values: SampleArray): boolean => !(values instanceof Float32Array || values instanceof Float64Array) || values.every((v) => Number.isInteger(v));
  let task: Task;
  if (options.task) task = options.task;
  else if (oneHot) task = 'classification';
  else if (targetDim > 1) task = 'regression';
  else {
    const ints = splitsRaw.every((s) => integral(s.y.values));
    const floats = train.y.values instanceof Float32Array || train.y.values instanceof Float64Array;
    const distinct = new Set(train.y.values).size;
    task = ints && (!floats || distinct <= Math.min(MAX_INFERRED_CLASSES, Math.max(2, train.y.shape[0]! / 2))) ? 'classification' : 'regression';
  }
  if (task === 'classification' && targetDim > 1) throw new DatasetError(file, `"${train.yName}" has ${targetDim} targets per sample, not one class: choose regression`);
  let classNames: string[] | undefined;
  const labelsOf = (y: NpyArray): Float64Array => {
    if (!oneHot) return Float64Array.from(y.values);
    const k = width(y);
    const out = new Float64Array(y.shape[0]!);
    for (let i = 0; i < out.length; i++) for (let c = 0; c < k; c++) if (y.values[i * k + c] === 1) out[i] = c;
    return out;
  };
  let index: Map<number, number> | null = null;
  if (task === 'classification') {
    const all = splitsRaw.map((s) => labelsOf(s.y));
    if (!splitsRaw.every((s, i) => integral(all[i]!))) throw new DatasetError(file, `"${train.yName}" holds fractional values; class labels are whole numbers (or choose regression)`);
    const values = oneHot ? Array.from({ length: width(train.y) }, (_, c) => c) : [...new Set(all.flatMap((a) => Array.from(a)))].sort((a, b) => a - b);
    if (values.length > MAX_CLASSES) throw new DatasetError(file, `"${train.yName}" has ${formatCount(values.length)} distinct labels, too many classes (at most ${MAX_CLASSES})`);
    classNames = values.map(String);
    index = new Map(values.map((v, i) => [v, i]));
  }
  const splitOf = (s: (typeof splitsRaw)[number]): Split => {
    const count = s.x.shape[0]!;
    let y: Int32Array | Float32Array;
    if (index) {
      const labels = labelsOf(s.y);
      y = Int32Array.from(labels, (v) => index!.get(v)!);
    } else y = Float32Array.from(s.y.values, Number);
    return { count, x: s.x.values, y };
  };
  const splits: Dataset['splits'] = { train: splitOf(train), ...(pairs.test ? { test: splitOf(pairs.test) } : {}) };
  const normalization = options.normalization ?? 'none';
  const tabular = inputShape.length === 1;
  return {
    id: `npy-${createHash('sha1').update(JSON.stringify([files, task, normalization])).digest('hex').slice(0, 12)}`,
    name: options.name ?? file.replace(/\.(npz|npy)$/i, ''),
    source: { kind: 'numpy', files },
    task,
    inputShape,
    elementType,
    targetDim,
    ...(classNames ? { classNames } : {}),
    splits,
    normalization,
    stats: computeStats(splits.train.x),
    ...(tabular ? { featureStats: computeFeatureStats(splits.train.x, inputShape[0]!) } : {}),
  };
}
