/**
 * oscillating-loss: the loss swings up and down, well beyond mini-batch noise, without
 * trending down. The steps overshoot the valley and bounce across it: a learning rate too high.
 *
 * Mini-batch losses go up and down by nature: each batch is another sample. What the batches
 * alone cannot do is make the means of a few consecutive steps differ more than their own
 * spread predicts (variance of block means against within-block variance / k, an F ratio
 * near 1 for independent batches), or make each step undo the last (lag-1 autocorrelation
 * near −1). Full-batch losses have no such noise and keep the plain flip count.
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

/** Lag-1 autocorrelation of a series after removing its straight-line trend; null under 8 values or no variance. */
export function lagOneAutocorrelation(values: readonly number[]): number | null {
  const n = values.length;
  if (n < 8) return null;
  const r = detrended(values);
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    den += r[i]! * r[i]!;
    if (i > 0) num += r[i]! * r[i - 1]!;
  }
  return den > 0 ? num / den : null;
}

/** Residuals of a least-squares straight line through `values` (at x = 0, 1, …). */
function detrended(values: readonly number[]): number[] {
  const n = values.length;
  const mx = (n - 1) / 2;
  const my = values.reduce((a, b) => a + b, 0) / n;
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < n; i++) {
    sxy += (i - mx) * (values[i]! - my);
    sxx += (i - mx) * (i - mx);
  }
  const slope = sxx > 0 ? sxy / sxx : 0;
  return values.map((v, i) => v - my - slope * (i - mx));
}

/**
 * How much more the means of consecutive groups of `k` steps vary (about their trend) than
 * independent batches would make them: var(group means) / (pooled within-group variance / k).
 * Near 1 for batch noise; null with fewer than 4 whole groups or no within-group variance.
 */
export function noiseRatio(values: readonly number[], k: number): number | null {
  const groups = Math.floor(values.length / k);
  if (groups < 4) return null;
  const means: number[] = [];
  let within = 0;
  for (let g = 0; g < groups; g++) {
    const part = values.slice(g * k, (g + 1) * k);
    const m = part.reduce((a, b) => a + b, 0) / k;
    means.push(m);
    for (const v of part) within += (v - m) * (v - m);
  }
  const withinVar = within / (groups * (k - 1));
  if (!(withinVar > 0)) return null;
  const r = detrended(means);
  const betweenVar = r.reduce((a, b) => a + b * b, 0) / Math.max(1, groups - 2);
  return betweenVar / (withinVar / k);
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
  if (falling) return null;
  const losses = recent.map((p) => p.loss).filter((v): v is number => v !== null && Number.isFinite(v));
  const lag1 = lagOneAutocorrelation(losses);
  const noise = ctx.fullBatch ? null : noiseRatio(losses, Math.max(2, t.oscillationBlockSteps));
  const bouncing = lag1 !== null && lag1 <= -t.oscillationAnticorrelation;
  // A period-2 bounce averages out of the block means: its size is read step to step.
  const stepSwing = median(losses.slice(1).map((v, i) => Math.abs(v - losses[i]!))) ?? 0;
  if (swing / scale < t.oscillationSwing && !(bouncing && stepSwing / scale >= t.oscillationSwing)) return null;
  if (ctx.fullBatch ? flipShare < t.oscillationChanges && !bouncing : !bouncing && !(noise !== null && noise >= t.oscillationNoiseRatio)) return null;

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
      lagOneAutocorrelation: lag1,
      noiseRatio: noise,
    },
    message,
    suggestions,
  };
}
