/**
 * From the runs of a repeated start (RunData, kept by the monitor) to the statistics of
 * src-main/contract/seedStats.ts, and the loss axis that several distributions share.
 */
import { summarizeSeeds, type Finding, type SeedOutcome, type SeedSummary } from '@contract';
import type { RunData } from '../monitor/runData';

/** One seed as the distribution plot draws it. */
export interface SeedPoint extends SeedOutcome {
  colour: string;
  label: string;
}

/** The runs that have ended with a result (done, or stopped by the engine or the person). */
export function finishedRuns(runs: readonly RunData[]): RunData[] {
  return runs.filter((r) => !r.synthetic && (r.status === 'done' || r.status === 'stopped' || r.status === 'failed'));
}

export function seedPoints(runs: readonly RunData[], findingsOf: (jobId: string | null) => Finding[]): SeedPoint[] {
  return finishedRuns(runs).map((run) => {
    const loss = run.final?.loss ?? null;
    return {
      seed: run.seed,
      finalLoss: loss !== null && Number.isFinite(loss) ? loss : null,
      success: run.final?.success ?? null,
      findings: findingsOf(run.jobId),
      colour: run.colour,
      label: run.label,
    };
  });
}

export function summaryOfPoints(points: readonly SeedPoint[]): SeedSummary {
  return summarizeSeeds(points);
}

export interface LossAxis {
  lo: number;
  hi: number;
  log: boolean;
}

/**
 * One axis for every distribution shown together: log when the finite losses span more than
 * a factor of 20 (a solved relu-abs ends near 1e-4, a stuck one near 0.1), else linear.
 */
export function lossAxis(groups: readonly (readonly SeedPoint[])[]): LossAxis | null {
  const values = groups.flatMap((g) => g.map((p) => p.finalLoss)).filter((v): v is number => v !== null);
  if (values.length === 0) return null;
  let lo = Math.min(...values);
  let hi = Math.max(...values);
  const log = lo > 0 && hi / lo > 20;
  if (log) return { lo: lo / 1.5, hi: hi * 1.5, log };
  const pad = hi > lo ? (hi - lo) * 0.08 : Math.max(Math.abs(hi) * 0.1, 1e-6);
  lo -= pad;
  hi += pad;
  return { lo: Math.max(lo, Math.min(...values) >= 0 ? 0 : lo), hi, log };
}

/** Position of a value on the axis, 0 at lo and 1 at hi. */
export function axisFraction(axis: LossAxis, value: number): number {
  const f = axis.log ? (Math.log10(value) - Math.log10(axis.lo)) / (Math.log10(axis.hi) - Math.log10(axis.lo)) : (value - axis.lo) / (axis.hi - axis.lo);
  return Math.min(1, Math.max(0, f));
}
