/**
 * A vitest reporter that prints the reliability table (issue 9) after the run: the cases
 * tried and passed per category, summed over every worker's record file. Registered after
 * the default reporter in vitest.config.ts, so the usual summary still prints above it. The
 * table is also written to test-results/reliability-summary.txt for the closing note.
 */
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Reporter } from 'vitest/reporters';
import { RELIABILITY_CATEGORIES, RELIABILITY_DIR_ENV, type ReliabilityCategory, type ReliabilityRecord } from './reliability';

export interface ReliabilityTotals {
  category: ReliabilityCategory;
  tried: number;
  passed: number;
}

/** Sums the record files in `dir`; a torn or foreign line is an error naming the file. */
export function readTotals(dir: string): ReliabilityTotals[] {
  const totals = new Map<ReliabilityCategory, ReliabilityTotals>(RELIABILITY_CATEGORIES.map((category) => [category, { category, tried: 0, passed: 0 }]));
  let files: string[] = [];
  try {
    files = readdirSync(dir).filter((f) => f.endsWith('.jsonl'));
  } catch {
    return [...totals.values()];
  }
  for (const file of files) {
    const lines = readFileSync(join(dir, file), 'utf8').split('\n').filter((l) => l.length > 0);
    for (const [n, line] of lines.entries()) {
      const record = JSON.parse(line) as ReliabilityRecord;
      const entry = totals.get(record.category);
      if (!entry || !Number.isInteger(record.tried) || !Number.isInteger(record.passed)) {
        throw new Error(`${join(dir, file)}:${n + 1}: not a reliability record: ${line.slice(0, 120)}`);
      }
      entry.tried += record.tried;
      entry.passed += record.passed;
    }
  }
  return [...totals.values()];
}

/** The table as text, one row per category and a total; categories not run say so. */
export function formatTable(totals: ReliabilityTotals[]): string {
  const rows = totals.map((t) => [t.category, String(t.tried), String(t.passed), t.tried === 0 ? 'not run' : t.passed === t.tried ? 'ok' : `${t.tried - t.passed} FAILED`]);
  const tried = totals.reduce((s, t) => s + t.tried, 0);
  const passed = totals.reduce((s, t) => s + t.passed, 0);
  rows.push(['total', String(tried), String(passed), passed === tried ? 'ok' : `${tried - passed} FAILED`]);
  const header = ['category', 'tried', 'passed', ''];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i === 1 || i === 2 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd();
  return ['Reliability suite (issue 9): cases tried and passed', line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

export default class ReliabilityReporter implements Reporter {
  private readonly dir: string;
  private log: (text: string) => void = (text) => process.stdout.write(`${text}\n`);

  constructor() {
    // Set before the pool forks its workers, which inherit the environment.
    this.dir = mkdtempSync(join(tmpdir(), 'trainbench-reliability-'));
    process.env[RELIABILITY_DIR_ENV] = this.dir;
  }

  onInit(vitest: { logger: { log: (...args: unknown[]) => void } }): void {
    this.log = (text) => vitest.logger.log(text);
  }

  onTestRunEnd(): void {
    const totals = readTotals(this.dir);
    rmSync(this.dir, { recursive: true, force: true });
    if (totals.every((t) => t.tried === 0)) return; // a run without reliability tests
    const table = formatTable(totals);
    this.log(`\n${table}\n`);
    try {
      mkdirSync('test-results', { recursive: true });
      writeFileSync(join('test-results', 'reliability-summary.txt'), `${table}\n`);
    } catch {
      // A read-only checkout still gets the table on stdout.
    }
  }
}
