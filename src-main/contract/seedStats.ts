/**
 * Statistics over repeated trials of one spec (N seeds): the success rate with its 95 %
 * Wilson interval, the five-number summary of the final losses, and which findings occurred
 * in the failed seeds versus the successful ones. Pure functions over plain numbers, used by
 * the CLI (`train --repeat`, `compare`) and by the Train and Compare screens alike.
 *
 * This module must stay free of Node, Electron and DOM imports: it runs everywhere.
 */
import type { Finding } from './findings';

/** z for a two-sided 95 % interval. */
export const Z95 = 1.959964;

/** What one seed's run contributes to the statistics. */
export interface SeedOutcome {
  seed: number;
  /** The final training loss; null when it was NaN/Inf or the run ended without one. */
  finalLoss: number | null;
  /** Whether the run met the spec's success criterion; null when the spec has none or the run failed. */
  success: boolean | null;
  /** The run's findings (each in its latest form); `info` ones do not count. */
  findings: readonly Pick<Finding, 'code' | 'severity' | 'state'>[];
}

export interface SuccessRate {
  successes: number;
  /** Seeds judged (success true or false). */
  judged: number;
  /** successes / judged, or null when none was judged. */
  rate: number | null;
  /** 95 % Wilson score interval of the rate, as fractions; [0, 1] when none was judged. */
  interval: [number, number];
}

/** Minimum, quartiles (linear interpolation between order statistics) and maximum. */
export interface FiveNumberSummary {
  /** Finite values the summary is made of. */
  n: number;
  min: number;
  q1: number;
  median: number;
  q3: number;
  max: number;
}

/** One finding code: in how many failed and successful seeds it was raised (warning or error). */
export interface FindingOutcomeRow {
  code: string;
  failures: number;
  failed: number;
  successes: number;
  succeeded: number;
  /** Of `failures` and `successes`: the seeds where it still held at the end (the rest were transient). */
  failuresHeld: number;
  successesHeld: number;
}

export interface SeedSummary {
  seeds: number;
  /** Null when the spec defines no success (no seed was judged). */
  success: SuccessRate | null;
  finalLoss: FiveNumberSummary | null;
  /** Seeds whose final loss was NaN/Inf or missing. */
  nonFiniteLosses: number;
  /** Every warning-or-worse code raised in a judged seed, sorted by code. */
  findingsByOutcome: FindingOutcomeRow[];
}

/**
 * Wilson score interval for `successes` of `n` trials: unlike the normal approximation it
 * stays inside [0, 1] and is sound for small n and rates near 0 or 1.
 */
export function wilsonInterval(successes: number, n: number, z = Z95): [number, number] {
  if (!Number.isInteger(n) || n <= 0) return [0, 1];
  if (!Number.isInteger(successes) || successes < 0 || successes > n) throw new RangeError(`wilsonInterval: successes must be an integer from 0 to ${n}, got ${successes}`);
  const p = successes / n;
  const z2 = z * z;
  const denominator = 1 + z2 / n;
  const centre = (p + z2 / (2 * n)) / denominator;
  const half = (z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n))) / denominator;
  // Exact at the ends: 0 of n has lower bound 0, n of n upper bound 1 (rounding would miss them).
  return [successes === 0 ? 0 : Math.max(0, centre - half), successes === n ? 1 : Math.min(1, centre + half)];
}

/** The q-quantile (0 ≤ q ≤ 1) of sorted values, interpolating linearly between order statistics. */
export function quantileSorted(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) throw new RangeError('quantileSorted: no values');
  const at = (sorted.length - 1) * Math.min(1, Math.max(0, q));
  const lo = Math.floor(at);
  const hi = Math.ceil(at);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (at - lo);
}

/** Five-number summary of the finite values; null when there is none. */
export function fiveNumberSummary(values: readonly (number | null)[]): FiveNumberSummary | null {
  const finite = values.filter((v): v is number => v !== null && Number.isFinite(v)).sort((a, b) => a - b);
  if (finite.length === 0) return null;
  return {
    n: finite.length,
    min: finite[0]!,
    q1: quantileSorted(finite, 0.25),
    median: quantileSorted(finite, 0.5),
    q3: quantileSorted(finite, 0.75),
    max: finite.at(-1)!,
  };
}

/** Success rate over the seeds that were judged. */
export function successRate(outcomes: readonly Pick<SeedOutcome, 'success'>[]): SuccessRate | null {
  const judged = outcomes.filter((o) => o.success !== null);
  if (judged.length === 0) return null;
  const successes = judged.filter((o) => o.success === true).length;
  return { successes, judged: judged.length, rate: successes / judged.length, interval: wilsonInterval(successes, judged.length) };
}

/**
 * Which warning-or-worse codes occurred in the failed seeds and in the successful ones:
 * "dead-units in 9 of 11 failures, 0 of 9 successes". Seeds not judged are left out.
 */
