/**
 * overfitting: validation loss rises from its minimum while training loss keeps falling. The
 * network is learning the training samples rather than the task. A little of it is normal
 * (info); it is a warning once validation accuracy or validation loss clearly worsens.
 */
import type { EpochSummary, Layer } from '@contract';
import type { Finding, Suggestion } from '@contract/findings';
import type { Thresholds } from '../thresholds';
import { fmt, percent, type DetectorContext } from '../common';

/** Dropout after every hidden dense layer that lacks it; null when there is nothing to add. */
function dropoutSuggestion(ctx: DetectorContext): Suggestion | null {
  const layers = ctx.spec.model.layers;
  const dense = layers.map((l, i) => (l.type === 'dense' ? i : -1)).filter((i) => i >= 0);
  const lastDense = dense[dense.length - 1] ?? -1;
  const next: Layer[] = [];
  let added = 0;
  layers.forEach((layer, index) => {
    next.push(layer);
    if (layer.type === 'dense' && index !== lastDense && layers[index + 1]?.type !== 'dropout') {
      next.push({ type: 'dropout', rate: 0.3 });
      added++;
    }
  });
  return added > 0 ? { label: `Add dropout (0.3) after ${added === 1 ? 'the hidden dense layer' : `the ${added} hidden dense layers`}`, set: { 'model.layers': next } } : null;
}

/**
 * The overfitting finding from the run's epoch summaries (oldest first; a bounded list is fine
 * as long as it holds the epoch of the lowest validation loss), or null.
 */
export function overfitting(epochs: readonly EpochSummary[], ctx: DetectorContext, t: Thresholds): Finding | null {
  let best: EpochSummary | null = null;
  let bestAccuracy: number | null = null;
  for (const e of epochs) {
    if (e.valLoss !== null && (best === null || e.valLoss < best.valLoss!)) best = e;
    if (e.valAccuracy !== null && (bestAccuracy === null || e.valAccuracy > bestAccuracy)) bestAccuracy = e.valAccuracy;
  }
  const last = epochs[epochs.length - 1];
  if (!best || !last || last === best || last.valLoss === null || last.loss === null || best.loss === null) return null;
  if (last.epoch - best.epoch < t.overfitPatience) return null;
  // A sustained rise: each of the last `overfitPatience` epochs above the best by half the
  // margin, and their median by the whole of it. A two-epoch bump that falls back is noise.
  const since = epochs.filter((e) => e.epoch > best!.epoch && e.valLoss !== null).slice(-Math.max(1, t.overfitPatience));
  const level = since.map((e) => e.valLoss!).sort((x, y) => x - y)[since.length >> 1] ?? last.valLoss;
  if (since.some((e) => e.valLoss! < best!.valLoss! * (1 + t.overfitRise / 2))) return null;
  const rise = Math.min(last.valLoss, level) / best.valLoss! - 1;
  if (!(rise >= t.overfitRise) || !(last.loss <= best.loss * (1 - t.overfitTrainFall))) return null;

  const accuracyDrop = bestAccuracy !== null && last.valAccuracy !== null ? bestAccuracy - last.valAccuracy : null;
  const worse = accuracyDrop !== null ? accuracyDrop >= t.overfitAccuracyDrop || rise >= t.overfitWarnRiseWithAccuracy : rise >= t.overfitWarnRise;
  const accuracyWords = accuracyDrop !== null ? `; validation accuracy is ${percent(last.valAccuracy!)}, ${accuracyDrop > 0 ? `down from its best ${percent(bestAccuracy!)}` : 'still at its best'}` : '';
  const message =
    `Validation loss has risen since epoch ${best.epoch + 1}, its lowest (${fmt(best.valLoss)}), to ${fmt(last.valLoss)} at epoch ${last.epoch + 1}, while training loss kept falling (${fmt(best.loss)} → ${fmt(last.loss)})${accuracyWords}: ` +
    'the network is learning the training samples rather than the task. Stop near the best epoch, regularise, or give it more data.';
  const suggestions: Suggestion[] = [{ label: `Train for ${best.epoch + 1} epochs (the best so far)`, set: { 'training.epochs': best.epoch + 1 } }];
  const dropout = dropoutSuggestion(ctx);
  if (dropout) suggestions.push(dropout);

  return {
    code: 'overfitting',
    severity: worse ? 'warning' : 'info',
    step: best.step,
    epoch: best.epoch,
    evidence: {
      bestEpoch: best.epoch,
      bestValLoss: best.valLoss,
      valLoss: last.valLoss,
      rise,
      trainLossAtBest: best.loss,
      trainLoss: last.loss,
      bestValAccuracy: bestAccuracy,
      valAccuracy: last.valAccuracy,
      epoch: last.epoch,
    },
    message,
    suggestions,
  };
}
