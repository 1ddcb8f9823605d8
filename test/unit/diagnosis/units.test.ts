import { describe, expect, it } from 'vitest';
import { Finding } from '@contract/findings';
import { advanceStreaks, type LayerRef, type UnitStreaks } from '../../../src-main/engine/diagnosis/common';
import { DEFAULT_THRESHOLDS as T, resolveThresholds } from '../../../src-main/engine/diagnosis/thresholds';
import { deadUnits, isDead } from '../../../src-main/engine/diagnosis/detectors/deadUnits';
import { isLinear, linearUnits } from '../../../src-main/engine/diagnosis/detectors/linearUnits';
import { isSaturated, saturatedUnits } from '../../../src-main/engine/diagnosis/detectors/saturatedUnits';
import { advancePairs, duplicatePairs, duplicateUnits, type PairStreak } from '../../../src-main/engine/diagnosis/detectors/duplicateUnits';
import { absData, digitsData, reluAbs, setup } from './fixtures';

/** Folds a series of per-unit fractions (one array per probe, at steps `steps`) into streaks of `holds`. */
function streaksOf(probes: number[][], steps: number[], holds: (value: number) => boolean): UnitStreaks {
  let streaks: UnitStreaks | null = null;
  probes.forEach((values, k) => {
    streaks = advanceStreaks(streaks, values.length, (u) => holds(values[u]!), steps[k]!, steps[k]!);
  });
  return streaks!;
}

function observe(layer: LayerRef, probes: number[][], steps: number[], holds: (value: number) => boolean) {
  return { layer, step: steps[steps.length - 1]!, epoch: steps[steps.length - 1]!, fraction: Float32Array.from(probes[probes.length - 1]!), streaks: streaksOf(probes, steps, holds) };
}

const relu = setup(reluAbs, absData);
const dense1 = relu.ctx.layers[0]!;
const dense2 = relu.ctx.layers[1]!;

describe('dead-units', () => {
  const dead = (v: number) => isDead(v, T);

  it('names the layer, the units and since when, in plain words, with fixes', () => {
    const f = deadUnits(observe(dense1, [[0.4, 0.5, 0.3], [0, 0.5, 0], [0, 0.6, 0], [0, 0.55, 0]], [315, 340, 365, 390], dead), relu.ctx, T);
    expect(f).not.toBeNull();
    expect(Finding.parse(f)).toEqual(f);
    expect(f!).toMatchObject({ code: 'dead-units', severity: 'warning', layer: 'dense_1', units: [0, 2], step: 340 });
    expect(f!.message).toContain('2 of 3 ReLUs in dense_1 (units 0 and 2)');
    expect(f!.message).toContain('1000 probe samples, since step 340');
    expect(f!.evidence).toMatchObject({ dead: 2, units: 3, since: 340 });
    expect(f!.suggestions).toContainEqual({ label: 'Use leakyRelu in dense_1', set: { 'model.layers.0.activation': 'leakyRelu' } });
    // They died during training: a smaller step is among the fixes.
    expect(f!.suggestions.some((s) => 'training.optimizer.learningRate' in s.set)).toBe(true);
  });

  it('says all units when the whole layer is dead from the start, and suggests zero biases', () => {
    const { ctx } = setup({ ...reluAbs, model: { layers: [{ type: 'dense', units: 3, activation: 'relu', biasInitializer: { type: 'randomUniform', min: -5, max: -5 } }, { type: 'dense', units: 1 }] } }, absData);
    const f = deadUnits(observe(ctx.layers[0]!, [[0, 0, 0], [0, 0, 0]], [25, 50], dead), ctx, T)!;
    expect(f.units).toEqual([0, 1, 2]);
    expect(f.message).toMatch(/^All 3 ReLUs in dense_1 output 0/);
    expect(f.message).toContain('from the first probe');
    expect(f.suggestions.some((s) => s.set['model.layers.0.biasInitializer'] === 'zeros')).toBe(true);
  });

  it('is not raised on healthy units, on one silent probe, or on a unit that came back', () => {
    expect(deadUnits(observe(dense1, [[0.4, 0.5, 0.3], [0.45, 0.5, 0.2]], [25, 50], dead), relu.ctx, T)).toBeNull();
    expect(deadUnits(observe(dense1, [[0.4, 0.5, 0.3], [0, 0.5, 0.2]], [25, 50], dead), relu.ctx, T)).toBeNull();
    expect(deadUnits(observe(dense1, [[0, 0.5, 0.3], [0, 0.5, 0.2], [0.01, 0.5, 0.2]], [25, 50, 75], dead), relu.ctx, T)).toBeNull();
  });

  it('only looks at ReLU-family layers', () => {
    expect(deadUnits(observe(dense2, [[0], [0]], [25, 50], dead), relu.ctx, T)).toBeNull();
    const tanh = setup({ ...reluAbs, model: { layers: [{ type: 'dense', units: 3, activation: 'tanh' }, { type: 'dense', units: 1 }] } }, absData);
    expect(deadUnits(observe(tanh.ctx.layers[0]!, [[0, 0, 0], [0, 0, 0]], [25, 50], dead), tanh.ctx, T)).toBeNull();
  });

  it('is only info while a wide layer keeps most of its units alive, a warning from 65 % (the corpus: healthy runs lose up to 62 %)', () => {
    const { ctx } = setup({ ...reluAbs, model: { layers: [{ type: 'dense', units: 128, activation: 'relu' }, { type: 'dense', units: 1 }] } }, absData);
    const some = Array.from({ length: 128 }, (_, u) => (u < 25 ? 0 : 0.5));
    const f = deadUnits(observe(ctx.layers[0]!, [some, some], [50, 100], dead), ctx, T)!;
    expect(f.severity).toBe('info');
    expect(f.message).toContain('25 of 128 ReLUs');
    const half = Array.from({ length: 128 }, (_, u) => (u < 64 ? 0 : 0.5));
    expect(deadUnits(observe(ctx.layers[0]!, [half, half], [50, 100], dead), ctx, T)!.severity).toBe('info');
    const most = Array.from({ length: 128 }, (_, u) => (u < 90 ? 0 : 0.5));
    expect(deadUnits(observe(ctx.layers[0]!, [most, most], [50, 100], dead), ctx, T)!.severity).toBe('warning');
  });
});

