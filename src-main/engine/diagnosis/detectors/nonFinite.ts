/**
 * non-finite: a NaN or Inf in the loss, an activation, a gradient or a weight. Names the first
 * step, and the first layer and tensor in forward order where it appeared (the trainer's
 * NonFiniteReport), and what was growing before it.
 */
import type { NonFiniteReport } from '@contract';
import type { Finding, Suggestion } from '@contract/findings';
import { clipSuggestion, finiteOnly, fmt, learningRateSuggestion, logitsSuggestion, normalizeSuggestion, type DetectorContext } from '../common';

function where(report: NonFiniteReport): string {
  switch (report.tensor) {
    case 'activation':
      return `in the output of ${report.layer} (the first layer, in forward order, where it appears)`;
    case 'loss':
      return 'in the loss (every layer output was finite)';
    case 'gradient':
      return `in the gradient of ${report.layer ?? 'a layer'}`;
    case 'weight':
      return `in the weights of ${report.layer ?? 'a layer'} after the update`;
  }
}

/** "grew from 12 to 3.4e9 over the 20 steps before" or "was about 3.1 and did not grow". */
function growth(values: readonly (number | null)[], what: string): { words: string; first: number | null; last: number | null } {
  const finite = finiteOnly(values);
  const first = finite[0] ?? null;
  const last = finite[finite.length - 1] ?? null;
  if (first === null || last === null) return { words: `the ${what} was not finite before either`, first, last };
  if (last > 10 * first) return { words: `the ${what} grew from ${fmt(first)} to ${fmt(last)} over the ${values.length} steps before`, first, last };
  return { words: `the ${what} stayed between ${fmt(Math.min(...finite))} and ${fmt(Math.max(...finite))} over the ${values.length} steps before, so it came suddenly`, first, last };
}

/** The non-finite finding for the trainer's report. */
export function nonFinite(report: NonFiniteReport, ctx: DetectorContext): Finding {
  const grad = growth(report.gradNormHistory, 'gradient norm');
  const loss = growth(report.lossHistory, 'loss');
  const message =
    `${report.kind === 'NaN/Inf' ? 'NaN and Inf' : report.kind} appeared at step ${report.step} (epoch ${report.epoch + 1}), first ${where(report)}. ` +
    `Before it, ${grad.words}, and ${loss.words}. From here on nothing the network computes means anything. ` +
    'Unnormalised inputs, a learning rate too high, no gradient clipping, or a loss taken on probabilities rather than logits usually lead here.';
  const suggestions: Suggestion[] = [];
  const normalize = normalizeSuggestion(ctx.spec);
  if (normalize) suggestions.push(normalize);
  suggestions.push(learningRateSuggestion(ctx.spec, 0.1), clipSuggestion(ctx.spec));
  const lossSpec = ctx.spec.training.loss;
  if (ctx.classes !== null && !('fromLogits' in lossSpec && lossSpec.fromLogits)) suggestions.push(logitsSuggestion(ctx.spec, ctx.outputs));
  return {
    code: 'non-finite',
    severity: 'error',
    step: report.step,
    epoch: report.epoch,
    ...(report.layer !== null ? { layer: report.layer } : {}),
    evidence: {
      step: report.step,
      layer: report.layer,
      tensor: report.tensor,
      kind: report.kind,
      gradNormHistory: finiteOnly(report.gradNormHistory),
      lossHistory: finiteOnly(report.lossHistory),
      gradNormBefore: grad.first,
      gradNormLast: grad.last,
    },
    message,
    suggestions,
  };
}
