/** Float batches, targets, summaries and previews of an in-memory Dataset. */
import { describe, expect, it } from 'vitest';
import { asTrainingData, computeStats, describeDataset, previewSamples, syntheticDataset, targetsBatch, toFloat32Batch, type Dataset } from '../../../src-main/engine/datasets';

function images(normalization: Dataset['normalization'], x: Uint8Array | Int16Array = Uint8Array.from([0, 255, 51, 102, 0, 0, 255, 255])): Dataset {
  return {
    id: 't',
    name: 'tiny',
    source: { kind: 'idx', files: [] },
    task: 'classification',
    inputShape: [2, 2, 1],
    elementType: x instanceof Uint8Array ? 'u8' : 'i16',
    targetDim: 1,
    classNames: ['a', 'b'],
    splits: { train: { count: 2, x, y: Int32Array.from([1, 0]) } },
    normalization,
    stats: computeStats(x),
  };
}

describe('toFloat32Batch', () => {
  it('applies none, divide255 and standardize, in the order of the indices', () => {
    expect(Array.from(toFloat32Batch(images('none'), 'train', [1, 0]))).toEqual([0, 0, 255, 255, 0, 255, 51, 102]);
    expect(Array.from(toFloat32Batch(images('divide255'), 'train', [0]))).toEqual([0, 1, 0.2, 0.4].map(Math.fround));
    const std = images('standardize');
    const out = toFloat32Batch(std, 'train', [0, 1]);
    const mean = out.reduce((a, b) => a + b) / out.length;
    const variance = out.reduce((a, b) => a + (b - mean) ** 2, 0) / out.length;
    expect(mean).toBeCloseTo(0, 5);
    expect(variance).toBeCloseTo(1, 5);
  });

  it('writes into a given buffer, handles non-u8 types, and refuses bad indices', () => {
    const out = new Float32Array(8).fill(-1);
    expect(toFloat32Batch(images('divide255', Int16Array.from([0, 510, 0, 0, 255, 0, 0, 0])), 'train', [1], out)).toBe(out);
    expect(Array.from(out)).toEqual([1, 0, 0, 0, -1, -1, -1, -1]);
    expect(() => toFloat32Batch(images('none'), 'train', [2])).toThrow(/index 2 is outside the train split/);
    expect(() => toFloat32Batch(images('none'), 'test', [0])).toThrow(/has no test split/);
    expect(() => toFloat32Batch(images('none'), 'train', [0, 1], new Float32Array(4))).toThrow(/out holds 4 values, the batch needs 8/);
  });

  it('a constant input standardises to zeros, not NaN', () => {
    const flat = images('standardize', new Uint8Array(8).fill(7));
    expect(Array.from(toFloat32Batch(flat, 'train', [0]))).toEqual([0, 0, 0, 0]);
  });
});

describe('targets, summaries, previews', () => {
  it('targetsBatch gives class indices or regression targets', () => {
    expect(Array.from(targetsBatch(images('none'), 'train', [1, 0, 1]))).toEqual([0, 1, 0]);
    const abs = syntheticDataset('abs', { size: 10, seed: 1 });
    const t = targetsBatch(abs, 'train', [3]);
    expect(t).toBeInstanceOf(Float32Array);
    expect(t[0]).toBe(abs.splits.train.y[3]);
  });

  it('describeDataset is JSON-able and flags unnormalised inputs', () => {
    const summary = describeDataset(images('none'));
    expect(JSON.parse(JSON.stringify(summary))).toEqual(summary);
    expect(summary.flags.unnormalized).toBe(true);
    expect(summary.warnings[0]).toMatch(/inputs range from 0 to 255, far outside the unit range: choose normalization "divide255" or "standardize"/);
    expect(describeDataset(images('divide255')).flags.unnormalized).toBe(false);
    expect(summary.bytes).toBe(8 + 8);
  });

  it('previewSamples gives image bytes, or points with their target', () => {
    const [first] = previewSamples(images('standardize'), 1);
    expect(first).toMatchObject({ index: 0, label: 1, className: 'b', target: null, features: null, image: { height: 2, width: 2, channels: 1 } });
    expect(Array.from(first!.image!.bytes)).toEqual([0, 255, 51, 102]);
    const i16 = previewSamples(images('none', Int16Array.from([0, 510, 0, 0, 255, 0, 0, 0])), 2);
    expect(Array.from(i16[1]!.image!.bytes)).toEqual([128, 0, 0, 0]);
    const points = previewSamples(syntheticDataset('abs', { size: 100, seed: 2 }), 5);
    expect(points.map((p) => p.index)).toEqual([0, 20, 40, 60, 80]);
    expect(points[1]!.features).toHaveLength(2);
    expect(points[1]!.target![0]).toBeCloseTo(Math.hypot(points[1]!.features![0]!, points[1]!.features![1]!), 5);
    const seeded = previewSamples(syntheticDataset('xor', { size: 50 }), 50, { seed: 3 });
    expect(new Set(seeded.map((p) => p.index)).size).toBe(50);
    expect(previewSamples(syntheticDataset('xor', { size: 50 }), 10, { seed: 3 }).map((p) => p.index)).toEqual(seeded.slice(0, 10).map((p) => p.index));
  });

  it('asTrainingData fills float batches for the trainer', () => {
    const data = asTrainingData(images('divide255'));
    expect(data).toMatchObject({ inputShape: [2, 2, 1], task: 'classification', outputs: 2, classNames: ['a', 'b'] });
    const x = new Float32Array(4);
    const y = new Int32Array(1);
    data.train.fill([1], x, y);
    expect(Array.from(x)).toEqual([0, 0, 1, 1]);
    expect(y[0]).toBe(0);
  });
});
