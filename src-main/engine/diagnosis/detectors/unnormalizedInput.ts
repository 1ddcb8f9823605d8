/**
 * unnormalized-input (static, before training): inputs far from the unit range, as 0–255
 * pixels fed raw (situation 3). First-layer pre-activations are then hundreds of times what
 * the initialisation expects: units saturate, or the first steps overshoot into NaN.
 */
import type { Spec } from '@contract';
import type { Finding, Suggestion } from '@contract/findings';
import type { Thresholds } from '../thresholds';
import { fmt, normalizeSuggestion } from '../common';

export interface ValueRange {
  /** Smallest and largest raw input value in the dataset, before the spec's normalisation. */
  min: number;
  max: number;
}

/** The range the network sees after the spec's normalisation; null when it standardises (then it is fine). */
export function effectiveRange(spec: Spec, range: ValueRange): ValueRange | null {
  if (spec.normalization === 'standardize') return null;
  if (spec.normalization === 'divide255') return { min: range.min / 255, max: range.max / 255 };
  return range;
}

/** The unnormalized-input finding for a spec and its dataset's value range, or null. */
export function unnormalizedInput(spec: Spec, range: ValueRange, t: Pick<Thresholds, 'inputMaxAbs' | 'inputTinyAbs'>): Finding | null {
  if (!Number.isFinite(range.min) || !Number.isFinite(range.max)) return null;
  const seen = effectiveRange(spec, range);
  if (!seen) return null;
  const maxAbs = Math.max(Math.abs(seen.min), Math.abs(seen.max));
  const evidence = { min: range.min, max: range.max, normalization: spec.normalization, maxAbs, limit: t.inputMaxAbs };
  const after = spec.normalization === 'none' ? 'fed as they are (normalization "none")' : `after ${spec.normalization} still reach ${fmt(seen.min)} to ${fmt(seen.max)}`;
  const suggestions: Suggestion[] = [];
  const normalize = normalizeSuggestion(spec, range);
  if (normalize) suggestions.push(normalize);
  else suggestions.push({ label: 'Standardise inputs (zero mean, unit variance)', set: { normalization: 'standardize' } });

  if (maxAbs > t.inputMaxAbs) {
    return {
      code: 'unnormalized-input',
      severity: 'warning',
      step: 0,
      epoch: 0,
      evidence,
      message:
        `The inputs range from ${fmt(range.min)} to ${fmt(range.max)} and are ${after}: the first layer's pre-activations come out about ${fmt(maxAbs)}× larger than its initialisation expects, ` +
        'so units saturate, or the first steps overshoot and the loss can turn to NaN. Networks train best on inputs of about unit scale.',
      suggestions,
    };
  }
  if (maxAbs > 0 && maxAbs < t.inputTinyAbs) {
    return {
      code: 'unnormalized-input',
      severity: 'info',
      step: 0,
      epoch: 0,
      evidence,
      message: `The inputs the network sees are all within ±${fmt(maxAbs)}: every first-layer gradient is scaled down by as much, so the first layer learns slowly. Networks train best on inputs of about unit scale.`,
      suggestions,
    };
  }
  return null;
}
