/**
 * diverging-loss: the loss trends upward, block after block, to a multiple of the lowest it
 * had reached. Training is undoing itself: a learning rate too high, or gradients growing.
 */
import type { Finding, Suggestion } from '@contract/findings';
import type { Thresholds } from '../thresholds';
import { clipSuggestion, fmt, learningRateSuggestion, normalizeSuggestion, type DetectorContext } from '../common';
import type { LossBlock } from './plateau';

/** Mean loss of up to three blocks, weighted by their steps: the smoothing both ends are judged on. */
export function smoothedLoss(blocks: readonly LossBlock[]): number {
  const steps = blocks.reduce((s, b) => s + b.steps, 0);
  return steps > 0 ? blocks.reduce((s, b) => s + b.loss * b.steps, 0) / steps : Number.NaN;
}

/**
 * The diverging-loss finding from the most recent loss blocks (oldest first) and the lowest
 * three-block mean of the run so far (`lowest.loss`, `lowest.end` where it was), or null.
 * Smoothing over three blocks keeps one lucky mini-batch block from counting as the minimum.
 */
export function divergingLoss(recent: readonly LossBlock[], lowest: Pick<LossBlock, 'loss' | 'end'> | null, ctx: DetectorContext, t: Thresholds): Finding | null {
  const window = Math.max(6, t.divergingBlocks);
  if (recent.length < window || !lowest || !(lowest.loss > 0)) return null;
  const blocks = recent.slice(-window);
  let rises = 0;
  for (let k = 1; k < blocks.length; k++) if (blocks[k]!.loss > blocks[k - 1]!.loss) rises++;
  const first = blocks[0]!;
  const last = blocks[blocks.length - 1]!;
  const start = smoothedLoss(blocks.slice(0, 3));
  const now = smoothedLoss(blocks.slice(-3));
  if (rises / (blocks.length - 1) < t.divergingRises || !(now >= t.divergingFactor * lowest.loss) || !(now >= 1.5 * start)) return null;

  const message =
    `The loss has been rising since step ${first.start}: from ${fmt(start)} to ${fmt(now)} by step ${last.end}, ${fmt(now / lowest.loss)}× the lowest it had reached (${fmt(lowest.loss)} around step ${lowest.end}). ` +
    'Training is undoing what it learned: a learning rate too high, or gradients that keep growing, usually cause it.';
  const suggestions: Suggestion[] = [learningRateSuggestion(ctx.spec, 0.1), clipSuggestion(ctx.spec)];
  const normalize = normalizeSuggestion(ctx.spec);
  if (normalize) suggestions.push(normalize);

  return {
    code: 'diverging-loss',
    severity: 'error',
    step: first.start,
    epoch: first.epoch,
    evidence: {
      since: first.start,
      loss: now,
      lossAtStart: start,
      lowest: lowest.loss,
      lowestStep: lowest.end,
      factor: now / lowest.loss,
      risingBlocks: rises,
      blocks: blocks.length,
    },
    message,
    suggestions,
  };
}
