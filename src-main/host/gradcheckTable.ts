/**
 * The gradient check's report as text: a per-layer table and a verdict, for the CLI. Pure,
 * so that the failing form is tested without a broken kernel in the engine.
 */
import type { GradcheckReport } from '@contract';

const num = (v: number | null): string => (v === null ? '—' : v === 0 ? '0' : v.toExponential(2));
const count = (v: number): string => v.toLocaleString('en-US');

/** The table and verdict that `trainbench gradcheck` prints. */
export function formatGradcheck(report: GradcheckReport): string {
  const header = ['layer', 'type', 'params', 'checked', 'skipped', 'max rel err', 'median rel err', 'result'];
  const rows = report.layers.map((l) => [
    l.name,
    l.type,
    count(l.params),
    String(l.checked),
    String(l.skipped),
    num(l.maxRelError),
    num(l.medianRelError),
    l.passed === null ? 'unjudged' : l.passed ? 'pass' : 'FAIL',
  ]);
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c]!.length)));
  const line = (cells: string[]): string => cells.map((cell, c) => (c >= 2 && c <= 6 ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!))).join('  ').trimEnd();
  const failed = report.layers.filter((l) => l.passed === false);
  const unjudged = report.layers.filter((l) => l.passed === null);
  const out = [
    `gradient check of ${report.specName ?? 'the spec'} on ${report.backend}: ${report.samples} samples, seed ${report.seed}, ${report.dtype}, ` +
      `h ${report.h}, tolerance ${report.tolerance} (relative error |a−b| / max(|a|, |b|, ${report.floor.toExponential(1)}))`,
    line(header),
    ...rows.map(line),
    '',
  ];
  if (failed.length > 0) {
    out.push(`FAILED in ${failed.map((l) => l.name).join(', ')} (${report.seconds.toFixed(1)} s):`);
    for (const finding of report.findings) out.push(`  [${finding.severity}] ${finding.code}: ${finding.message}`);
  } else {
    out.push(`passed: backprop matches the loss's slope in every layer checked (${report.seconds.toFixed(1)} s)`);
  }
  if (unjudged.length > 0) out.push(`not judged (every sampled parameter sat on a ReLU or max-pool kink): ${unjudged.map((l) => l.name).join(', ')}`);
  return `${out.join('\n')}\n`;
}

/** 1 when any layer failed, else 0. */
export function gradcheckExitCode(report: GradcheckReport): number {
  return report.layers.some((l) => l.passed === false) ? 1 : 0;
}
