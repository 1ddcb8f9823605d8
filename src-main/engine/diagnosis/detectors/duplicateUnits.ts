/**
 * duplicate-units: two units of one layer whose incoming weights and bias point the same way.
 * A ReLU is scale-free (relu(a·z) = a·relu(z) for a > 0), so two such units compute one
 * feature twice: situation 2's other failure, where two of three ReLUs collapse together.
 */
import type { Finding, Suggestion } from '@contract/findings';
import type { Thresholds } from '../thresholds';
import { fmt, seedSuggestion, unitList, unitNoun, unitSeverity, widenSuggestion, type DetectorContext, type LayerRef } from '../common';

export interface DuplicatePair {
  a: number;
  b: number;
  cosine: number;
}

/**
 * Pairs (a < b) of units whose vectors [kernel column; bias] have cosine ≥ duplicateCosine.
 * `kernel` is row-major with the units on the last axis (dense [in, units], conv [kh, kw, in,
 * units]). Units in `ignore` (dead ones, already reported) and all-zero units are skipped.
 * Null when the layer is too wide to compare within `duplicateMaxWork`.
 */
export function duplicatePairs(
  kernel: ArrayLike<number>,
  kernelShape: readonly number[],
  bias: ArrayLike<number> | null,
  t: Pick<Thresholds, 'duplicateCosine' | 'duplicateMaxWork'>,
  ignore?: ReadonlySet<number>,
): DuplicatePair[] | null {
  const units = kernelShape[kernelShape.length - 1] ?? 0;
  if (units < 2) return [];
  const rows = kernel.length / units;
  const dim = rows + (bias ? 1 : 0);
  if ((units * (units - 1) * dim) / 2 > t.duplicateMaxWork) return null;
  // Unit-major, normalised copies: each dot product then reads contiguous memory.
  const vectors = new Float64Array(units * dim);
  const usable: number[] = [];
  for (let u = 0; u < units; u++) {
    let norm = 0;
    const base = u * dim;
    for (let r = 0; r < rows; r++) {
      const v = kernel[r * units + u]!;
      vectors[base + r] = v;
      norm += v * v;
    }
    if (bias) {
      const b = bias[u]!;
      vectors[base + rows] = b;
      norm += b * b;
    }
    if (!(norm > 0) || !Number.isFinite(norm) || ignore?.has(u)) continue;
    const inv = 1 / Math.sqrt(norm);
    for (let k = 0; k < dim; k++) vectors[base + k] = vectors[base + k]! * inv;
    usable.push(u);
  }
  const pairs: DuplicatePair[] = [];
  for (let i = 0; i < usable.length; i++) {
    const a = usable[i]!;
    const baseA = a * dim;
    for (let j = i + 1; j < usable.length; j++) {
      const b = usable[j]!;
      const baseB = b * dim;
      let dot = 0;
      for (let k = 0; k < dim; k++) dot += vectors[baseA + k]! * vectors[baseB + k]!;
      if (dot >= t.duplicateCosine) pairs.push({ a, b, cosine: dot });
    }
  }
  return pairs;
}

export interface PairStreak extends DuplicatePair {
  /** Step of the first observation of the current streak, and how many observations in a row. */
  since: number;
  sinceEpoch: number;
  count: number;
}

/** The streaks after one more weight observation at `step`: pairs that are no longer duplicate drop out. */
export function advancePairs(previous: ReadonlyMap<string, PairStreak> | null, pairs: readonly DuplicatePair[], step: number, epoch: number): Map<string, PairStreak> {
  const next = new Map<string, PairStreak>();
  for (const pair of pairs) {
    const key = `${pair.a}:${pair.b}`;
    const before = previous?.get(key);
    next.set(key, before ? { ...pair, since: before.since, sinceEpoch: before.sinceEpoch, count: before.count + 1 } : { ...pair, since: step, sinceEpoch: epoch, count: 1 });
  }
  return next;
}

/** Distinct features among `total` units when the given pairs are merged (union-find). */
function distinctUnits(total: number, pairs: readonly DuplicatePair[]): number {
  const parent = Int32Array.from({ length: total }, (_, i) => i);
  const find = (x: number): number => {
    while (parent[x] !== x) x = parent[x] = parent[parent[x]!]!;
    return x;
  };
  let merged = 0;
  for (const { a, b } of pairs) {
    const ra = find(a);
    const rb = find(b);
    if (ra !== rb) {
      parent[ra] = rb;
      merged++;
    }
  }
  return total - merged;
}

export interface DuplicateObservation {
  layer: LayerRef;
  /** The observation's step and epoch. */
  step: number;
  epoch: number;
  /** Units in the layer. */
  units: number;
  pairs: Iterable<PairStreak>;
}

/** Hidden dense/conv layers: output units are distinct outputs whatever their weights. */
export const watchesDuplicates = (layer: Pick<LayerRef, 'type' | 'isOutput'>): boolean => (layer.type === 'dense' || layer.type === 'conv2d') && !layer.isOutput;

/** The duplicate-units finding for one layer, from pairs that stayed duplicate `duplicateMinObservations` times in a row. */
export function duplicateUnits(obs: DuplicateObservation, ctx: DetectorContext, t: Thresholds): Finding | null {
  const { layer } = obs;
  if (!watchesDuplicates(layer)) return null;
  const pairs = [...obs.pairs].filter((p) => p.count >= Math.max(1, t.duplicateMinObservations)).sort((p, q) => p.a - q.a || p.b - q.b);
  if (pairs.length === 0) return null;
  const units = [...new Set(pairs.flatMap((p) => [p.a, p.b]))].sort((a, b) => a - b);
  const first = pairs.reduce((best, p) => (p.since < best.since ? p : best), pairs[0]!);
  const distinct = distinctUnits(obs.units, pairs);
  const noun = unitNoun(layer);
  const minCos = Math.min(...pairs.map((p) => p.cosine));
  const which =
    pairs.length === 1
      ? `${noun}s ${pairs[0]!.a} and ${pairs[0]!.b} have incoming weights and bias pointing the same way (cosine ${fmt(pairs[0]!.cosine)})`
      : `${pairs.length} pairs of ${noun}s (${unitList(units, noun)}) have incoming weights and bias pointing the same way (cosine ≥ ${fmt(minCos)})`;
  const scaleFree = layer.activation === 'relu' ? 'a ReLU is scale-free, so such units compute the same feature' : `such ${layer.activation} units compute nearly the same feature`;
  const message = `In ${layer.name}, ${which}, since step ${first.since}: ${scaleFree}; the layer has ${distinct} distinct ${noun}${distinct === 1 ? '' : 's'}, not ${obs.units}.`;

  const suggestions: Suggestion[] = [];
  const widen = widenSuggestion(layer);
  if (widen) suggestions.push(widen);
  if (obs.units <= 16) suggestions.push(seedSuggestion(ctx.spec));

  return {
    code: 'duplicate-units',
    severity: distinct < t.duplicateWarnDistinct ? unitSeverity(obs.units - distinct, obs.units, t.duplicateWarnFraction) : 'info',
    step: first.since,
    epoch: first.sinceEpoch,
    layer: layer.name,
    units,
    evidence: {
      pairs: pairs.map((p) => [p.a, p.b]).flat(),
      cosines: pairs.map((p) => p.cosine),
      units: obs.units,
      distinct,
      since: first.since,
      observedStep: obs.step,
    },
    message,
    suggestions,
  };
}
