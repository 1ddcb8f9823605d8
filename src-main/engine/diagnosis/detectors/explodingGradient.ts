/**
 * exploding-gradient: the global gradient norm far above its early level, or growing by
 * orders of magnitude within a short window, while the loss rises with it. Each step then
 * overshoots and makes the next gradient larger; NaN usually follows (situation 3).
 */
import type { StepPoint } from '@contract';
import type { Finding, Suggestion } from '@contract/findings';
import type { Thresholds } from '../thresholds';
import { clipSuggestion, fmt, learningRateSuggestion, logitsSuggestion, median, normalizeSuggestion, type DetectorContext, type EarlyBaseline } from '../common';

export { earlyBaseline, type EarlyBaseline } from '../common';

const recentLoss = (points: readonly StepPoint[]): number | null => median(points.slice(-3).map((p) => p.loss));

/** The exploding-gradient finding from the recent steps (oldest first) and the early baseline, or null. */
export function explodingGradient(points: readonly StepPoint[], early: EarlyBaseline | null, ctx: DetectorContext, t: Thresholds): Finding | null {
  const last = points[points.length - 1];
  if (!last || last.gradNorm === null) return null;
  const loss = recentLoss(points);
  if (loss === null) return null;
  const g = last.gradNorm;

  let since: StepPoint | null = null;
  let reason = '';
  let factor = 0;
  let lossBefore: number | null = null;
  if (early && early.gradNorm > 0 && g > t.explodingFactor * early.gradNorm && loss > t.explodingLossRise * early.loss) {
    factor = g / early.gradNorm;
    lossBefore = early.loss;
    // Where it first left the early range by a tenth of the factor: the start of the climb.
    since = points.find((p) => p.gradNorm !== null && p.gradNorm > (t.explodingFactor / 10) * early.gradNorm) ?? last;
    reason = `${fmt(factor)} × its early median (${fmt(early.gradNorm)})`;
  } else {
    const window = points.slice(-Math.max(2, t.explodingWindow));
    // The latest of the smallest: where the climb began.
    let low: StepPoint | null = null;
    for (const p of window) if (p.gradNorm !== null && p.gradNorm > 0 && (low === null || p.gradNorm <= low.gradNorm!)) low = p;
    // A scale floor: growth from a converged run's tiny gradient (3e-4 → 0.6 at loss 1e-5) is
    // noise around a minimum unless the gradient passes its early level and the loss rises by
    // a share of where it started.
    const floorGrad = early ? early.gradNorm * t.explodingGrowthFloor : 0;
    const floorLoss = early ? early.loss * t.explodingLossFloor : 0;
    if (
      low &&
      low !== last &&
      g / low.gradNorm! >= t.explodingGrowth &&
      g > floorGrad &&
      low.loss !== null &&
      loss > t.explodingLossRise * low.loss &&
      loss - low.loss >= floorLoss
    ) {
      factor = g / low.gradNorm!;
      lossBefore = low.loss;
      since = low;
      reason = `${fmt(factor)} × what it was at step ${low.step} (${fmt(low.gradNorm)}), ${last.step - low.step} steps before`;
    }
  }
  if (!since) return null;

  const message =
    `The gradient norm reached ${fmt(g)} at step ${last.step}, ${reason}, while the loss rose from ${fmt(lossBefore)} to ${fmt(loss)}: ` +
    'each step overshoots and makes the next gradient larger, and NaN usually follows. A learning rate too high, unnormalised inputs, or a loss computed on probabilities instead of logits usually cause it.';
  const suggestions: Suggestion[] = [learningRateSuggestion(ctx.spec, 0.1), clipSuggestion(ctx.spec)];
  const normalize = normalizeSuggestion(ctx.spec);
  if (normalize) suggestions.push(normalize);
  const loss0 = ctx.spec.training.loss;
  if (ctx.classes !== null && !('fromLogits' in loss0 && loss0.fromLogits)) suggestions.push(logitsSuggestion(ctx.spec, ctx.outputs));

  return {
    code: 'exploding-gradient',
    severity: 'error',
    step: since.step,
    epoch: since.epoch,
    evidence: {
      gradNorm: g,
      atStep: last.step,
      earlyGradNorm: early?.gradNorm ?? null,
      factor,
      since: since.step,
      loss,
      lossBefore,
    },
    message,
    suggestions,
  };
}