export function findingsByOutcome(outcomes: readonly SeedOutcome[]): FindingOutcomeRow[] {
  const failed = outcomes.filter((o) => o.success === false);
  const succeeded = outcomes.filter((o) => o.success === true);
  const codesOf = (o: SeedOutcome, held: boolean): Set<string> =>
    new Set(o.findings.filter((f) => f.severity !== 'info' && (!held || f.state !== 'resolved')).map((f) => f.code));
  const failedCodes = failed.map((o) => codesOf(o, false));
  const succeededCodes = succeeded.map((o) => codesOf(o, false));
  const failedHeld = failed.map((o) => codesOf(o, true));
  const succeededHeld = succeeded.map((o) => codesOf(o, true));
  const codes = new Set([...failedCodes, ...succeededCodes].flatMap((s) => [...s]));
  return [...codes].sort().map((code) => ({
    code,
    failures: failedCodes.filter((s) => s.has(code)).length,
    failed: failed.length,
    successes: succeededCodes.filter((s) => s.has(code)).length,
    succeeded: succeeded.length,
    failuresHeld: failedHeld.filter((s) => s.has(code)).length,
    successesHeld: succeededHeld.filter((s) => s.has(code)).length,
  }));
}

/** All three statistics of a repeated run. */
export function summarizeSeeds(outcomes: readonly SeedOutcome[]): SeedSummary {
  return {
    seeds: outcomes.length,
    success: successRate(outcomes),
    finalLoss: fiveNumberSummary(outcomes.map((o) => o.finalLoss)),
    nonFiniteLosses: outcomes.filter((o) => o.finalLoss === null || !Number.isFinite(o.finalLoss)).length,
    findingsByOutcome: findingsByOutcome(outcomes),
  };
}

const percent = (v: number): string => `${Math.round(v * 100)} %`;

/** "9 of 20 (45 %, 95 % interval 26–66 %)"; "not judged" without a success criterion. */
export function describeSuccess(rate: SuccessRate | null): string {
  if (!rate) return 'not judged (the spec defines no success)';
  const [lo, hi] = rate.interval;
  return `${rate.successes} of ${rate.judged} (${percent(rate.rate ?? 0)}, 95 % interval ${Math.round(lo * 100)}–${percent(hi)})`;
}

/** "dead-units in 9 of 11 failures, 0 of 9 successes" with ", held to the end in 8 · 0" when some were transient. */
export function describeOutcomeRow(row: FindingOutcomeRow): string {
  const base = `${row.code} in ${row.failures} of ${row.failed} failure${row.failed === 1 ? '' : 's'}, ${row.successes} of ${row.succeeded} success${row.succeeded === 1 ? '' : 'es'}`;
  return row.failuresHeld === row.failures && row.successesHeld === row.successes ? base : `${base}; held to the end in ${row.failuresHeld} · ${row.successesHeld}, the rest resolved`;
}

/** "22/24 · 0/16", with "(held 20 · 0)" when some were transient: the compare table's cell. */
export function shortOutcomeRow(row: FindingOutcomeRow): string {
  const base = `${row.code} ${row.failures}/${row.failed} · ${row.successes}/${row.succeeded}`;
  return row.failuresHeld === row.failures && row.successesHeld === row.successes ? base : `${base} (held ${row.failuresHeld} · ${row.successesHeld})`;
}

/** Short numbers for loss tables: 0.00123 → "0.00123", 1.5e-7 → "1.50e-7". */
export function formatLoss(value: number): string {
  if (value === 0) return '0';
  return Math.abs(value) < 1e-4 || Math.abs(value) >= 1e5 ? value.toExponential(2).replace('e+', 'e') : value.toPrecision(3);
}

/** "min 0.00102 · q1 0.00340 · median 0.0421 · q3 0.0873 · max 0.134 (20 finite)". */
export function describeLosses(summary: FiveNumberSummary | null, nonFinite = 0): string {
  const tail = nonFinite > 0 ? `, ${nonFinite} NaN/Inf or missing` : '';
  if (!summary) return `no finite final loss${tail}`;
  return `min ${formatLoss(summary.min)} · q1 ${formatLoss(summary.q1)} · median ${formatLoss(summary.median)} · q3 ${formatLoss(summary.q3)} · max ${formatLoss(summary.max)} (${summary.n} finite${tail})`;
}

/** Longest `path=value` change shown whole in a compared spec's label. */
const CHANGE_LABEL_MAX = 48;

/**
 * A `path=value` change as a compared spec's label shows it: whole when short, else the path
 * and the start of the value (`model.layers=[{"type":"dense",…`), so a row stays one line.
 */
export function changeLabel(change: string): string {
  if (change.length <= CHANGE_LABEL_MAX) return change;
  const eq = change.indexOf('=');
  const path = eq > 0 ? change.slice(0, eq + 1) : '';
  const value = change.slice(path.length).replace(/\s+/g, '');
  return `${path}${value.slice(0, Math.max(8, CHANGE_LABEL_MAX - path.length))}…`;
}
