/**
 * Histograms over plain arrays, the one binning the app uses wherever values are counted in
 * JS: the inspection of saved runs, and the reference the engine's backend binning is tested
 * against. Pure: no tfjs, Node or DOM.
 */

import { HISTOGRAM_BINS } from './monitoring';

export interface BinnedValues {
  /** Lower edge of the first bin and upper edge of the last. */
  min: number;
  max: number;
  counts: number[];
  /** Finite values counted. */
  total: number;
  nonFinite: number;
  /** Values exactly 0: a ReLU output that did not fire. */
  zeros: number;
  /** Of the finite values; null when there are none. */
  mean: number | null;
  std: number | null;
}

/** Bins the finite values into `bins` equal bins over their range (a constant gets one narrow range around it). */
export function histogram(values: ArrayLike<number>, bins = HISTOGRAM_BINS): BinnedValues {
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  let sumSq = 0;
  let total = 0;
  let zeros = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!Number.isFinite(v)) continue;
    if (v < min) min = v;
    if (v > max) max = v;
    sum += v;
    sumSq += v * v;
    total++;
    if (v === 0) zeros++;
  }
  const counts = new Array<number>(bins).fill(0);
  if (total === 0) return { min: 0, max: 0, counts, total, nonFinite: values.length, zeros, mean: null, std: null };
  if (max === min) {
    // One value: a single bin a little either side of it.
    const pad = Math.abs(min) * 0.05 || 0.5;
    min -= pad;
    max += pad;
  }
  const scale = bins / (max - min);
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (Number.isFinite(v)) counts[Math.min(bins - 1, Math.floor((v - min) * scale))]!++;
  }
  const mean = sum / total;
  return { min, max, counts, total, nonFinite: values.length - total, zeros, mean, std: Math.sqrt(Math.max(0, sumSq / total - mean * mean)) };
}
