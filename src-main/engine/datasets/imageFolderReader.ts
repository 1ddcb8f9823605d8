/**
 * A folder of images with one sub-folder per class (photos/cats/001.png, photos/dogs/…),
 * PNG or JPEG, told by their signature; class folders may hold nested folders. In the
 * torchvision layout (`train/` and `test/` or `val/` at the top, class folders below) the
 * top folders become the splits. Every image is composited over black, converted
 * to grayscale (Rec. 601 luma) or RGB, resized to one size and stored as u8.
 *
 * Links are followed, but a link back into a folder already walked is refused (no loops),
 * and every image's resolution is checked from its header before it is decoded.
 */
import { lstat, readdir, readFile, realpath, stat } from 'node:fs/promises';
import { basename, join, relative, resolve, sep } from 'node:path';
import { createHash } from 'node:crypto';
import { PNG } from 'pngjs';
import * as jpeg from 'jpeg-js';
import { DEFAULT_MAX_BYTES, DatasetError, computeStats, formatBytes, formatCount, throwIfAborted, type Dataset, type Normalization, type ReadLimits } from './types';

export type ResizeMode = 'auto' | 'bilinear' | 'area';

export interface ImageFolderOptions extends ReadLimits {
  /** [height, width] of every sample (default [28, 28]); images are stretched to it. */
  size?: [number, number];
  /** 1: grayscale, 3: RGB (default 1). */
  channels?: 1 | 3;
  /** auto: area (box) filter when shrinking, bilinear when enlarging. */
  resize?: ResizeMode;
  normalization?: Normalization;
  name?: string;
  /** Largest image accepted, in megapixels (default 50), checked before decoding. */
  maxResolutionInMP?: number;
  /** Largest image file accepted, in bytes (default 64 MiB). */
  maxFileBytes?: number;
  /** Called as images are decoded (done of total), at most every 1 % and at the end. */
  onProgress?: (done: number, total: number) => void;
}

/** Top folders that make splits in the torchvision layout, by role, in order of preference. */
const SPLIT_FOLDERS: Record<'train' | 'test', string[]> = { train: ['train', 'training'], test: ['test', 'testing', 'val', 'valid', 'validation'] };

const IMAGE_EXTENSIONS = /\.(png|jpe?g)$/i;
const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const MAX_DEPTH = 32;
const DECODE_CONCURRENCY = 8;

interface ImageFile {
  path: string;
  /** Relative to the dropped folder, with '/': what errors show. */
  shown: string;
  label: number;
}

interface Decoded {
  width: number;
  height: number;
  /** RGBA, 8 bits per channel. */
  rgba: Uint8Array;
}

function isPng(bytes: Uint8Array): boolean {
  return bytes.length >= 8 && PNG_SIGNATURE.every((b, i) => bytes[i] === b);
}

function isJpeg(bytes: Uint8Array): boolean {
  return bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff;
}

function decodeImage(shown: string, bytes: Buffer, maxMP: number): Decoded {
  if (isPng(bytes)) {
    if (bytes.length < 24 || bytes.toString('latin1', 12, 16) !== 'IHDR') throw new DatasetError(shown, 'PNG image is corrupt (no IHDR header)');
    const width = bytes.readUInt32BE(16);
    const height = bytes.readUInt32BE(20);
    if (width === 0 || height === 0) throw new DatasetError(shown, `PNG image is ${width}×${height}: empty`);
    if (width * height > maxMP * 1e6) throw new DatasetError(shown, `PNG image is ${width}×${height}, more than the ${maxMP} megapixel limit`);
    try {
      const png = PNG.sync.read(bytes);
      return { width: png.width, height: png.height, rgba: png.data };
    } catch (error) {
      throw new DatasetError(shown, `PNG image is corrupt or truncated (${(error as Error).message})`);
    }
  }
  if (isJpeg(bytes)) {
    try {
      const img = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true, tolerantDecoding: false, maxResolutionInMP: maxMP, maxMemoryUsageInMB: Math.ceil(maxMP * 16) });
      if (img.width === 0 || img.height === 0) throw new Error('no image frame');
      return { width: img.width, height: img.height, rgba: img.data };
    } catch (error) {
      throw new DatasetError(shown, `JPEG image is corrupt or truncated (${(error as Error).message})`);
    }
  }
  const kind = /\.png$/i.test(shown) ? 'PNG' : 'JPEG';
  throw new DatasetError(shown, `not a ${kind} image (bad signature)`);
}