describe('linear-units', () => {
  const linear = (v: number) => isLinear(v, T);

  it('names the units that never bend', () => {
    const f = linearUnits(observe(dense1, [[1, 0.995, 0.4], [1, 0.996, 0.45]], [200, 225], linear), relu.ctx, T)!;
    expect(f).toMatchObject({ code: 'linear-units', severity: 'warning', layer: 'dense_1', units: [0, 1], step: 200 });
    expect(f.message).toContain('2 of 3 ReLUs in dense_1 (units 0 and 1) are active on at least 99 % of the 1000 probe samples');
    expect(f.message).toContain('1 unit left to bend');
    expect(f.suggestions.some((s) => 'training.seed' in s.set)).toBe(true);
  });

  it('is not raised for one always-on unit while two or more units still bend (a linear term can be what the fit needs)', () => {
    expect(linearUnits(observe(dense1, [[1, 0.5, 0.4], [0.995, 0.5, 0.45]], [200, 225], linear), relu.ctx, T)).toBeNull();
    const withDead = linearUnits({ ...observe(dense1, [[1, 0, 0.4], [0.995, 0, 0.45]], [200, 225], linear), dead: new Set([1]) }, relu.ctx, T)!;
    expect(withDead.severity).toBe('warning');
    expect(withDead.message).toContain('1 unit left to bend the output with (and 1 dead)');
  });

  it('is not raised on bending units or on the output layer', () => {
    expect(linearUnits(observe(dense1, [[0.5, 0.98, 0.4], [0.5, 0.97, 0.4]], [25, 50], linear), relu.ctx, T)).toBeNull();
    const out = setup({ ...reluAbs, model: { layers: [{ type: 'dense', units: 3, activation: 'relu' }, { type: 'dense', units: 1, activation: 'relu' }] } }, absData);
    expect(linearUnits(observe(out.ctx.layers[1]!, [[1], [1]], [25, 50], linear), out.ctx, T)).toBeNull();
  });
});

describe('saturated-units', () => {
  const sig = setup(
    { ...reluAbs, model: { layers: [{ type: 'dense', units: 4, activation: 'sigmoid' }, { type: 'dense', units: 1, activation: 'sigmoid' }] }, training: { loss: { type: 'binaryCrossentropy' } } },
    { inputShape: [2], task: 'classification', outputs: 2 },
  );
  const saturated = (v: number) => isSaturated(v, T);
  const at = (layer: LayerRef, probes: number[][], steps: number[]) => observe(layer, probes, steps, saturated);

  it('names saturated hidden units and suggests a non-saturating activation', () => {
    const f = saturatedUnits(at(sig.ctx.layers[0]!, [[0.99, 0.97, 0.2, 0.1], [0.99, 0.98, 0.3, 0.1]], [50, 100]), sig.ctx, T)!;
    expect(f).toMatchObject({ code: 'saturated-units', severity: 'warning', layer: 'dense_1', units: [0, 1], step: 50 });
    expect(f.message).toContain('2 of 4 sigmoid units in dense_1 (units 0 and 1) sit within 1 % of 0 or 1 on at least 95 %');
    expect(f.suggestions[0]!.set).toEqual({ 'model.layers.0.activation': 'relu', 'model.layers.0.kernelInitializer': 'heNormal' });
  });

  it('is not raised on unsaturated units, nor on a confident output layer', () => {
    expect(saturatedUnits(at(sig.ctx.layers[0]!, [[0.5, 0.9, 0.2, 0.1], [0.5, 0.94, 0.2, 0.1]], [50, 100]), sig.ctx, T)).toBeNull();
    expect(saturatedUnits(at(sig.ctx.layers[1]!, [[1], [1]], [50, 100]), sig.ctx, T)).toBeNull();
  });

  it('watches a regression output pinned at a bound its targets lie beyond, and suggests a linear output', () => {
    const reg = setup({ ...reluAbs, model: { layers: [{ type: 'dense', units: 4, activation: 'sigmoid' }, { type: 'dense', units: 1, activation: 'sigmoid' }] } }, { inputShape: [2], task: 'regression', outputs: 1 });
    expect(saturatedUnits(at(reg.ctx.layers[1]!, [[1], [1]], [25, 50]), reg.ctx, T)).toBeNull();
    reg.ctx.unreachableTargets = { min: 3, max: 103 };
    const f = saturatedUnits(at(reg.ctx.layers[1]!, [[1], [1]], [25, 50]), reg.ctx, T)!;
    expect(f).toMatchObject({ code: 'saturated-units', layer: 'dense_2', units: [0], step: 25 });
    expect(f.message).toContain('while the regression targets range from 3 to 103: it is pinned against a bound it cannot pass');
    expect(f.suggestions).toEqual([{ label: 'Use a linear output in dense_2', set: { 'model.layers.1.activation': 'linear' } }]);
  });
});

