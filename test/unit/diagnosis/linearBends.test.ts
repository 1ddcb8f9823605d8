/**
 * linear-units on the shapes relu-abs's seeds end in: a layer short of units that bend where
 * the data is must raise a warning naming its linear and nearly linear units (seed 13's
 * failure); one always-on unit beside two real hinges (seeds 1, 2, 12 succeed that way) must
 * raise nothing.
 */
import { describe, expect, it } from 'vitest';
import type { RunFinal } from '@contract';
import { Finding } from '@contract/findings';
import { advanceStreaks, type LayerRef, type UnitStreaks } from '../../../src-main/engine/diagnosis/common';
import { DEFAULT_THRESHOLDS as T, resolveThresholds, type Thresholds } from '../../../src-main/engine/diagnosis/thresholds';
import { isLinear, isNearlyLinear, linearUnits } from '../../../src-main/engine/diagnosis/detectors/linearUnits';
import { Diagnosis } from '../../../src-main/engine/diagnosis/diagnosis';
import { absData, point, probe, probeLayer, reluAbs, setup } from './fixtures';

const relu = setup(reluAbs, absData);
const dense1 = relu.ctx.layers[0]!;

/** The linear-units observation after a series of probes (one active-fraction array per probe). */
function observe(layer: LayerRef, probes: number[][], steps: number[], t: Thresholds = T, dead?: Set<number>) {
  let streaks: UnitStreaks | null = null;
  probes.forEach((values, k) => {
    streaks = advanceStreaks(streaks, values.length, (u) => isLinear(values[u]!, t), steps[k]!, steps[k]!);
  });
  const last = probes[probes.length - 1]!;
  return { layer, step: steps[steps.length - 1]!, epoch: steps[steps.length - 1]!, fraction: Float32Array.from(last), streaks: streaks!, dead };
}

describe('nearly linear', () => {
  it('means fewer than linearBendShare of the samples on the flat side of the hinge', () => {
    expect(isNearlyLinear(0.962, T)).toBe(true);
    expect(isNearlyLinear(1, T)).toBe(true);
    expect(isNearlyLinear(0.74, T)).toBe(false);
    expect(isNearlyLinear(0.5, T)).toBe(false);
    expect(isNearlyLinear(0.04, T)).toBe(false);
  });
});

