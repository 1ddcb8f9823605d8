/**
 * Columns of numbers that grow in place, and the min/max decimation that draws them at
 * screen resolution. A curve of a million steps is drawn from about two points per pixel
 * column: each column keeps its lowest and highest value (in the order they occurred), so a
 * spike is never smoothed away, as chart.js's own "min-max" decimation does. The per-column
 * extremes come from a pyramid built while appending (buckets of 8, 16, 32… points), so a
 * redraw costs O(pixels), not O(points), whatever the zoom.
 *
 * Pure TypeScript: no DOM, no Vue, no chart.js.
 */

/** A point as chart.js takes it with `parsing: false`. */
export interface Point {
  x: number;
  y: number;
}

function grow<T extends Float64Array | Float32Array | Uint8Array>(array: T, needed: number, make: (n: number) => T): T {
  if (needed <= array.length) return array;
  let size = Math.max(16, array.length);
  while (size < needed) size *= 2;
  const next = make(size);
  next.set(array);
  return next;
}

/** An append-only column of float64 values: steps, times. */
export class Column {
  private values: Float64Array;
  length = 0;

  constructor(capacity = 256) {
    this.values = new Float64Array(capacity);
  }

  push(value: number): void {
    this.values = grow(this.values, this.length + 1, (n) => new Float64Array(n));
    this.values[this.length++] = value;
  }

  at(index: number): number {
    return this.values[index]!;
  }

  last(): number | null {
    return this.length > 0 ? this.values[this.length - 1]! : null;
  }

  /** First index whose value is ≥ `value`, for a column sorted ascending (length when none). */
  lowerBound(value: number): number {
    let lo = 0;
    let hi = this.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.values[mid]! < value) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

/** Smallest bucket of the pyramid; coarser levels double it. */
const FIRST_BUCKET_SHIFT = 3;

/** One level of the pyramid: per bucket of 2^shift points, its extremes and which came first. */
class Level {
  lo = new Float32Array(64);
  hi = new Float32Array(64);
  /** 1 when the lowest value occurs before the highest one in the bucket. */
  loFirst = new Uint8Array(64);
  length = 0;

  push(lo: number, hi: number, loFirst: number): void {
    const n = this.length + 1;
    this.lo = grow(this.lo, n, (k) => new Float32Array(k));
    this.hi = grow(this.hi, n, (k) => new Float32Array(k));
    this.loFirst = grow(this.loFirst, n, (k) => new Uint8Array(k));
    this.lo[this.length] = lo;
    this.hi[this.length] = hi;
    this.loFirst[this.length] = loFirst;
    this.length = n;
  }
}

const emptyPending = (): { lo: number; hi: number; loAt: number; hiAt: number } => ({ lo: Infinity, hi: -Infinity, loAt: 0, hiAt: 0 });

/** Extremes of a run of values: empty when lo is +Infinity. */
interface Extremes {
  lo: number;
  hi: number;
  loFirst: number;
}

/**
 * An append-only column of float32 values (NaN where the engine sent null) with its min/max
 * pyramid. The x values live in a {@link Column} shared by every series of a run.
 */
export class Series {
  private values: Float32Array;
  length = 0;
  /** How many of the values are finite: 0 for a metric the task does not have. */
  finite = 0;
  /** Counts clear()s: the same length after one means other values (a new smoothing). */
  generation = 0;
  private readonly levels: Level[] = [];
  /** Scratch for the bucket being folded into level 0. */
  private pending = emptyPending();

  constructor(capacity = 256) {
    this.values = new Float32Array(capacity);
  }

  push(value: number | null): void {
    const v = value === null || !Number.isFinite(value) ? Number.NaN : value;
    this.values = grow(this.values, this.length + 1, (n) => new Float32Array(n));
    this.values[this.length++] = v;
    if (v === v) this.finite++;
    // Fold into the first level's bucket; when it completes, carry up the pyramid.
    const p = this.pending;
    if (v === v) {
      if (v < p.lo) ((p.lo = v), (p.loAt = this.length));
      if (v > p.hi) ((p.hi = v), (p.hiAt = this.length));
    }
    if ((this.length & ((1 << FIRST_BUCKET_SHIFT) - 1)) === 0) {
      this.carry(0, p.lo, p.hi, p.loAt <= p.hiAt ? 1 : 0);
      this.pending = emptyPending();
    }
  }

  private carry(levelIndex: number, lo: number, hi: number, loFirst: number): void {
    let level = this.levels[levelIndex];
    if (!level) {
      level = new Level();
      this.levels.push(level);
    }
    level.push(lo, hi, loFirst);
    if ((level.length & 1) === 0) {
      const i = level.length - 2;
      const merged = combine(
        { lo: level.lo[i]!, hi: level.hi[i]!, loFirst: level.loFirst[i]! },
        { lo: level.lo[i + 1]!, hi: level.hi[i + 1]!, loFirst: level.loFirst[i + 1]! },
      );
      this.carry(levelIndex + 1, merged.lo, merged.hi, merged.loFirst);
    }
  }

