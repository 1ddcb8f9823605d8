/**
 * How the CLI reports repeated trials: the statistics of src-main/contract/seedStats.ts as
 * lines on stderr and as the `summary` object of `--json`.
 */
import { describeLosses, describeOutcomeRow, describeSuccess, summarizeSeeds, type FindingOutcomeRow, type FiveNumberSummary, type Spec, type SuccessRate } from '@contract';
import { outcomeOf, type RunResult } from './seedRuns';

/** The `summary` of `--json`: what a script needs without recomputing it from the runs. */
export interface SeedSummaryJson {
  repeat: number;
  /** Present when the spec defines success. */
  successRate?: number | null;
  successes?: number;
  judged?: number;
  /** 95 % Wilson interval of the success rate, as fractions. */
  confidence95?: [number, number];
  /** Five-number summary of the finite final losses; null when none was finite. */
  finalLoss: FiveNumberSummary | null;
  /** Seeds whose final loss was NaN/Inf or missing (a failed run). */
  nonFiniteLosses: number;
  /** Per finding code: in how many failed and successful seeds it was raised. */
  findingsBySuccess?: FindingOutcomeRow[];
}

export function summaryOf(runs: RunResult[], spec: Spec): SeedSummaryJson {
  const stats = summarizeSeeds(runs.map(outcomeOf));
  const json: SeedSummaryJson = { repeat: runs.length, finalLoss: stats.finalLoss, nonFiniteLosses: stats.nonFiniteLosses };
  if (spec.success) {
    const rate: SuccessRate = stats.success ?? { successes: 0, judged: 0, rate: null, interval: [0, 1] };
    json.successRate = rate.rate;
    json.successes = rate.successes;
    json.judged = rate.judged;
    json.confidence95 = rate.interval;
    json.findingsBySuccess = stats.findingsByOutcome;
  }
  return json;
}

/** The summary in words, one fact a line, for stderr. */
export function summaryLines(summary: SeedSummaryJson, spec: Spec): string[] {
  const lines: string[] = [];
  if (spec.success) {
    const criterion = `${spec.success.metric} ${spec.success.op} ${spec.success.value}`;
    const rate: SuccessRate = { successes: summary.successes ?? 0, judged: summary.judged ?? 0, rate: summary.successRate ?? null, interval: summary.confidence95 ?? [0, 1] };
    lines.push(`success: ${describeSuccess(rate.judged > 0 ? rate : null)} with ${criterion}`);
  }
  lines.push(`final loss: ${describeLosses(summary.finalLoss, summary.nonFiniteLosses)}`);
  const rows = summary.findingsBySuccess ?? [];
  if (rows.length > 0) {
    lines.push('findings by outcome:');
    for (const row of rows) lines.push(`  ${describeOutcomeRow(row)}`);
  }
  return lines;
}