describe('linear-units on relu-abs shapes', () => {
  it('warns on seed 13: one unit always on, one nearly, one real hinge, and names both', () => {
    const f = linearUnits(observe(dense1, [[0.96, 0.995, 0.5], [0.962, 0.997, 0.502]], [1475, 1500]), relu.ctx, T)!;
    expect(Finding.parse(f)).toEqual(f);
    expect(f).toMatchObject({ code: 'linear-units', severity: 'warning', layer: 'dense_1', units: [0, 1], step: 1475 });
    expect(f.evidence).toMatchObject({ linear: 1, nearlyLinear: [0], bending: 1, bendShare: 0.1 });
    expect(f.message).toContain('2 of 3 ReLUs in dense_1 (units 0 and 1) are active on at least 90 % of the 1000 probe samples');
    expect(f.message).toContain('unit 0 on 96.2 %');
    expect(f.message).toContain('their hinges lie at or beyond the edge of the data');
    expect(f.message).toContain('1 unit left to bend the output with');
  });

  it('leaves a nearly dead unit to dead-units: early in training such units come back (seed 28 at step 75)', () => {
    expect(linearUnits(observe(dense1, [[0.649, 0.051, 0.999], [0.617, 0.013, 1]], [50, 75]), relu.ctx, T)).toBeNull();
  });

  it('raises nothing on the successful seeds: one always-on unit beside two hinges, or a nearly linear one alone', () => {
    expect(linearUnits(observe(dense1, [[0.494, 0.995, 0.505], [0.494, 0.995, 0.505]], [1475, 1500]), relu.ctx, T)).toBeNull(); // seed 1
    expect(linearUnits(observe(dense1, [[0.505, 0.996, 0.503], [0.505, 0.996, 0.503]], [1475, 1500]), relu.ctx, T)).toBeNull(); // seed 12
    expect(linearUnits(observe(dense1, [[0.972, 0.507, 0.493], [0.972, 0.507, 0.493]], [1475, 1500]), relu.ctx, T)).toBeNull(); // seed 2
    expect(linearUnits(observe(dense1, [[0.5, 0.503, 0.506], [0.5, 0.503, 0.506]], [1475, 1500]), relu.ctx, T)).toBeNull(); // seed 6
  });

  it('is info from two always-on units up while enough units still bend, and says some may be spare', () => {
    const wide = setup({ ...reluAbs, model: { layers: [{ type: 'dense', units: 5, activation: 'relu' }, { type: 'dense', units: 1 }] } }, absData);
    const f = linearUnits(observe(wide.ctx.layers[0]!, [[1, 0.995, 0.5, 0.4, 0.6], [1, 0.995, 0.5, 0.4, 0.6]], [25, 50]), wide.ctx, T)!;
    expect(f).toMatchObject({ severity: 'info', units: [0, 1] });
    expect(f.message).toContain('one of them may be spare');
  });

  it('follows its thresholds: a narrower bend share lets seed 13 pass as two hinges and a linear term', () => {
    const loose = resolveThresholds({ linearBendShare: 0.03 });
    expect(linearUnits(observe(dense1, [[0.96, 0.995, 0.5], [0.962, 0.997, 0.502]], [1475, 1500], loose), relu.ctx, loose)).toBeNull();
    const strict = resolveThresholds({ linearReportMin: 1 });
    expect(linearUnits(observe(dense1, [[0.494, 0.995, 0.505], [0.494, 0.995, 0.505]], [1475, 1500], strict), relu.ctx, strict)).toMatchObject({ severity: 'info', units: [1] });
  });
});

describe('linear-units at the end of a run', () => {
  const final = (steps: number): RunFinal => ({ steps, epochs: steps, loss: null, accuracy: null, valLoss: null, valAccuracy: null, seconds: 1, samplesPerSecond: 1, success: null });

  it('a warning raised early, settled into two hinges and a linear term: info that says which unit is still on', () => {
    const { spec, job } = setup(reluAbs, absData);
    const diagnosis = new Diagnosis(spec, job);
    const events: Finding[] = [];
    diagnosis.subscribe((f) => events.push(Finding.parse(f)));
    for (let i = 0; i < 300; i++) {
      diagnosis.onStep(point(i, { loss: 0.3 * Math.exp(-i / 100) + 0.002 }));
      if ((i + 1) % 25 === 0) diagnosis.onProbe(probe(i + 1, [probeLayer(0, 'dense_1', 'relu', [i < 150 ? 1 : 0.5, 0.997, 0.5])]));
    }
    diagnosis.finish(final(300));
    const linear = events.filter((f) => f.code === 'linear-units');
    expect(linear.map((f) => f.severity)).toEqual(['warning', 'info']);
    expect(linear[1]!.message).toMatch(/By the end of training \(step 300\) enough units bend where the data is; unit 1, still always on, is the linear term the layer hands on\.$/);
  });

  it('seed 13 as a stream: the warning stands at the end', () => {
    const { spec, job } = setup(reluAbs, absData);
    const diagnosis = new Diagnosis(spec, job);
    for (let i = 0; i < 300; i++) {
      diagnosis.onStep(point(i, { loss: 0.3 * Math.exp(-i / 100) + 0.04 }));
      if ((i + 1) % 25 === 0) diagnosis.onProbe(probe(i + 1, [probeLayer(0, 'dense_1', 'relu', [i < 100 ? 0.99 : 0.962, 0.997, 0.5])]));
    }
    diagnosis.finish(final(300));
    const linear = diagnosis.findings().filter((f) => f.code === 'linear-units');
    expect(linear).toHaveLength(1);
    expect(linear[0]).toMatchObject({ severity: 'warning', units: [0, 1] });
  });
});
