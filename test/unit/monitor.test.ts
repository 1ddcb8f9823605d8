/**
 * The monitor's pure parts: min/max decimation of long curves, smoothing, stable axis ranges,
 * histograms, unit states, hinge lines and a run's bookkeeping, on hand-made numbers.
 */
import { describe, expect, it } from 'vitest';
import type { JobInfo, ProbeLayer, StepPoint } from '@contract';
import { Column, Series, Smoother, type Point } from '../../src-renderer/src/features/monitor/series';
import { stableXRange, stableYRange, yExtent } from '../../src-renderer/src/features/monitor/axisRange';
import { histogram } from '../../src-main/contract/histogram';
import { layerFractions, stateCounts, unitState } from '../../src-renderer/src/features/monitor/unitState';
import { hingeSegment, outputField } from '../../src-renderer/src/features/monitor/surface';
import { RunData } from '../../src-renderer/src/features/monitor/runData';
import { bucketsFor, metricModel } from '../../src-renderer/src/features/monitor/chartModels';

function column(values: number[]): Column {
  const c = new Column(4);
  for (const v of values) c.push(v);
  return c;
}

function series(values: (number | null)[]): Series {
  const s = new Series(4);
  for (const v of values) s.push(v);
  return s;
}

describe('Series.decimate', () => {
  it('gives the raw points when there are few enough', () => {
    const xs = column([0, 1, 2, 3]);
    const out = series([3, 1, 4, 1]).decimate(xs, 0, 4, 10, 1, []);
    expect(out).toEqual([
      { x: 0, y: 3 },
      { x: 1, y: 1 },
      { x: 2, y: 4 },
      { x: 3, y: 1 },
    ]);
  });

  it('keeps every spike of a long curve, in order, at about two points per bucket', () => {
    const n = 100_000;
    const values = Array.from({ length: n }, (_, i) => Math.sin(i / 1000));
    values[12_345] = 50;
    values[67_890] = -50;
    const xs = column(Array.from({ length: n }, (_, i) => i));
    const out = series(values).decimate(xs, 0, n, 500, 1, []);
    expect(out.length).toBeLessThanOrEqual(2 * 1000);
    expect(out.length).toBeGreaterThan(500);
    expect(Math.max(...out.map((p) => p.y))).toBe(50);
    expect(Math.min(...out.map((p) => p.y))).toBe(-50);
    const at = (y: number): number => out.findIndex((p) => p.y === y);
    expect(at(50)).toBeLessThan(at(-50));
    for (let i = 1; i < out.length; i++) expect(out[i]!.x).toBeGreaterThanOrEqual(out[i - 1]!.x);
  });

  it('agrees with a plain scan for any range, including the unfinished last bucket', () => {
    const n = 5_003;
    const values = Array.from({ length: n }, (_, i) => ((i * 7919) % 1000) / 10);
    const s = series(values);
    const xs = column(Array.from({ length: n }, (_, i) => i * 2));
    for (const [from, to] of [
      [0, n],
      [17, 4_000],
      [4_990, n],
    ] as const) {
      const out = s.decimate(xs, from, to, 40, 0.5, []);
      const slice = values.slice(from, to);
      expect(Math.max(...out.map((p) => p.y))).toBe(Math.max(...slice.map((v) => Math.fround(v))));
      expect(Math.min(...out.map((p) => p.y))).toBe(Math.min(...slice.map((v) => Math.fround(v))));
      expect(out[0]!.x).toBeLessThanOrEqual(from);
    }
  });

  it('turns a bucket of nulls into a gap and reuses the output objects', () => {
    const values: (number | null)[] = Array.from({ length: 64 }, (_, i) => (i >= 16 && i < 32 ? null : i));
    const xs = column(Array.from({ length: 64 }, (_, i) => i));
    const out: Point[] = [];
    series(values).decimate(xs, 0, 64, 4, 1, out);
    expect(out.some((p) => Number.isNaN(p.y))).toBe(true);
    const first = out[0];
    series(values).decimate(xs, 0, 64, 4, 1, out);
    expect(out[0]).toBe(first);
  });

  it('counts finite values', () => {
    const s = series([null, 1, Number.NaN, 2]);
    expect(s.finite).toBe(2);
    expect(s.last()).toBe(2);
    expect(series([null, null]).last()).toBeNull();
  });
});