/** For each output pixel, the source pixels it reads and their weights (separable filters). */
interface Taps {
  start: Int32Array;
  count: Int32Array;
  index: Int32Array;
  weight: Float32Array;
}

function taps(source: number, target: number, mode: 'bilinear' | 'area'): Taps {
  const start = new Int32Array(target);
  const count = new Int32Array(target);
  const index: number[] = [];
  const weight: number[] = [];
  const scale = source / target;
  for (let o = 0; o < target; o++) {
    start[o] = index.length;
    if (mode === 'bilinear') {
      // Pixel centres aligned (half-pixel offsets), edges clamped, as in OpenCV and tf.image.
      const s = Math.min(Math.max((o + 0.5) * scale - 0.5, 0), source - 1);
      const i0 = Math.floor(s);
      const i1 = Math.min(i0 + 1, source - 1);
      const f = s - i0;
      index.push(i0);
      weight.push(1 - f);
      if (i1 !== i0 && f > 0) {
        index.push(i1);
        weight.push(f);
      }
    } else {
      // The exact box [o·scale, (o+1)·scale) with fractional coverage at its ends.
      const a = o * scale;
      const b = (o + 1) * scale;
      for (let i = Math.floor(a); i < Math.min(Math.ceil(b), source); i++) {
        const w = Math.min(b, i + 1) - Math.max(a, i);
        if (w > 0) {
          index.push(i);
          weight.push(w / scale);
        }
      }
    }
    count[o] = index.length - start[o]!;
  }
  return { start, count, index: Int32Array.from(index), weight: Float32Array.from(weight) };
}

/** RGBA → the sample's channels, composited over black, resized; written to out at offset. */
function toSample(img: Decoded, height: number, width: number, channels: 1 | 3, mode: ResizeMode, out: Uint8Array, offset: number): void {
  const { width: w, height: h, rgba } = img;
  const plane = new Float32Array(w * h * channels);
  for (let p = 0; p < w * h; p++) {
    const a = rgba[4 * p + 3]! / 255;
    const r = rgba[4 * p]! * a;
    const g = rgba[4 * p + 1]! * a;
    const b = rgba[4 * p + 2]! * a;
    if (channels === 1) plane[p] = 0.299 * r + 0.587 * g + 0.114 * b;
    else {
      plane[3 * p] = r;
      plane[3 * p + 1] = g;
      plane[3 * p + 2] = b;
    }
  }
  const pick = (source: number, target: number): 'bilinear' | 'area' => (mode === 'auto' ? (target < source ? 'area' : 'bilinear') : mode);
  const tx = taps(w, width, pick(w, width));
  const ty = taps(h, height, pick(h, height));
  // Rows first (h × width), then columns (height × width).
  const rowsDone = new Float32Array(h * width * channels);
  for (let y = 0; y < h; y++) {
    for (let o = 0; o < width; o++) {
      for (let c = 0; c < channels; c++) {
        let sum = 0;
        for (let t = tx.start[o]!, end = t + tx.count[o]!; t < end; t++) sum += plane[(y * w + tx.index[t]!) * channels + c]! * tx.weight[t]!;
        rowsDone[(y * width + o) * channels + c] = sum;
      }
    }
  }
  for (let o = 0; o < height; o++) {
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < channels; c++) {
        let sum = 0;
        for (let t = ty.start[o]!, end = t + ty.count[o]!; t < end; t++) sum += rowsDone[(ty.index[t]! * width + x) * channels + c]! * ty.weight[t]!;
        out[offset + (o * width + x) * channels + c] = Math.min(255, Math.max(0, Math.round(sum)));
      }
    }
  }
}

