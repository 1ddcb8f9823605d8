import { describe, expect, it } from 'vitest';
import { FINDING_CODES, Finding, findingKey } from '@contract/findings';
import { DEFAULT_THRESHOLDS, resolveThresholds } from '../../../src-main/engine/diagnosis/thresholds';

describe('thresholds', () => {
  it("has DESIGN.md's defaults", () => {
    expect(DEFAULT_THRESHOLDS).toMatchObject({
      deadActiveMax: 0,
      linearActiveMin: 0.99,
      duplicateCosine: 0.99,
      saturatedFraction: 0.95,
      vanishingRatio: 1e-4,
      vanishingAbsolute: 1e-8,
      explodingFactor: 1e3,
      unchangedRatio: 1e-7,
    });
  });

  it('takes a partial override and refuses unknown names and non-numbers, naming them', () => {
    const t = resolveThresholds({ duplicateCosine: 0.95, vanishingWindow: 20 });
    expect(t.duplicateCosine).toBe(0.95);
    expect(t.vanishingWindow).toBe(20);
    expect(t.linearActiveMin).toBe(0.99);
    expect(DEFAULT_THRESHOLDS.duplicateCosine).toBe(0.99);
    expect(() => resolveThresholds({ deadish: 1 } as never)).toThrow('unknown diagnosis threshold "deadish"');
    expect(() => resolveThresholds({ plateauBand: Number.NaN })).toThrow('"plateauBand" must be a finite number');
  });
});

describe('the Finding schema', () => {
  it('holds the 15 codes of the vocabulary and one identity per code and layer', () => {
    expect(FINDING_CODES).toHaveLength(15);
    expect(FINDING_CODES).toContain('gradient-check-failed');
    const finding = { code: 'dead-units', severity: 'warning', step: 340, epoch: 3, layer: 'dense_1', units: [0, 2], evidence: { dead: 2, pairs: [0, 2], note: 'x', ok: true, end: null }, message: 'm', suggestions: [{ label: 'Use leakyRelu in dense_1', set: { 'model.layers.0.activation': 'leakyRelu' } }] };
    expect(Finding.parse(finding)).toEqual(finding);
    expect(findingKey(finding as Finding)).toBe('dead-units|dense_1');
    expect(Finding.safeParse({ ...finding, code: 'sad-units' }).success).toBe(false);
    expect(Finding.safeParse({ ...finding, evidence: { x: { nested: 1 } } }).success).toBe(false);
  });
});
