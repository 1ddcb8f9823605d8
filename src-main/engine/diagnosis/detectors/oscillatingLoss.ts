/**
 * oscillating-loss: the loss swings up and down, well beyond mini-batch noise, without
 * trending down. The steps overshoot the valley and bounce across it: a learning rate too high.
 */
import type { StepPoint } from '@contract';
import type { Finding, Suggestion } from '@contract/findings';
import type { Thresholds } from '../thresholds';
import { clipSuggestion, fmt, learningRateSuggestion, median, type DetectorContext } from '../common';

/** Means of consecutive groups of `size` finite losses, with the first step of each group. */
function groupMeans(points: readonly StepPoint[], size: number): { step: number; epoch: number; loss: number }[] {
  const means: { step: number; epoch: number; loss: number }[] = [];
  for (let i = 0; i < points.length; i += size) {
    let sum = 0;
    let count = 0;
    for (let k = i; k < Math.min(points.length, i + size); k++) {
      const loss = points[k]!.loss;
      if (loss !== null) {
        sum += loss;
        count++;
      }
    }
    if (count > 0) means.push({ step: points[i]!.step, epoch: points[i]!.epoch, loss: sum / count });
  }
  return means;
}

/**
 * The oscillating-loss finding over the last `oscillationWindow` steps (oldest first), or null.
 * `earlyLoss` is the loss at the start of training: swings are judged against the geometric
 * mean of it and the window's level, so that late mini-batch noise around a small loss does
 * not count while real bouncing does.
 */
export function oscillatingLoss(points: readonly StepPoint[], earlyLoss: number | null, ctx: DetectorContext, t: Thresholds): Finding | null {
  const window = Math.max(6, t.oscillationWindow);
  if (points.length < window) return null;
  const recent = points.slice(-window);
  const means = groupMeans(recent, ctx.fullBatch ? 1 : Math.max(1, t.oscillationBlockSteps));
  if (means.length < 6) return null;
  const diffs: number[] = [];
  for (let k = 1; k < means.length; k++) {
    const d = means[k]!.loss - means[k - 1]!.loss;
    if (d !== 0) diffs.push(d);
  }
  if (diffs.length < 4) return null;
  let flips = 0;
  for (let k = 1; k < diffs.length; k++) if (Math.sign(diffs[k]!) !== Math.sign(diffs[k - 1]!)) flips++;
  const flipShare = flips / (diffs.length - 1);
  const level = median(means.map((m) => m.loss)) ?? 0;
  const scale = Math.sqrt(Math.max(earlyLoss ?? level, level) * level);
  if (!(scale > 0)) return null;
  const swing = median(diffs.map(Math.abs)) ?? 0;
  const third = Math.max(1, Math.floor(means.length / 3));
  const firstThird = means.slice(0, third).reduce((s, m) => s + m.loss, 0) / third;
  const lastThird = means.slice(-third).reduce((s, m) => s + m.loss, 0) / third;
  const falling = lastThird < firstThird * (1 - t.oscillationTrendFall);
  if (flipShare < t.oscillationChanges || swing / scale < t.oscillationSwing || falling) return null;

  const low = Math.min(...means.map((m) => m.loss));
  const high = Math.max(...means.map((m) => m.loss));
  const first = recent[0]!;
  const last = recent[recent.length - 1]!;
  const message =
    `From step ${first.step} to step ${last.step} the loss swung up and down (between ${fmt(low)} and ${fmt(high)}, typically ${fmt(swing)} from one ${ctx.fullBatch ? 'step' : 'few steps'} to the next) without trending down: ` +
    'the steps overshoot the valley and bounce across it instead of descending. A learning rate too high does this.';
  const suggestions: Suggestion[] = [learningRateSuggestion(ctx.spec, 1 / 3), clipSuggestion(ctx.spec)];
  const batch = ctx.spec.training.batchSize;
  if (typeof batch === 'number' && !ctx.fullBatch) suggestions.push({ label: `Use batches of ${Math.min(65_536, batch * 4)} (from ${batch}) for less noisy steps`, set: { 'training.batchSize': Math.min(65_536, batch * 4) } });

  return {
    code: 'oscillating-loss',
    severity: 'warning',
    step: first.step,
    epoch: first.epoch,
    evidence: {
      since: first.step,
      until: last.step,
      flipShare,
      swing,
      swingToScale: swing / scale,
      low,
      high,
      firstThird,
      lastThird,
    },
    message,
    suggestions,
  };
}