/** Lists a class folder's images, following links but never into a folder already walked. */
async function walk(root: string, dir: string, label: number, visited: Set<string>, depth: number, found: ImageFile[], signal: AbortSignal | undefined): Promise<void> {
  throwIfAborted(signal);
  const shownDir = relative(root, dir).split(sep).join('/');
  if (depth > MAX_DEPTH) throw new DatasetError(shownDir, `folders nested more than ${MAX_DEPTH} deep`);
  const names = (await readdir(dir)).filter((n) => !n.startsWith('.')).sort();
  for (const name of names) {
    const path = join(dir, name);
    const shown = `${shownDir}/${name}`;
    let info = await lstat(path);
    if (info.isSymbolicLink()) {
      let target: string;
      try {
        target = await realpath(path);
        info = await stat(target);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        throw new DatasetError(shown, code === 'ELOOP' ? 'symbolic link loop' : `broken symbolic link (${code ?? (error as Error).message})`);
      }
      if (info.isDirectory()) {
        if (visited.has(target)) throw new DatasetError(shown, `symbolic link back into ${relative(root, target).split(sep).join('/') || basename(root)}, a folder already read: the folder tree loops`);
        visited.add(target);
        await walk(root, path, label, visited, depth + 1, found, signal);
        continue;
      }
    } else if (info.isDirectory()) {
      const real = await realpath(path);
      if (visited.has(real)) continue;
      visited.add(real);
      await walk(root, path, label, visited, depth + 1, found, signal);
      continue;
    }
    if (info.isFile() && IMAGE_EXTENSIONS.test(name)) found.push({ path, shown, label });
  }
}

/** The sub-folders of `dir` (links followed, loops refused), sorted by name. */
async function classFolders(root: string, dir: string, shownDir: string, visited: Set<string>): Promise<{ name: string; path: string }[]> {
  const entries = (await readdir(dir)).filter((n) => !n.startsWith('.')).sort();
  if (entries.length === 0) throw new DatasetError(shownDir, 'the folder is empty; put each class\'s images in a sub-folder named after the class (e.g. cats/001.png)');
  const out: { name: string; path: string }[] = [];
  for (const name of entries) {
    const path = join(dir, name);
    const shown = relative(root, path).split(sep).join('/');
    let real: string;
    try {
      real = await realpath(path);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      throw new DatasetError(shown, code === 'ELOOP' ? 'symbolic link loop' : `cannot be read (${code ?? (error as Error).message})`);
    }
    if (!(await stat(real)).isDirectory()) continue;
    if (visited.has(real)) throw new DatasetError(shown, `symbolic link back into ${relative(root, real).split(sep).join('/') || basename(root)}, a folder already read: the folder tree loops`);
    visited.add(real);
    out.push({ name, path });
  }
  return out;
}

