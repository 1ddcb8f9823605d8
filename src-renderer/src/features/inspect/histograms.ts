/** The engine's histograms in the form the monitor's HistogramCanvas draws. */
import type { InspectHistogram } from '@contract';
import type { Histogram } from '../monitor/histogram';

export function toHistogram(h: InspectHistogram): Histogram {
  return { min: h.min, max: h.max, counts: Uint32Array.from(h.counts), total: h.total, nonFinite: h.nonFinite, zeros: h.zeros, mean: h.mean ?? Number.NaN, std: h.std ?? Number.NaN };
}

/** "0.0123", "1.2e-5": short numbers for labels. */
export function short(v: number | null): string {
  if (v === null || !Number.isFinite(v)) return '—';
  return Math.abs(v) >= 1e4 || (Math.abs(v) < 1e-3 && v !== 0) ? v.toExponential(2) : Number(v.toPrecision(3)).toString();
}

export const percent = (v: number): string => `${(v * 100).toFixed(1)} %`;