describe('Smoother', () => {
  it('is debiased: a constant stays constant from the first value', () => {
    const s = new Smoother(0.9);
    expect(s.next(2)).toBeCloseTo(2);
    expect(s.next(2)).toBeCloseTo(2);
  });
  it('passes NaN through without resetting', () => {
    const s = new Smoother(0.5);
    s.next(1);
    expect(Number.isNaN(s.next(Number.NaN))).toBe(true);
    expect(s.next(1)).toBeCloseTo(1);
  });
});

describe('axis ranges', () => {
  it('keep a y range while the data stay inside and fill half of it', () => {
    const first = stableYRange([0.2, 0.8], null, false);
    expect(first[0]).toBeLessThanOrEqual(0.2);
    expect(first[1]).toBeGreaterThanOrEqual(0.8);
    expect(stableYRange([0.25, 0.75], first, false)).toBe(first);
    expect(stableYRange([0.2, 0.3], first, false)).not.toBe(first);
  });
  it('do not cross zero for data on one side of it', () => {
    expect(stableYRange([0.004, 0.19], null, false)[0]).toBe(0);
    expect(stableYRange([-0.19, -0.004], null, false)[1]).toBe(0);
  });
  it('snap a log range to 1, 2 or 5 × 10^k', () => {
    const [lo, hi] = stableYRange([0.0042, 0.19], null, true);
    expect(lo).toBeCloseTo(0.002);
    expect(hi).toBeCloseTo(0.2);
    const [a, b] = stableYRange([0.1, 0.1], null, true);
    expect(a).toBeLessThan(0.1);
    expect(b).toBeGreaterThan(0.1);
  });
  it('grow an x range in steps of a tenth of its order of magnitude', () => {
    const a = stableXRange([0, 1_234], null);
    expect(a).toEqual([0, 1_300]);
    expect(stableXRange([0, 1_290], a)).toBe(a);
    expect(stableXRange([0, 1_301], a)[1]).toBe(1_400);
  });
  it('find the y extent of lines, positive values only on a log axis', () => {
    const lines = [{ points: [{ x: 0, y: -1 }, { x: 1, y: 3 }] }, { points: [{ x: 0, y: Number.NaN }, { x: 1, y: 0.5 }] }];
    expect(yExtent(lines, false)).toEqual([-1, 3]);
    expect(yExtent(lines, true)).toEqual([0.5, 3]);
  });
});

describe('histogram', () => {
  it('bins finite values over their range and counts the rest', () => {
    const h = histogram(new Float32Array([0, 0, 1, 2, 3, Number.NaN, Infinity]), 3);
    expect(Array.from(h.counts)).toEqual([2, 1, 2]);
    expect(h.total).toBe(5);
    expect(h.nonFinite).toBe(2);
    expect(h.zeros).toBe(2);
    expect(h.mean).toBeCloseTo(1.2);
  });
  it('gives a single value a bin of its own', () => {
    const h = histogram(new Float32Array([0.5, 0.5]), 4);
    expect(h.min).toBeLessThan(0.5);
    expect(h.max).toBeGreaterThan(0.5);
    expect(h.counts.reduce((a, b) => a + b, 0)).toBe(2);
  });
});

function layer(activation: string, active: number[], saturated: number[] = active.map(() => 0)): ProbeLayer {
  const n = active.length;
  return { index: 0, name: 'l', activation, units: n, active: Float32Array.from(active), saturated: Float32Array.from(saturated), mean: new Float32Array(n), std: new Float32Array(n), nonFinite: 0 };
}