/** Loads a folder of PNG/JPEG images, one sub-folder per class (or train/ and test/ above them), as a u8 Dataset. */
export async function loadImageFolder(dir: string, options: ImageFolderOptions = {}): Promise<Dataset> {
  const [height, width] = options.size ?? [28, 28];
  const channels = options.channels ?? 1;
  const mode = options.resize ?? 'auto';
  const maxMP = options.maxResolutionInMP ?? 50;
  const maxFileBytes = options.maxFileBytes ?? 64 * 1024 ** 2;
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  const shownRoot = basename(resolve(dir));
  if (!(Number.isInteger(height) && Number.isInteger(width) && height >= 1 && width >= 1 && height <= 4096 && width <= 4096)) {
    throw new DatasetError(shownRoot, `cannot resize images to ${height}×${width}`);
  }
  let root: string;
  try {
    root = await realpath(dir);
    if (!(await stat(root)).isDirectory()) throw new DatasetError(shownRoot, 'is not a folder');
  } catch (error) {
    if (error instanceof DatasetError) throw error;
    throw new DatasetError(shownRoot, `cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
  const visited = new Set<string>([root]);
  const top = await classFolders(root, root, shownRoot, visited);
  // torchvision's layout: train/ and test/ (or val/) at the top, each holding class folders.
  const pick = (role: 'train' | 'test'): { name: string; path: string } | undefined => {
    for (const want of SPLIT_FOLDERS[role]) {
      const found = top.find((d) => d.name.toLowerCase() === want);
      if (found) return found;
    }
    return undefined;
  };
  const trainDir = pick('train');
  const testDir = pick('test');
  const splitLayout = trainDir !== undefined && testDir !== undefined;
  const groups: { split: 'train' | 'test'; classes: { name: string; path: string }[] }[] = [];
  if (splitLayout) {
    for (const [split, folder] of [
      ['train', trainDir],
      ['test', testDir],
    ] as const) {
      const classes = await classFolders(root, folder.path, folder.name, visited);
      if (classes.length === 0) throw new DatasetError(folder.name, `holds no class sub-folders; in the train/ and ${testDir.name}/ layout each holds one sub-folder of images per class`);
      groups.push({ split, classes });
    }
  } else {
    if (top.length === 0) throw new DatasetError(shownRoot, 'has no class sub-folders; put each class\'s images in a sub-folder named after the class (e.g. cats/001.png)');
    groups.push({ split: 'train', classes: top });
  }
  const classNames = [...new Set(groups.flatMap((g) => g.classes.map((c) => c.name)))].sort();
  const labelOf = new Map(classNames.map((n, i) => [n, i]));

  const perSplit: Record<'train' | 'test', ImageFile[]> = { train: [], test: [] };
  for (const group of groups) {
    for (const cls of group.classes) {
      const found = perSplit[group.split];
      const before = found.length;
      await walk(root, cls.path, labelOf.get(cls.name)!, visited, 1, found, options.signal);
      if (found.length === before) throw new DatasetError(relative(root, cls.path).split(sep).join('/'), 'holds no PNG or JPEG images');
    }
  }
  const size = height * width * channels;
  const total = perSplit.train.length + perSplit.test.length;
  if (total * size > maxBytes) throw new DatasetError(shownRoot, `${formatCount(total)} images of ${height}×${width}×${channels} need ${formatCount(total * size)} bytes, more than the ${formatBytes(maxBytes)} limit`);
  let decoded = 0;
  let reported = 0;
  const step = Math.max(1, Math.floor(total / 100));
  const decodeAll = async (files: ImageFile[]): Promise<{ count: number; x: Uint8Array; y: Int32Array }> => {
    const x = new Uint8Array(files.length * size);
    const y = new Int32Array(files.length);
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < files.length) {
        const k = next++;
        const f = files[k]!;
        throwIfAborted(options.signal);
        const info = await stat(f.path);
        if (info.size > maxFileBytes) throw new DatasetError(f.shown, `the file holds ${formatCount(info.size)} bytes, more than the ${formatBytes(maxFileBytes)} limit for one image`);
        const bytes = await readFile(f.path);
        throwIfAborted(options.signal);
        toSample(decodeImage(f.shown, bytes, maxMP), height, width, channels, mode, x, k * size);
        y[k] = f.label;
        decoded++;
        if (options.onProgress && (decoded - reported >= step || decoded === total)) {
          reported = decoded;
          options.onProgress(decoded, total);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(DECODE_CONCURRENCY, files.length) }, worker));
    return { count: files.length, x, y };
  };
  const train = await decodeAll(perSplit.train);
  const test = splitLayout ? await decodeAll(perSplit.test) : null;
  const x = train.x;
  return {
    id: `images-${createHash('sha1').update(JSON.stringify([root, height, width, channels, mode, options.normalization ?? 'none'])).digest('hex').slice(0, 12)}`,
    name: options.name ?? shownRoot,
    source: { kind: 'images', files: [root] },
    task: 'classification',
    inputShape: [height, width, channels],
    elementType: 'u8',
    targetDim: 1,
    classNames,
    splits: { train, ...(test ? { test } : {}) },
    normalization: options.normalization ?? 'none',
    stats: computeStats(x),
  };
}
