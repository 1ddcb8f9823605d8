/**
 * Records the reliability suite's cases (issue 9) so that one table at the end of the vitest
 * run says how many were tried and passed per category. Test files run in forked workers; each
 * worker appends JSON lines to its own file in a folder the reporter names through the
 * environment (test/support/reliabilityReporter.ts reads and prints them).
 */
import { appendFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach } from 'vitest';

export const RELIABILITY_CATEGORIES = ['malformed datasets', 'messages', 'crashes', 'long runs', 'NaN', 'serve', 'Electron', 'disk'] as const;
export type ReliabilityCategory = (typeof RELIABILITY_CATEGORIES)[number];

/** The environment variable through which the reporter tells workers where to write. */
export const RELIABILITY_DIR_ENV = 'TRAINBENCH_RELIABILITY_DIR';

/** One line of a worker's record file. */
export interface ReliabilityRecord {
  category: ReliabilityCategory;
  tried: number;
  passed: number;
}

/**
 * Records `tried` cases of a category, `passed` of which held. Outside a vitest run with the
 * reporter (a single file run by hand with another reporter) it records nothing.
 */
export function recordCases(category: ReliabilityCategory, tried: number, passed: number): void {
  const dir = process.env[RELIABILITY_DIR_ENV];
  if (!dir || tried === 0) return;
  mkdirSync(dir, { recursive: true });
  const record: ReliabilityRecord = { category, tried, passed };
  appendFileSync(join(dir, `${process.pid}.jsonl`), `${JSON.stringify(record)}\n`);
}

/** Runs one case and records it as passed when it does not throw; rethrows what it throws. */
export async function reliabilityCase<T>(category: ReliabilityCategory, run: () => Promise<T> | T): Promise<T> {
  try {
    const result = await run();
    recordCases(category, 1, 1);
    return result;
  } catch (error) {
    recordCases(category, 1, 0);
    throw error;
  }
}

/**
 * Counts every test of the calling file (or describe block) as one case of `category`: passed
 * when it ended without an error. Call it at the top of a file or describe.
 */
export function countTestsAs(category: ReliabilityCategory): void {
  afterEach((context) => {
    // Errors thrown by the test body are on the result by the time afterEach runs.
    const failed = (context.task.result?.errors?.length ?? 0) > 0 || context.task.result?.state === 'fail';
    recordCases(category, 1, failed ? 0 : 1);
  });
}
