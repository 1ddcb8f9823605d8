/**
 * Axis ranges for live charts that move in steps, not every frame: a range that changes on
 * every update makes every line be redrawn and every tick label be measured again. Ranges
 * are rounded outwards to a coarse grid and kept while the data stay inside and fill enough
 * of them. Pure functions.
 */
import type { Point } from './series';

export type Range = [number, number];

/** Finite min and max of the points' y values (positive ones only on a log axis), or null. */
export function pointsExtent(points: readonly Point[], log: boolean): Range | null {
  let lo = Infinity;
  let hi = -Infinity;
  for (const p of points) {
    const y = p.y;
    if (!Number.isFinite(y) || (log && y <= 0)) continue;
    if (y < lo) lo = y;
    if (y > hi) hi = y;
  }
  return lo === Infinity ? null : [lo, hi];
}

const extents = new WeakMap<object, { key: string; log: boolean; range: Range | null }>();

/**
 * The y extent of several lines; each line's own extent is kept until its `cacheKey` (what its
 * points were computed from) changes, so still lines cost nothing per frame.
 */
export function yExtent(lines: readonly { points: readonly Point[]; cacheKey?: string }[], log: boolean): Range | null {
  let lo = Infinity;
  let hi = -Infinity;
  for (const line of lines) {
    let known = line.cacheKey !== undefined ? extents.get(line) : undefined;
    if (!known || known.key !== line.cacheKey || known.log !== log) {
      known = { key: line.cacheKey ?? '', log, range: pointsExtent(line.points, log) };
      if (line.cacheKey !== undefined) extents.set(line, known);
    }
    if (!known.range) continue;
    lo = Math.min(lo, known.range[0]);
    hi = Math.max(hi, known.range[1]);
  }
  return lo === Infinity ? null : [lo, hi];
}

/** A fraction of the span's order of magnitude: the grid a range snaps to. */
function quantum(span: number, fraction = 10): number {
  return Math.pow(10, Math.floor(Math.log10(span))) / fraction;
}

/** The largest of 1, 2, 5 × 10^k at or below v (v > 0). */
function nice125Down(v: number): number {
  const e = Math.floor(Math.log10(v));
  const m = v / Math.pow(10, e);
  return (m >= 5 ? 5 : m >= 2 ? 2 : 1) * Math.pow(10, e);
}

/** The smallest of 1, 2, 5 × 10^k at or above v (v > 0). */
function nice125Up(v: number): number {
  const e = Math.floor(Math.log10(v));
  const m = v / Math.pow(10, e);
  return (m <= 1 + 1e-9 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * Math.pow(10, e);
}

/**
 * The y range to show for data spanning `data`: the previous one while the data fit inside it
 * and fill at least half of it (in log10 on a log axis), else the data rounded outwards: to
 * 1, 2 or 5 × 10^k on a log axis, to half an order of magnitude of the span, with 4 % of room
 * either side, on a linear one.
 */
export function stableYRange(data: Range, previous: Range | null, log: boolean): Range {
  if (log) {
    const lo = Math.log10(data[0]);
    const hi = Math.log10(data[1]);
    if (previous) {
      const plo = Math.log10(previous[0]);
      const phi = Math.log10(previous[1]);
      if (plo <= lo && phi >= hi && hi - lo >= 0.5 * (phi - plo)) return previous;
    }
    let a = nice125Down(data[0]);
    let b = nice125Up(data[1]);
    if (b <= a) ((a = nice125Down(a * 0.99)), (b = nice125Up(b * 1.01)));
    return [a, b];
  }
  if (previous && previous[0] <= data[0] && previous[1] >= data[1] && data[1] - data[0] >= 0.5 * (previous[1] - previous[0])) return previous;
  let span = data[1] - data[0];
  if (span <= 0) span = Math.abs(data[0]) || 1;
  const pad = span * 0.04;
  // Half the order of magnitude: round bounds (0 to 0.45, not 0.01 to 0.42).
  const q = quantum(span + 2 * pad, 2);
  // Room around the data, but not across zero: a loss never shows below 0.
  const lo = Math.floor((data[0] - pad) / q) * q;
  const hi = Math.ceil((data[1] + pad) / q) * q;
  return [data[0] >= 0 ? Math.max(0, lo) : lo, data[1] <= 0 ? Math.min(0, hi) : hi];
}

/** The x range for data over `data`: its start, and its end rounded up to a tenth of a decade of the span. */
export function stableXRange(data: Range, previous: Range | null): Range {
  if (previous && previous[0] === data[0] && previous[1] >= data[1] && data[1] - data[0] >= 0.5 * (previous[1] - previous[0])) return previous;
  const span = Math.max(data[1] - data[0], 1e-9);
  const q = quantum(span);
  const end = Math.ceil(data[1] / q) * q;
  return [data[0], end > data[0] ? end : data[0] + q];
}
