import { describe, expect, it } from 'vitest';
import { Finding } from '@contract/findings';
import { DEFAULT_THRESHOLDS as T } from '../../../src-main/engine/diagnosis/thresholds';
import { vanishingGradient } from '../../../src-main/engine/diagnosis/detectors/vanishingGradient';
import { earlyBaseline, explodingGradient } from '../../../src-main/engine/diagnosis/detectors/explodingGradient';
import { unchangedWeights } from '../../../src-main/engine/diagnosis/detectors/unchangedWeights';
import { absData, digitsData, digitsMlp, healthyLoss, noise, reluAbs, series, setup } from './fixtures';

const deep = setup(
  {
    ...digitsMlp,
    model: {
      layers: [
        { type: 'flatten' },
        { type: 'dense', units: 16, activation: 'sigmoid' },
        { type: 'dense', units: 16, activation: 'sigmoid' },
        { type: 'dense', units: 16, activation: 'sigmoid' },
        { type: 'dense', units: 10 },
      ],
    },
  },
  digitsData,
);

describe('vanishing-gradient', () => {
  it('names each layer whose gradient stays far below the largest, since when', () => {
    const points = series(
      150,
      (i) => ({ loss: 2.3, layerGradNorms: [i < 30 ? 0.1 : 2e-6, i < 30 ? 0.1 : 5e-4, 0.2, 0.5] }),
      4,
    );
    const findings = vanishingGradient(points, deep.ctx, T);
    expect(findings).toHaveLength(1);
    const f = findings[0]!;
    expect(Finding.parse(f)).toEqual(f);
    expect(f).toMatchObject({ code: 'vanishing-gradient', severity: 'warning', layer: 'dense_1', step: 30 });
    expect(f.evidence).toMatchObject({ since: 30, steps: 120, largestLayer: 'dense_4', relative: true });
    expect(f.message).toContain('The gradient of dense_1 has stayed below 1e-4 of the largest layer');
    expect(f.message).toContain('Saturating activations');
    expect(f.suggestions.map((s) => s.label)).toContain('Use relu in the hidden layers (He initialisation)');
  });

  it('also counts an absolute floor, but not at a near-perfect fit', () => {
    const stuck = series(120, () => ({ loss: 0.5, layerGradNorms: [1e-9, 2e-9] }));
    expect(vanishingGradient(stuck, setup(reluAbs, absData).ctx, T).map((f) => f.layer)).toEqual(['dense_1', 'dense_2']);
    const fitted = series(120, () => ({ loss: 1e-5, layerGradNorms: [1e-9, 2e-9] }));
    expect(vanishingGradient(fitted, setup(reluAbs, absData).ctx, T)).toEqual([]);
  });

  it('is not raised on healthy gradients or on a short dip', () => {
    expect(vanishingGradient(healthyLoss(300), setup(digitsMlp, digitsData).ctx, T)).toEqual([]);
    const dip = series(150, (i) => ({ layerGradNorms: [i > 60 && i < 120 ? 1e-7 : 0.1, 0.1, 0.2, 0.5] }), 4);
    expect(vanishingGradient(dip, deep.ctx, T)).toEqual([]);
  });

  it('holds through noise that crosses the line now and then, and through a non-finite step', () => {
    // The textbook case: the first layer at ~2.5e-5 of the largest, every seventh step above 1e-4.
    const noisy = series(150, (i) => ({ layerGradNorms: [i % 7 === 0 ? 2e-4 : 2.5e-5, 0.1, 0.2, 1] }), 4);
    const [f, ...rest] = vanishingGradient(noisy, deep.ctx, T);
    expect(rest).toEqual([]);
    expect(f).toMatchObject({ code: 'vanishing-gradient', layer: 'dense_1', step: 1 });
    expect(f!.evidence['share']).toBeGreaterThan(0.8);
    const nan = series(150, (i) => ({ layerGradNorms: [1e-7, 0.1, i === 100 ? null : 0.2, 0.5] }), 4);
    expect(vanishingGradient(nan, deep.ctx, T).map((x) => x.layer)).toEqual(['dense_1']);
    // Half the window is not a share that holds.
    const half = series(150, (i) => ({ layerGradNorms: [i % 2 === 0 ? 2e-4 : 2.5e-5, 0.1, 0.2, 1] }), 4);
    expect(vanishingGradient(half, deep.ctx, T)).toEqual([]);
  });
});

