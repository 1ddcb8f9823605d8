/**
 * unchanged-weights: a layer whose update-to-weight ratio ‖Δw‖/‖w‖ stays below 1e-7 step after
 * step. Its weights are, in float32, not moving: no gradient reaches it (dead units, a
 * detached path) or the learning rate is far too small for the size of its weights.
 */
import type { StepPoint } from '@contract';
import type { Finding, Suggestion } from '@contract/findings';
import type { Thresholds } from '../thresholds';
import { atCriticalPoint, fmt, initSuggestion, learningRateSuggestion, median, type DetectorContext, type EarlyBaseline } from '../common';

/**
 * One finding per parameter layer whose update ratio was below `unchangedRatio` on each of the
 * last `unchangedWindow` steps, unless the whole network sat at a critical point meanwhile
 * (`early`: the run's early baseline): converged weights stop moving, and that is no fault.
 */
export function unchangedWeights(points: readonly StepPoint[], ctx: DetectorContext, t: Thresholds, early?: EarlyBaseline | null): Finding[] {
  const findings: Finding[] = [];
  const window = Math.max(1, t.unchangedWindow);
  if (points.length < window) return findings;
  ctx.parameterLayers.forEach((layer, l) => {
    let first = points.length;
    const ratios: number[] = [];
    const grads: (number | null)[] = [];
    const global: (number | null)[] = [];
    for (let i = points.length - 1; i >= 0; i--) {
      const u = points[i]!.layerUpdateRatios[l];
      if (u === null || u === undefined || !(u < t.unchangedRatio)) break;
      first = i;
      ratios.push(u);
      grads.push(points[i]!.layerGradNorms[l] ?? null);
      global.push(points[i]!.gradNorm);
    }
    const steps = points.length - first;
    if (steps < window || atCriticalPoint(median(global), early, t)) return;
    const start = points[first]!;
    const grad = median(grads);
    const noGradient = grad === null || grad === 0;
    const why = noGradient
      ? 'no gradient reaches it (its units may all be dead, or nothing after it depends on it)'
      : `its gradient (${fmt(grad)}) times the learning rate (${fmt(ctx.spec.training.optimizer.learningRate)}) is too small to change weights of this size in float32`;
    const message = `The weights of ${layer.name} have not changed by more than ${fmt(t.unchangedRatio)} of their size per step for ${steps} steps, since step ${start.step}: ${why}. The layer is frozen where it started.`;
    const suggestions: Suggestion[] = [];
    if (noGradient) {
      const init = initSuggestion(ctx.spec);
      if (init) suggestions.push(init);
    } else {
      suggestions.push(learningRateSuggestion(ctx.spec, 10));
    }
    findings.push({
      code: 'unchanged-weights',
      severity: 'warning',
      step: start.step,
      epoch: start.epoch,
      layer: layer.name,
      evidence: { since: start.step, steps, updateRatio: median(ratios) ?? 0, gradNorm: grad, learningRate: ctx.spec.training.optimizer.learningRate },
      message,
      suggestions,
    });
  });
  return findings;
}
