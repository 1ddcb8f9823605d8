import { describe, expect, it } from 'vitest';
import type { StepPoint } from '@contract';
import { Finding } from '@contract/findings';
import { DEFAULT_THRESHOLDS as T } from '../../../src-main/engine/diagnosis/thresholds';
import { findPlateau, lossBlocks, plateau, type LossBlock } from '../../../src-main/engine/diagnosis/detectors/plateau';
import { oscillatingLoss } from '../../../src-main/engine/diagnosis/detectors/oscillatingLoss';
import { divergingLoss, smoothedLoss } from '../../../src-main/engine/diagnosis/detectors/divergingLoss';
import { overfitting } from '../../../src-main/engine/diagnosis/detectors/overfitting';
import { absData, digitsData, digitsMlp, epoch, healthyLoss, noise, reluAbs, series, setup } from './fixtures';

const deepCnn = setup(
  {
    ...digitsMlp,
    model: {
      layers: [
        { type: 'conv2d', filters: 8, padding: 'same', activation: 'relu', kernelInitializer: { type: 'randomNormal', stddev: 0.01 }, biasInitializer: { type: 'randomNormal', stddev: 0.01 } },
        { type: 'conv2d', filters: 8, padding: 'same', activation: 'relu', kernelInitializer: { type: 'randomNormal', stddev: 0.01 }, biasInitializer: { type: 'randomNormal', stddev: 0.01 } },
        { type: 'maxPooling2d' },
        { type: 'flatten' },
        { type: 'dense', units: 64, activation: 'relu', kernelInitializer: { type: 'randomNormal', stddev: 0.01 }, biasInitializer: { type: 'randomNormal', stddev: 0.01 } },
        { type: 'dense', units: 10, kernelInitializer: { type: 'randomNormal', stddev: 0.01 } },
      ],
    },
    training: { ...digitsMlp.training, optimizer: { type: 'adam', learningRate: 1e-4 } },
  },
  digitsData,
  6400,
);
const regression = setup(reluAbs, absData);
const mini = setup(digitsMlp, digitsData, 6400);

/** Loss at ln 10 (with a little noise) for `flat` steps, then falling towards 0.3; accuracy 10 % then rising. */
function kickIn(flat: number, total: number): StepPoint[] {
  const jitter = noise(7, 0.002);
  return series(
    total,
    (i) => {
      const loss = i < flat ? 2.303 * jitter() : 0.3 + 2.003 * Math.exp(-(i - flat) / 150);
      return { loss, accuracy: i < flat ? 0.1 : Math.min(0.95, 0.1 + (2.303 - loss)) };
    },
    4,
    100,
  );
}

describe('plateau', () => {
  it('reports the kick-in: where the plateau began, where it ended and how far the loss fell', () => {
    const points = kickIn(500, 1500);
    const f = plateau(lossBlocks(points, 10), { firstLoss: points[0]!.loss, final: true, lastStep: 1499 }, deepCnn.ctx, T)!;
    expect(Finding.parse(f)).toEqual(f);
    expect(f).toMatchObject({ code: 'plateau', severity: 'warning', step: 0, epoch: 0 });
    expect(f.evidence['start']).toBe(0);
    expect(f.evidence['end']).toBeGreaterThanOrEqual(499);
    expect(f.evidence['end']).toBeLessThanOrEqual(520);
    expect(f.evidence['endEpoch']).toBe(Math.floor((f.evidence['end'] as number) / 100));
    expect(f.evidence['atChance']).toBe(true);
    expect(f.evidence['drop']).toBeGreaterThan(1.9);
    expect(f.message).toMatch(/sat at 2\.303 \(within ±2 %\) from step 0 to step (499|5\d\d) \(epochs 1–[56]\), the loss of guessing among 10 classes at random \(ln 10 = 2\.303\), then learning kicked in at epoch 6: by step/);
    expect(f.evidence['kickInEpoch']).toBe(5);
    expect(f.message).toContain('initial weights are too small for the depth');
    expect(f.message).toMatch(/Here 2 layers draw their initial weights at least 13× smaller than He\/Glorot/);
    const fields = f.suggestions.flatMap((s) => Object.keys(s.set));
    expect(fields).toEqual(expect.arrayContaining(['model.layers.0.kernelInitializer', 'model.layers', 'training.optimizer.learningRate']));
    expect(f.suggestions.find((s) => 'training.optimizer.learningRate' in s.set)!.set['training.optimizer.learningRate']).toBe(0.001);
  });

  it('reports a plateau at chance while it lasts, with no end yet', () => {
    const points = kickIn(400, 300);
    const f = plateau(lossBlocks(points, 10), { firstLoss: points[0]!.loss, final: false, lastStep: 299 }, deepCnn.ctx, T)!;
    expect(f.evidence).toMatchObject({ start: 0, end: null, drop: null, atChance: true });
    expect(f.message).toContain('has stayed at 2.303 (within ±2 %) since step 0 (epoch 1)');
    expect(f.message).toContain('has not learned anything');
    const ended = plateau(lossBlocks(points, 10), { firstLoss: points[0]!.loss, final: true, lastStep: 299 }, deepCnn.ctx, T)!;
    expect(ended.message).toContain('until the end of training at step 299');
  });

  it('reports a plateau in the middle once learning resumes far below it', () => {
    const points = series(900, (i) => ({ loss: i < 50 ? 1 - (0.8 * i) / 50 : i < 400 ? 0.2 : 0.05 + 0.15 * Math.exp(-(i - 400) / 40) }));
    const seg = findPlateau(lossBlocks(points, 10), 1, regression.ctx, T)!;
    expect(seg.start).toBeGreaterThanOrEqual(40);
    expect(seg.start).toBeLessThanOrEqual(60);
    expect(seg.end).toBeGreaterThanOrEqual(399);
    expect(seg.end).toBeLessThanOrEqual(420);
    expect(seg.atChance).toBe(false);
  });

  it('is not raised on healthy curves: falling noisily, converging smoothly, or a short pause', () => {
    for (const seed of [1, 2, 3]) {
      const points = healthyLoss(1500, seed);
      expect(plateau(lossBlocks(points, 10), { firstLoss: points[0]!.loss, final: true, lastStep: 1499 }, mini.ctx, T)).toBeNull();
    }
    const smooth = series(1500, (i) => ({ loss: 0.5 * Math.exp(-i / 50) + 0.01 }));
    expect(plateau(lossBlocks(smooth, 10), { firstLoss: 0.51, final: true, lastStep: 1499 }, regression.ctx, T)).toBeNull();
    const pause = series(600, (i) => ({ loss: i < 50 ? 1 - (0.8 * i) / 50 : i < 150 ? 0.2 : 0.05 + 0.15 * Math.exp(-(i - 150) / 40) }));
    expect(plateau(lossBlocks(pause, 10), { firstLoss: 1, final: true, lastStep: 599 }, regression.ctx, T)).toBeNull();
  });
});