describe('exploding-gradient', () => {
  const { ctx } = setup({ ...digitsMlp, training: { ...digitsMlp.training, loss: { type: 'mse' } } }, digitsData);
  ctx.classes = 10;

  it('is raised when the gradient norm runs far above its early median while the loss rises', () => {
    const points = series(40, (i) => ({ gradNorm: i < 20 ? 2 : 2 * 10 ** ((i - 19) / 3), loss: i < 20 ? 0.09 : 0.09 * 1.5 ** (i - 19) }));
    const early = earlyBaseline(points, T)!;
    expect(early.gradNorm).toBe(2);
    const f = explodingGradient(points.slice(-20), early, ctx, T)!;
    expect(Finding.parse(f)).toEqual(f);
    expect(f).toMatchObject({ code: 'exploding-gradient', severity: 'error' });
    expect(f.evidence['factor']).toBeGreaterThan(1e3);
    expect(f.message).toContain('× its early median (2)');
    expect(f.suggestions.map((s) => Object.keys(s.set)[0])).toEqual(expect.arrayContaining(['training.optimizer.learningRate', 'training.clipNorm', 'training.loss']));
  });

  it('is raised on growth by orders of magnitude within a window', () => {
    const points = series(30, (i) => ({ gradNorm: i < 15 ? 1 : 10 ** (i - 14), loss: i < 15 ? 1 : 1 + i }));
    const f = explodingGradient(points.slice(-20), null, ctx, T)!;
    expect(f).toMatchObject({ code: 'exploding-gradient', step: 14 });
    expect(f.message).toContain('what it was at step 14');
  });

  it('is not raised on a healthy run, nor when gradients grow while the loss falls (learning kicking in)', () => {
    const healthy = healthyLoss(300);
    expect(explodingGradient(healthy.slice(-20), earlyBaseline(healthy, T), ctx, T)).toBeNull();
    const kickIn = series(600, (i) => ({ gradNorm: i < 400 ? 1e-5 : 1e-5 * 10 ** Math.min(5, (i - 400) / 20), loss: i < 400 ? 2.303 : 2.303 * Math.exp(-(i - 400) / 100) }));
    expect(explodingGradient(kickIn.slice(-20), earlyBaseline(kickIn, T), ctx, T)).toBeNull();
    for (let end = 400; end <= 600; end += 5) expect(explodingGradient(kickIn.slice(end - 20, end), earlyBaseline(kickIn, T), ctx, T)).toBeNull();
  });
});

describe('unchanged-weights', () => {
  const { ctx } = setup(reluAbs, absData);

  it('names a frozen layer and says whether any gradient reaches it', () => {
    const dead = series(80, (i) => ({ layerUpdateRatios: [i < 20 ? 1e-3 : 0, 1e-3], layerGradNorms: [i < 20 ? 0.1 : 0, 0.3] }));
    const [f, ...rest] = unchangedWeights(dead, ctx, T);
    expect(rest).toEqual([]);
    expect(f).toMatchObject({ code: 'unchanged-weights', layer: 'dense_1', step: 20, severity: 'warning' });
    expect(f!.message).toContain('no gradient reaches it');
    const slow = series(80, () => ({ layerUpdateRatios: [1e-9, 1e-9], layerGradNorms: [0.1, 0.3] }));
    const both = unchangedWeights(slow, ctx, T);
    expect(both.map((x) => x.layer)).toEqual(['dense_1', 'dense_2']);
    expect(both[0]!.message).toContain('too small to change weights of this size');
    expect(both[0]!.suggestions[0]!.set).toEqual({ 'training.optimizer.learningRate': 0.1 });
  });

  it('is not raised on moving weights or a short pause', () => {
    const jitter = noise(3, 1);
    expect(unchangedWeights(series(200, () => ({ layerUpdateRatios: [1e-4 * jitter(), 1e-3 * jitter()] })), ctx, T)).toEqual([]);
    expect(unchangedWeights(series(100, (i) => ({ layerUpdateRatios: [i > 70 ? 0 : 1e-3, 1e-3] })), ctx, T)).toEqual([]);
  });
});
