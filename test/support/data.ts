import { mulberry32, type TrainingData } from '../../src-main/engine/training/trainingData';
import { syntheticPoints } from '../../src-main/engine/datasets';

/** n points uniform in [-1,1]², target sqrt(x²+y²): the relu-abs data, as the built-in makes it. */
export function absData(n = 200, seed = 0): TrainingData {
  const { xs, ys } = syntheticPoints('abs', n, seed, 0);
  return {
    name: 'abs',
    inputShape: [2],
    task: 'regression',
    outputs: 1,
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

/** n random "images" [h, w, c] in 0..255 with a class that depends on the mean brightness. */
export function imageData(n = 64, shape: [number, number, number] = [8, 8, 1], classes = 3, seed = 0, scale = 1 / 255): TrainingData {
  const random = mulberry32(seed);
  const size = shape[0] * shape[1] * shape[2];
  const pixels = new Uint8Array(n * size);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const label = i % classes;
    labels[i] = label;
    for (let p = 0; p < size; p++) pixels[i * size + p] = Math.min(255, Math.floor(random() * 128 + label * 60));
  }
  return {
    name: 'images',
    inputShape: [...shape],
    task: 'classification',
    outputs: classes,
    train: {
      count: n,
      fill(indices, x, y) {
        for (let k = 0; k < indices.length; k++) {
          const i = indices[k]!;
          for (let p = 0; p < size; p++) x[k * size + p] = pixels[i * size + p]! * scale;
          y[k] = labels[i]!;
        }
      },
    },
  };
}
