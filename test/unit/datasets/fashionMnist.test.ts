/**
 * Real data: Fashion-MNIST from the Debian package dataset-fashion-mnist
 * (/usr/share/datasets/fashion-mnist/*.gz). Skipped, saying why, where it is not installed.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { describeDataset, loadDataset, loadIdxFiles, previewSamples, toFloat32Batch } from '../../../src-main/engine/datasets';

const FOLDER = '/usr/share/datasets/fashion-mnist';
const FILES = ['train-images-idx3-ubyte.gz', 'train-labels-idx1-ubyte.gz', 't10k-images-idx3-ubyte.gz', 't10k-labels-idx1-ubyte.gz'];
const present = FILES.every((f) => existsSync(join(FOLDER, f)));
if (!present) console.warn(`skipping the Fashion-MNIST tests: ${FOLDER} lacks ${FILES.join(', ')} (apt install dataset-fashion-mnist)`);

describe.skipIf(!present)('Fashion-MNIST (Debian dataset-fashion-mnist)', () => {
  it('loads the t10k files: 10,000 images of 28×28, 1,000 per class', async () => {
    const ds = await loadIdxFiles([join(FOLDER, 't10k-images-idx3-ubyte.gz'), join(FOLDER, 't10k-labels-idx1-ubyte.gz')]);
    const summary = describeDataset(ds);
    expect(summary).toMatchObject({
      task: 'classification',
      inputShape: [28, 28, 1],
      elementType: 'u8',
      classNames: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
      splits: { train: { count: 10_000, classHistogram: Array(10).fill(1000) }, test: null },
      valueStats: { min: 0, max: 255 },
      flags: { unnormalized: true, imbalanced: false },
    });
    // The first t10k sample is an ankle boot (class 9), as in the dataset's README.
    expect(ds.splits.train.y[0]).toBe(9);
    expect(ds.splits.train.x.byteLength).toBe(7_840_000);
  });

  it('loads the whole folder: 60,000 to train, 10,000 to test, the published mean and std', async () => {
    const started = performance.now();
    const ds = await loadDataset({ kind: 'idx', path: FOLDER }, { normalization: 'standardize' });
    const seconds = (performance.now() - started) / 1000;
    const summary = describeDataset(ds);
    expect(summary.splits.train).toMatchObject({ count: 60_000, xShape: [60_000, 28, 28, 1], classHistogram: Array(10).fill(6000) });
    expect(summary.splits.test).toMatchObject({ count: 10_000, classHistogram: Array(10).fill(1000) });
    // Fashion-MNIST's training pixels: mean 0.2860 and std 0.3530 of 255.
    expect(ds.stats.mean / 255).toBeCloseTo(0.286, 3);
    expect(ds.stats.std / 255).toBeCloseTo(0.353, 3);
    expect(ds.splits.train.y[0]).toBe(9);
    expect(summary.flags.unnormalized).toBe(false);
    const batch = toFloat32Batch(ds, 'train', Int32Array.from({ length: 256 }, (_, i) => i * 200));
    let sum = 0;
    for (const v of batch) sum += v;
    expect(Math.abs(sum / batch.length)).toBeLessThan(0.2);
    const preview = previewSamples(ds, 4, { split: 'test' });
    expect(preview[0]!.image).toMatchObject({ height: 28, width: 28, channels: 1 });
    expect(preview[0]!.image!.bytes).toEqual(ds.splits.test!.x.subarray(0, 784));
    console.info(`Fashion-MNIST (70,000 images) loaded in ${seconds.toFixed(2)} s`);
  });
});
