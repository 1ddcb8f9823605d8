/** The class histogram as bars: each class's count, its share, and its bar length against the largest class. */

export interface HistogramBar {
  index: number;
  name: string;
  count: number;
  /** Of the largest class: 1 for the largest bar, 0 for an empty class. */
  length: number;
  /** Of all samples, 0–1. */
  share: number;
  /** The test split's count of this class, where the dataset has one. */
  testCount: number | null;
}

/**
 * Bars for per-class counts. Lengths are relative to the largest class (so small differences
 * between balanced classes stay visible as equal bars, and a rare class as a short one); a
 * non-empty class gets at least `minLength` so it never vanishes beside a huge one.
 */
export function histogramBars(counts: readonly number[], names: readonly string[] | null, testCounts: readonly number[] | null = null, minLength = 0.01): HistogramBar[] {
  const max = counts.reduce((m, c) => Math.max(m, c), 0);
  const total = counts.reduce((s, c) => s + c, 0);
  return counts.map((count, index) => ({
    index,
    name: names?.[index] ?? String(index),
    count,
    length: max === 0 || count === 0 ? 0 : Math.max(minLength, count / max),
    share: total === 0 ? 0 : count / total,
    testCount: testCounts?.[index] ?? null,
  }));
}

/** "10 classes of 6,000" when all are equal, else "10 classes, 5,421–6,742 each". */
export function describeBalance(counts: readonly number[]): string {
  if (counts.length === 0) return 'no classes';
  const min = Math.min(...counts);
  const max = Math.max(...counts);
  const n = `${counts.length} class${counts.length === 1 ? '' : 'es'}`;
  return min === max ? `${n} of ${min.toLocaleString('en-US')}` : `${n}, ${min.toLocaleString('en-US')}–${max.toLocaleString('en-US')} each`;
}