describe('oscillating-loss', () => {
  it('is raised when mini-batch losses bounce far beyond noise without trending down', () => {
    const points = series(200, (i) => ({ loss: 1 + 0.8 * Math.sign(Math.sin((Math.PI * (i + 0.5)) / 5)) + 0.1 * Math.sin(i * 12.9898) }));
    const f = oscillatingLoss(points, 2.3, mini.ctx, T)!;
    expect(Finding.parse(f)).toEqual(f);
    expect(f).toMatchObject({ code: 'oscillating-loss', severity: 'warning', step: 80 });
    expect(f.evidence['noiseRatio']).toBeGreaterThan(T.oscillationNoiseRatio);
    expect(f.message).toContain('swung up and down');
    expect(f.suggestions[0]!.set).toEqual({ 'training.optimizer.learningRate': 0.00033 });
  });

  it('reads every step of full-batch training', () => {
    const points = series(200, (i) => ({ loss: i % 2 === 0 ? 0.3 : 0.6 }));
    expect(oscillatingLoss(points, 0.5, regression.ctx, T)).not.toBeNull();
  });

  it('is not raised on the iid noise of batches of 1 to 5, however large, nor when no weight moves', () => {
    // Batch noise: each step's loss an independent draw around a level that does not move.
    let seed = 7;
    const uniform = (): number => {
      seed = (seed * 1664525 + 1013904223) >>> 0;
      return seed / 2 ** 32;
    };
    for (const spread of [0.2, 1, 3]) {
      const points = series(2000, () => ({ loss: 0.7 * Math.exp(spread * (uniform() - 0.5) * 2) }));
      for (let end = 120; end <= 2000; end += 10) expect(oscillatingLoss(points.slice(end - 120, end), 0.7, mini.ctx, T), `spread ${spread} at ${end}`).toBeNull();
    }
  });

  it('is raised on the period-2 bounce of mini-batch steps too large', () => {
    const points = series(200, (i) => ({ loss: 1 + (i % 2 === 0 ? 0.6 : -0.6) + 0.05 * Math.sin(i * 78.233) }));
    const f = oscillatingLoss(points, 2.3, mini.ctx, T)!;
    expect(f.evidence['lagOneAutocorrelation']).toBeLessThan(-0.9);
  });

  it('is not raised on mini-batch noise, on a falling curve, or on smooth convergence', () => {
    for (const sigma of [0.3, 0.8]) {
      const points = healthyLoss(1500, 4, sigma);
      for (let end = 120; end <= 1500; end += 30) expect(oscillatingLoss(points.slice(end - 120, end), points[0]!.loss, mini.ctx, T), `σ ${sigma} at ${end}`).toBeNull();
    }
    const falling = series(100, (i) => ({ loss: (2 - i / 60) * (i % 2 === 0 ? 1 : 1.1) }));
    expect(oscillatingLoss(falling, 2.3, regression.ctx, T)).toBeNull();
    const smooth = series(100, (i) => ({ loss: 0.01 + 0.001 * Math.exp(-i / 30) }));
    expect(oscillatingLoss(smooth, 0.5, regression.ctx, T)).toBeNull();
  });
});

