import { describe, expect, it } from 'vitest';
import { changeLabel, describeLosses, describeOutcomeRow, describeSuccess, fiveNumberSummary, shortOutcomeRow, findingsByOutcome, quantileSorted, summarizeSeeds, wilsonInterval, type SeedOutcome } from '@contract';

const outcome = (seed: number, success: boolean | null, finalLoss: number | null, codes: string[] = [], severity: 'info' | 'warning' | 'error' = 'warning', resolved: string[] = []): SeedOutcome => ({
  seed,
  success,
  finalLoss,
  findings: [
    ...codes.map((code) => ({ code: code as SeedOutcome['findings'][number]['code'], severity })),
    ...resolved.map((code) => ({ code: code as SeedOutcome['findings'][number]['code'], severity, state: 'resolved' as const })),
  ],
});

describe('wilsonInterval', () => {
  it('matches published values (Newcombe 1998, table I)', () => {
    // 81 of 263: 0.2553–0.3662; 15 of 148: 0.0624–0.1605; 0 of 20: 0–0.1611; 1 of 29: 0.0061–0.1718.
    const close = (got: [number, number], want: [number, number]): void => {
      expect(got[0]).toBeCloseTo(want[0], 4);
      expect(got[1]).toBeCloseTo(want[1], 4);
    };
    close(wilsonInterval(81, 263), [0.2553, 0.3662]);
    close(wilsonInterval(15, 148), [0.0624, 0.1605]);
    close(wilsonInterval(0, 20), [0, 0.1611]);
    close(wilsonInterval(1, 29), [0.0061, 0.1718]);
  });

  it('is exact at the ends, symmetric, and [0, 1] with no trials', () => {
    expect(wilsonInterval(0, 5)[0]).toBe(0);
    expect(wilsonInterval(5, 5)[1]).toBe(1);
    const [lo, hi] = wilsonInterval(3, 10);
    const [lo2, hi2] = wilsonInterval(7, 10);
    expect(lo).toBeCloseTo(1 - hi2, 12);
    expect(hi).toBeCloseTo(1 - lo2, 12);
    expect(wilsonInterval(0, 0)).toEqual([0, 1]);
    expect(() => wilsonInterval(4, 3)).toThrow(/from 0 to 3/);
  });
});

describe('five-number summary', () => {
  it('interpolates quartiles between order statistics and leaves out NaN and null', () => {
    expect(quantileSorted([1, 2, 3, 4], 0.25)).toBeCloseTo(1.75);
    const summary = fiveNumberSummary([4, null, 1, Number.NaN, 3, 2, 5]);
    expect(summary).toEqual({ n: 5, min: 1, q1: 2, median: 3, q3: 4, max: 5 });
    expect(fiveNumberSummary([0.5])).toEqual({ n: 1, min: 0.5, q1: 0.5, median: 0.5, q3: 0.5, max: 0.5 });
    expect(fiveNumberSummary([null, Number.POSITIVE_INFINITY])).toBeNull();
  });
});

describe('findings by outcome', () => {
  const runs = [
    outcome(1, false, 0.1, ['dead-units', 'duplicate-units']),
    outcome(2, false, 0.2, ['dead-units'], 'warning', ['overfitting']),
    outcome(3, false, null, ['non-finite', 'dead-units']),
    outcome(4, true, 0.001, ['plateau'], 'warning', ['overfitting']),
    outcome(5, true, 0.002, ['dead-units'], 'info'),
    outcome(6, null, 0.3, ['linear-units']),
  ];

  it('counts each code once per seed, in failures and successes, ignoring info and unjudged seeds', () => {
    expect(findingsByOutcome(runs)).toEqual([
      { code: 'dead-units', failures: 3, failed: 3, successes: 0, succeeded: 2, failuresHeld: 3, successesHeld: 0 },
      { code: 'duplicate-units', failures: 1, failed: 3, successes: 0, succeeded: 2, failuresHeld: 1, successesHeld: 0 },
      { code: 'non-finite', failures: 1, failed: 3, successes: 0, succeeded: 2, failuresHeld: 1, successesHeld: 0 },
      { code: 'overfitting', failures: 1, failed: 3, successes: 1, succeeded: 2, failuresHeld: 0, successesHeld: 0 },
      { code: 'plateau', failures: 0, failed: 3, successes: 1, succeeded: 2, failuresHeld: 0, successesHeld: 1 },
    ]);
    const rows = findingsByOutcome(runs);
    expect(describeOutcomeRow(rows[0]!)).toBe('dead-units in 3 of 3 failures, 0 of 2 successes');
    expect(describeOutcomeRow(rows[3]!)).toBe('overfitting in 1 of 3 failures, 1 of 2 successes; held to the end in 0 · 0, the rest resolved');
    expect(shortOutcomeRow(rows[3]!)).toMatch(/\(held 0 · 0\)$/);
  });

  it('summarises a repeated run: rate with interval, losses, NaN count', () => {
    const summary = summarizeSeeds(runs);
    expect(summary.seeds).toBe(6);
    expect(summary.success).toMatchObject({ successes: 2, judged: 5, rate: 0.4 });
    expect(summary.success!.interval[0]).toBeCloseTo(wilsonInterval(2, 5)[0], 12);
    expect(summary.finalLoss).toMatchObject({ n: 5, min: 0.001, median: 0.1, max: 0.3 });
    expect(summary.nonFiniteLosses).toBe(1);
    expect(describeSuccess(summary.success)).toBe('2 of 5 (40 %, 95 % interval 12–77 %)');
    expect(describeLosses(summary.finalLoss, 1)).toMatch(/^min 0\.00100 · q1 0\.00200 · median 0\.100 .* \(5 finite, 1 NaN\/Inf or missing\)$/);
    expect(summarizeSeeds([outcome(1, null, 1)]).success).toBeNull();
    expect(describeSuccess(null)).toMatch(/not judged/);
  });
});

describe('changeLabel', () => {
  it('keeps a short change whole and cuts a long value after its path', () => {
    expect(changeLabel('model.layers.0.activation=elu')).toBe('model.layers.0.activation=elu');
    const long = changeLabel('model.layers=[{"type": "dense", "units": 3, "activation": "relu"}, {"type": "dropout", "rate": 0.1}]');
    expect(long).toBe('model.layers=[{"type":"dense","units":3,"activat…');
    expect(long.length).toBeLessThanOrEqual(49);
  });
});