  at(index: number): number {
    return this.values[index]!;
  }

  last(): number | null {
    if (this.finite === 0) return null;
    for (let i = this.length - 1; i >= 0; i--) {
      const v = this.values[i]!;
      if (v === v) return v;
    }
    return null;
  }

  /** Drops every value (the pyramid too): for recomputing a derived series. */
  clear(): void {
    this.generation++;
    this.length = 0;
    this.finite = 0;
    this.levels.length = 0;
    this.pending = emptyPending();
  }

  /** Extremes of values [from, to) read from the raw column. */
  private scan(from: number, to: number): Extremes {
    const e: Extremes = { lo: Infinity, hi: -Infinity, loFirst: 1 };
    let loAt = -1;
    let hiAt = -1;
    for (let i = from; i < to; i++) {
      const v = this.values[i]!;
      if (v !== v) continue;
      if (v < e.lo) ((e.lo = v), (loAt = i));
      if (v > e.hi) ((e.hi = v), (hiAt = i));
    }
    e.loFirst = loAt <= hiAt ? 1 : 0;
    return e;
  }

  /**
   * Writes the points of indices [from, to) into `out` (reusing its objects), at about
   * `buckets` buckets across: the raw values when there are at most 2 × buckets of them,
   * else each bucket's lowest and highest value, in order. A bucket of only NaN gives one NaN
   * point: a gap in the line. `xs` are the x values, `xScale` multiplies them (steps → epochs).
   */
  decimate(xs: Column, from: number, to: number, buckets: number, xScale: number, out: Point[]): Point[] {
    from = Math.max(0, from);
    to = Math.min(to, this.length, xs.length);
    let n = 0;
    const put = (x: number, y: number): void => {
      const p = out[n];
      if (p) ((p.x = x), (p.y = y));
      else out.push({ x, y });
      n++;
    };
    const count = to - from;
    if (count <= 0) {
      out.length = 0;
      return out;
    }
    if (count <= 2 * Math.max(1, buckets)) {
      for (let i = from; i < to; i++) put(xs.at(i) * xScale, this.values[i]!);
      out.length = n;
      return out;
    }
    // Power-of-two bucket sizes keep bucket edges fixed while the curve grows: no shimmer.
    let shift = FIRST_BUCKET_SHIFT;
    while ((1 << shift) * buckets < count) shift++;
    const size = 1 << shift;
    const level = this.levels[shift - FIRST_BUCKET_SHIFT];
    const completed = level ? level.length : 0;
    for (let k = Math.floor(from / size); k * size < to; k++) {
      const start = k * size;
      const end = Math.min(start + size, this.length);
      const e = k < completed ? { lo: level!.lo[k]!, hi: level!.hi[k]!, loFirst: level!.loFirst[k]! } : this.scan(start, end);
      const x0 = xs.at(start) * xScale;
      if (e.lo === Infinity) {
        put(x0, Number.NaN);
        continue;
      }
      const x1 = xs.at(end - 1) * xScale;
      if (e.lo === e.hi) {
        put(x0, e.lo);
        continue;
      }
      put(x0, e.loFirst ? e.lo : e.hi);
      put(x1, e.loFirst ? e.hi : e.lo);
    }
    out.length = n;
    return out;
  }
}

function combine(a: Extremes, b: Extremes): Extremes {
  const loFromA = a.lo <= b.lo;
  const hiFromA = a.hi >= b.hi;
  const lo = loFromA ? a.lo : b.lo;
  const hi = hiFromA ? a.hi : b.hi;
  let loFirst: number;
  if (loFromA && !hiFromA) loFirst = 1;
  else if (!loFromA && hiFromA) loFirst = 0;
  else loFirst = loFromA ? a.loFirst : b.loFirst;
  return { lo, hi, loFirst };
}

/**
 * Exponential moving average with TensorBoard's debiasing, so that early values are not
 * dragged towards zero: s_t = w·s_{t-1} + (1 − w)·y_t, shown as s_t / (1 − w^t). NaN values
 * are passed through and do not reset the average. `weight` 0 is no smoothing.
 */
export class Smoother {
  private average = 0;
  private count = 0;

  constructor(readonly weight: number) {}

  next(value: number): number {
    if (value !== value) return Number.NaN;
    if (this.weight <= 0) return value;
    this.count++;
    this.average = this.weight * this.average + (1 - this.weight) * value;
    return this.average / (1 - Math.pow(this.weight, this.count));
  }
}

/** Quantile of a list of numbers (linear interpolation), NaN when empty. */
export function quantile(values: ArrayLike<number>, q: number): number {
  const sorted = Array.from(values).filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const at = (sorted.length - 1) * q;
  const lo = Math.floor(at);
  const hi = Math.ceil(at);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (at - lo);
}