/** Blocks and the lowest three-block mean, as the Diagnosis keeps them. */
function blocksWithLowest(points: StepPoint[]): { blocks: LossBlock[]; lowest: { loss: number; end: number } | null } {
  const blocks = lossBlocks(points, 10);
  let lowest: { loss: number; end: number } | null = null;
  for (let k = 3; k <= blocks.length; k++) {
    const loss = smoothedLoss(blocks.slice(k - 3, k));
    if (lowest === null || loss < lowest.loss) lowest = { loss, end: blocks[k - 1]!.end };
  }
  return { blocks, lowest };
}

describe('diverging-loss', () => {
  it('is raised when the loss climbs block after block to a multiple of its lowest', () => {
    const points = series(400, (i) => ({ loss: i < 300 ? 2.3 * Math.exp(-i / 50) + 0.1 : 0.1 * 1.02 ** (i - 300) }));
    const { blocks, lowest } = blocksWithLowest(points);
    const f = divergingLoss(blocks, lowest, mini.ctx, T)!;
    expect(Finding.parse(f)).toEqual(f);
    expect(f).toMatchObject({ code: 'diverging-loss', severity: 'error' });
    expect(f.evidence['factor']).toBeGreaterThan(2);
    expect(f.message).toMatch(/^The loss has been rising since step \d+/);
  });

  it('is not raised on healthy noisy training or on a spike that recovers', () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const points = healthyLoss(1500, seed, 0.8);
      for (let n = 100; n <= 1500; n += 10) {
        const { blocks, lowest } = blocksWithLowest(points.slice(0, n));
        expect(divergingLoss(blocks, lowest, mini.ctx, T), `seed ${seed} at ${n}`).toBeNull();
      }
    }
    const spike = series(400, (i) => ({ loss: i >= 300 && i < 330 ? 0.5 : 0.05 }));
    const { blocks, lowest } = blocksWithLowest(spike);
    expect(divergingLoss(blocks, lowest, mini.ctx, T)).toBeNull();
  });
});

describe('overfitting', () => {
  const val = [1.0, 0.6, 0.5, 0.48, 0.52, 0.55, 0.6, 0.57, 0.6];
  const train = [1.0, 0.5, 0.35, 0.25, 0.18, 0.12, 0.08, 0.06, 0.05];

  it('is raised when validation loss rises while training loss falls; a warning once validation accuracy drops', () => {
    const acc = [0.7, 0.85, 0.88, 0.9, 0.89, 0.87, 0.86, 0.86, 0.86];
    const f = overfitting(val.map((v, e) => epoch(e, train[e]!, v, acc[e]!)), mini.ctx, T)!;
    expect(Finding.parse(f)).toEqual(f);
    expect(f).toMatchObject({ code: 'overfitting', severity: 'warning', epoch: 3 });
    expect(f.message).toContain('Validation loss has risen since epoch 4, its lowest (0.48), to 0.6 at epoch 9');
    expect(f.suggestions[0]!.set).toEqual({ 'training.epochs': 4 });
    const mild = overfitting(val.map((v, e) => epoch(e, train[e]!, v, 0.9)), mini.ctx, T)!;
    expect(mild.severity).toBe('info');
  });

  it('is not raised while both fall, when training loss rises too, or too soon after the minimum', () => {
    expect(overfitting(train.map((v, e) => epoch(e, v, v * 1.2)), mini.ctx, T)).toBeNull();
    expect(overfitting(val.map((v, e) => epoch(e, v, v)), mini.ctx, T)).toBeNull();
    expect(overfitting(val.slice(0, 8).map((v, e) => epoch(e, train[e]!, v)), mini.ctx, T)).toBeNull();
    // The healthy 150-row MLP: a two-epoch rise (1.151 → 1.31) that then falls away.
    const bump = [1.6, 1.3, 1.151, 1.25, 1.31, 1.2, 1.1, 0.9, 0.7, 0.433];
    const bumpTrain = [1.6, 1.3, 1.1, 1.0, 0.9, 0.8, 0.7, 0.6, 0.5, 0.45];
    for (let n = 3; n <= bump.length; n++) expect(overfitting(bump.slice(0, n).map((v, e) => epoch(e, bumpTrain[e]!, v)), mini.ctx, T), `epoch ${n - 1}`).toBeNull();
    // A rise that one epoch dips out of is not sustained.
    const dips = [1.0, 0.6, 0.5, 0.48, 0.6, 0.6, 0.49, 0.6, 0.6];
    expect(overfitting(dips.map((v, e) => epoch(e, train[e]!, v)), mini.ctx, T)).toBeNull();
    expect(overfitting(train.map((v, e) => epoch(e, v, null)), mini.ctx, T)).toBeNull();
  });
});