describe('unit states', () => {
  it('names dead, linear and healthy ReLUs', () => {
    const l = layer('relu', [0, 0.5, 1]);
    expect([0, 1, 2].map((u) => unitState(l, u))).toEqual(['dead', 'healthy', 'linear']);
    expect(layerFractions(l)).toEqual({ dead: 1 / 3, saturated: null });
  });
  it('names saturated sigmoids and leaves linear layers alone', () => {
    const s = layer('sigmoid', [1, 1], [0.97, 0.2]);
    expect(stateCounts(s)).toMatchObject({ saturated: 1, healthy: 1 });
    expect(layerFractions(s)).toEqual({ dead: null, saturated: 0.5 });
    expect(unitState(layer('linear', [0]), 0)).toBe('plain');
  });
});

describe('the input plane', () => {
  it('clips a hinge line to the plane', () => {
    // x = 0.5: a vertical line.
    expect(hingeSegment(1, 0, -0.5, [-1, 1, -1, 1])).toEqual([
      [0.5, -1],
      [0.5, 1],
    ]);
    // x + y = 5 misses the square.
    expect(hingeSegment(1, 1, -5, [-1, 1, -1, 1])).toBeNull();
  });
  it('colours two outputs by the margin of class 1', () => {
    const surface = {
      size: 1,
      extent: [-1, 1, -1, 1] as [number, number, number, number],
      outputs: 2,
      output: Float32Array.from([0.2, 0.8]),
      unitsLayer: null,
      units: 0,
      unitOutput: new Float32Array(0),
      kernel: new Float32Array(0),
      bias: new Float32Array(0),
    };
    const field = outputField(surface);
    expect(field.values[0]).toBeCloseTo(0.6);
    expect(field.signed).toBe(false);
  });
});

const job: JobInfo = {
  jobId: 'job-1',
  backend: 'cpu',
  layers: [
    { index: 0, name: 'dense_1', type: 'dense', activation: 'relu', outputShape: [3], params: 9 },
    { index: 1, name: 'dense_2', type: 'dense', activation: 'linear', outputShape: [1], params: 4 },
  ],
  parameterLayers: ['dense_1', 'dense_2'],
  trainCount: 100,
  valCount: 0,
  batchSize: 10,
  stepsPerEpoch: 10,
  epochs: 3,
  totalParams: 13,
  startedAt: 0,
};

function point(step: number, loss: number | null): StepPoint {
  return { step, epoch: Math.floor(step / 10), loss, accuracy: null, gradNorm: 1, layerGradNorms: [1, 2], layerWeightNorms: [3, 4], layerUpdateRatios: [1e-3, 2e-3], time: step * 5 };
}

