/** Histograms of snapshot tensors: computed once when a snapshot arrives, the tensor then dropped. */

export interface Histogram {
  /** Lower edge of the first bin and upper edge of the last. */
  min: number;
  max: number;
  counts: Uint32Array;
  /** Finite values counted. */
  total: number;
  nonFinite: number;
  /** Values exactly 0: a ReLU layer's output that did not fire. */
  zeros: number;
  mean: number;
  std: number;
}

export const HISTOGRAM_BINS = 48;

/** Bins the finite values of `data` into `bins` equal bins over their range. */
export function histogram(data: Float32Array, bins = HISTOGRAM_BINS): Histogram {
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  let sumSq = 0;
  let total = 0;
  let zeros = 0;
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    if (!Number.isFinite(v)) continue;
    if (v < min) min = v;
    if (v > max) max = v;
    sum += v;
    sumSq += v * v;
    total++;
    if (v === 0) zeros++;
  }
  const counts = new Uint32Array(bins);
  if (total === 0) return { min: 0, max: 0, counts, total, nonFinite: data.length, zeros, mean: Number.NaN, std: Number.NaN };
  if (max === min) {
    // One value: a single bin a little either side of it.
    const pad = Math.abs(min) * 0.05 || 0.5;
    min -= pad;
    max += pad;
  }
  const scale = bins / (max - min);
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    if (!Number.isFinite(v)) continue;
    counts[Math.min(bins - 1, Math.floor((v - min) * scale))]!++;
  }
  const mean = sum / total;
  return { min, max, counts, total, nonFinite: data.length - total, zeros, mean, std: Math.sqrt(Math.max(0, sumSq / total - mean * mean)) };
}