describe('duplicate-units', () => {
  // Columns are units: unit 0 = (1, 0; 0.5), unit 1 = (2, 0.01; 1.0) points the same way, unit 2 = (0, 1; -0.2).
  const kernel = [1, 2, 0, 0, 0.01, 1];
  const bias = [0.5, 1.0, -0.2];

  it('finds pairs pointing the same way, and reports them once they persist', () => {
    const pairs = duplicatePairs(kernel, [2, 3], bias, T)!;
    expect(pairs).toHaveLength(1);
    expect(pairs[0]).toMatchObject({ a: 0, b: 1 });
    expect(pairs[0]!.cosine).toBeGreaterThan(0.999);
    let streaks: Map<string, PairStreak> = advancePairs(null, pairs, 400, 400);
    expect(duplicateUnits({ layer: dense1, step: 400, epoch: 400, units: 3, pairs: streaks.values() }, relu.ctx, T)).toBeNull();
    streaks = advancePairs(streaks, duplicatePairs(kernel, [2, 3], bias, T)!, 500, 500);
    const f = duplicateUnits({ layer: dense1, step: 500, epoch: 500, units: 3, pairs: streaks.values() }, relu.ctx, T)!;
    expect(Finding.parse(f)).toEqual(f);
    expect(f).toMatchObject({ code: 'duplicate-units', severity: 'warning', layer: 'dense_1', units: [0, 1], step: 400 });
    expect(f.message).toContain('units 0 and 1 have incoming weights and bias pointing the same way');
    expect(f.message).toContain('2 distinct units, not 3');
  });

  it('is not raised on a hexagonal pyramid, opposite units, dead units left out, or the output layer', () => {
    const angles = [0, (2 * Math.PI) / 3, (4 * Math.PI) / 3];
    const hexagon = [...angles.map(Math.cos), ...angles.map(Math.sin)];
    expect(duplicatePairs(hexagon, [2, 3], [-0.3, -0.3, -0.3], T)).toEqual([]);
    expect(duplicatePairs([1, -1, 0, 0], [2, 2], [0.2, -0.2], T)).toEqual([]);
    expect(duplicatePairs(kernel, [2, 3], bias, T, new Set([1]))).toEqual([]);
    const streaks = advancePairs(advancePairs(null, [{ a: 0, b: 1, cosine: 1 }], 1, 1), [{ a: 0, b: 1, cosine: 1 }], 2, 2);
    expect(duplicateUnits({ layer: dense2, step: 2, epoch: 2, units: 1, pairs: streaks.values() }, relu.ctx, T)).toBeNull();
  });

  it('skips layers too wide to compare cheaply', () => {
    expect(duplicatePairs(new Float32Array(784 * 1000), [784, 1000], null, T)).toBeNull();
    expect(duplicatePairs(kernel, [2, 3], bias, resolveThresholds({ duplicateMaxWork: 1 }))).toBeNull();
  });

  it('reads conv kernels with the filters on the last axis', () => {
    const { ctx } = setup({ ...reluAbs, dataset: { kind: 'builtin', name: 'mnist' }, model: { layers: [{ type: 'conv2d', filters: 2, kernelSize: 1, activation: 'relu' }, { type: 'flatten' }, { type: 'dense', units: 10 }] }, training: { loss: { type: 'sparseCategoricalCrossentropy', fromLogits: true } } }, digitsData);
    const conv = ctx.layers[0]!;
    const pairs = duplicatePairs([0.3, 0.6], [1, 1, 1, 2], [0.1, 0.2], T)!;
    expect(pairs).toHaveLength(1);
    const streaks = advancePairs(advancePairs(null, pairs, 1, 0), pairs, 2, 0);
    expect(duplicateUnits({ layer: conv, step: 2, epoch: 0, units: 2, pairs: streaks.values() }, ctx, T)!.message).toContain('filters 0 and 1');
  });
});