describe('RunData', () => {
  it('keeps steps, per-layer series, dead fractions and speed', () => {
    const run = new RunData('run-1', 0, 1, '#fff', 'run');
    run.setJob(job);
    run.append({
      jobId: 'job-1',
      points: Array.from({ length: 20 }, (_, i) => point(i, 1 / (i + 1))),
      epochs: [],
      probes: [
        { step: 10, epoch: 1, layers: [{ ...layer('relu', [0, 0, 1]), name: 'dense_1' }], surface: null },
        { step: 20, epoch: 1, layers: [{ ...layer('relu', [0, 0.5, 1]), name: 'dense_1' }, { ...layer('linear', [1]), name: 'dense_2', index: 1 }], surface: null },
      ],
      memory: { numTensors: 40, numBytes: 1e6, rss: 2e8 },
    });
    expect(run.count).toBe(20);
    expect(run.layerRatio[1]!.at(5)).toBeCloseTo(2e-3);
    expect(run.tracks.map((t) => `${t.layer} ${t.kind}`)).toEqual(['dense_1 dead']);
    // Both probes of the update, in order: a point per probe on the dead-unit curve.
    expect(run.probeSteps.length).toBe(2);
    expect(run.tracks[0]!.series.at(0)).toBeCloseTo(2 / 3);
    expect(run.tracks[0]!.series.at(1)).toBeCloseTo(1 / 3);
    expect(run.memory?.numTensors).toBe(40);
    const rate = run.rate()!;
    expect(rate.stepMs).toBeCloseTo(5);
    expect(rate.samplesPerSecond).toBeCloseTo(2000);
  });

  it('re-smooths the curve when the weight changes', () => {
    const run = new RunData('run-1', 0, 1, '#fff', 'run');
    run.setJob(job);
    run.append({ jobId: 'job-1', points: [point(0, 1), point(1, 3)], epochs: [], probes: [] });
    run.setSmoothing(0);
    expect(run.lossSmooth.at(1)).toBe(3);
  });

  it('overlays runs in the metric model: raw and smoothed per run, validation when there is one', () => {
    const runs = [0, 1].map((i) => {
      const run = new RunData(`run-${i}`, i, i + 1, '#abcdef', `seed ${i + 1}`);
      run.setJob(job);
      run.append({
        jobId: 'job-1',
        points: Array.from({ length: 30 }, (_, s) => point(s, 1 / (s + 1))),
        epochs: [{ epoch: 0, step: 10, loss: 0.5, accuracy: null, valLoss: 0.6, valAccuracy: null, time: 50 }],
        probes: [],
      });
      return run;
    });
    const model = metricModel({ metric: 'loss', runs: () => runs, axis: () => 'epochs', smoothing: () => 0.6, current: () => runs[1]! });
    const [lo, hi] = model.extent()!;
    expect(lo).toBe(0);
    expect(hi).toBeCloseTo(2.9);
    const lines = model.lines([0, 2.9], 100);
    expect(lines.map((l) => l.key)).toEqual(['run-0:raw', 'run-0:smooth', 'run-0:val', 'run-1:raw', 'run-1:smooth', 'run-1:val']);
    expect(lines[2]!.points).toEqual([{ x: 1, y: 0.6 }]);
    expect(model.attributes()).toEqual({ 'data-points': '30', 'data-runs': '2' });
    // Accuracy of a regression: nothing to draw.
    const accuracy = metricModel({ metric: 'accuracy', runs: () => runs, axis: () => 'steps', smoothing: () => 0.6, current: () => null });
    expect(accuracy.lines([0, 30], 100).filter((l) => !l.key.endsWith(':val'))).toEqual([]);
  });
});

describe('bucketsFor', () => {
  it('gives a line the share of buckets of the range it covers, rounded up to a power of two', () => {
    // A live run at step 5,000 beside 100,000-step runs, on a chart 800 pixels wide.
    expect(bucketsFor(0, 5000, [0, 100_000], 800)).toBe(64);
    expect(bucketsFor(0, 100_000, [0, 100_000], 800)).toBe(800);
    expect(bucketsFor(0, 60_000, [0, 100_000], 800)).toBe(512);
    expect(bucketsFor(0, 70_000, [0, 100_000], 800)).toBe(800);
    // Parts outside the range do not count; a line outside it, or of one point, gets the least.
    expect(bucketsFor(-50_000, 10_000, [0, 100_000], 800)).toBe(128);
    expect(bucketsFor(200, 200, [0, 100_000], 800)).toBe(8);
    expect(bucketsFor(0, 5000, [10_000, 20_000], 800)).toBe(8);
  });

  it('keeps a short live line to a few points per pixel it spans in the metric model', () => {
    const long = new RunData('long', 0, 1, '#abcdef', 'long');
    const live = new RunData('live', 1, 2, '#abcdef', 'live');
    for (const [run, n] of [[long, 100_000], [live, 2000]] as const) {
      run.setJob(job);
      for (let s = 0; s < n; s++) run.addPoint(point(s, 1 + Math.sin(s)));
    }
    const model = metricModel({ metric: 'loss', runs: () => [long, live], axis: () => 'steps', smoothing: () => 0, current: () => live });
    const lines = model.lines(model.extent()!, 800);
    const liveLine = lines.find((l) => l.key === 'live:raw')!;
    // 2 % of 800 pixels: 16 buckets, at most two points each.
    expect(liveLine.points.length).toBeLessThanOrEqual(32);
    expect(Math.max(...liveLine.points.map((p) => p.y))).toBeCloseTo(2, 3);
    expect(lines.find((l) => l.key === 'long:raw')!.points.length).toBeGreaterThan(1000);
  });
});
