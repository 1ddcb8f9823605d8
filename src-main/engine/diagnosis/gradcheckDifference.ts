/**
 * Difference quotients for the gradient check, and the float32 noise they carry. Pure.
 *
 * Each estimate is Σ cᵢ·L(wᵢ) over a few losses evaluated at float32 weights wᵢ (the steps
 * actually taken, not the nominal h). A float32 loss is good to about one ulp (2⁻²³·|L|),
 * so the estimate's noise is about 2⁻²³·|L|·Σ|cᵢ|: the smallest gradient it resolves.
 */

export type DifferenceMethod = 'central' | 'forward' | 'backward';

export interface Difference {
  /** The estimated derivative. */
  value: number;
  /** Σ|cᵢ|: multiplies the loss's rounding error into the estimate's. */
  noiseGain: number;
}

/** (L(w+) − L(w−)) / (w+ − w−): second-order accurate, used when no kink lies between. */
export function central(plus: number, lossPlus: number, minus: number, lossMinus: number): Difference {
  const span = plus - minus;
  return { value: (lossPlus - lossMinus) / span, noiseGain: 2 / Math.abs(span) };
}

/**
 * Derivative at x0 of the parabola through (x0, f0), (x1, f1), (x2, f2), with x1 and x2 on
 * the same side of x0 (h/2 and h, say): second-order accurate using one side only, for when
 * a kink lies on the other. With d1 = h/2, d2 = h it is (−3f0 + 4f1 − f2) / h.
 */
export function oneSided(x0: number, f0: number, x1: number, f1: number, x2: number, f2: number): Difference {
  const d1 = x1 - x0;
  const d2 = x2 - x0;
  const c0 = -(d1 + d2) / (d1 * d2);
  const c1 = d2 / (d1 * (d2 - d1));
  const c2 = -d1 / (d2 * (d2 - d1));
  return { value: c0 * f0 + c1 * f1 + c2 * f2, noiseGain: Math.abs(c0) + Math.abs(c1) + Math.abs(c2) };
}

/** Ulps of the loss an estimate may be off by and still pass: float32 sums and exps round more than once. */
const ULPS = 4;

/**
 * The gradient size below which an estimate is judged in absolute terms: there its noise
 * alone could reach `tolerance` relative to the gradient.
 */
export function noiseFloor(loss: number, noiseGain: number, tolerance: number): number {
  return Math.max(1e-7, (ULPS * Math.max(Math.abs(loss), 1e-3) * 2 ** -23 * noiseGain) / tolerance);
}

/** |a − b| / max(|a|, |b|, floor). */
export function relativeError(analytic: number, numeric: number, floor: number): number {
  const error = Math.abs(analytic - numeric) / Math.max(Math.abs(analytic), Math.abs(numeric), floor);
  return Number.isFinite(error) ? error : Number.MAX_VALUE;
}
