/**
 * plateau: the training loss stays within a small band for a long stretch while far above
 * where it later goes. Reported while it lasts when it is at the loss of random guessing or
 * has not moved since the start; reported, or completed, with where it ended and how far the
 * loss then fell once learning resumes: the kick-in of situation 1 (a deep CNN with small
 * initial weights at ln 10 = 2.303 for five epochs, then learning).
 */
import type { StepPoint } from '@contract';
import type { Finding, Suggestion } from '@contract/findings';
import type { Thresholds } from '../thresholds';
import { batchNormSuggestion, fmt, initSuggestion, learningRateSuggestion, outputActivationIndex, percent, smallInitLayers, type DetectorContext } from '../common';
import { outputActivation } from '@contract/specShapes';

/** The mean training loss (and accuracy) over a run of consecutive steps. */
export interface LossBlock {
  /** First and last step, and their epochs. */
  start: number;
  end: number;
  epoch: number;
  endEpoch: number;
  loss: number;
  accuracy: number | null;
  /** Steps with a finite loss that the mean is over. */
  steps: number;
}

/** Block means of `size` steps over a series (steps with a non-finite loss are left out). */
export function lossBlocks(points: readonly StepPoint[], size: number): LossBlock[] {
  const blocks: LossBlock[] = [];
  for (let i = 0; i < points.length; i += size) {
    const part = points.slice(i, i + size).filter((p) => p.loss !== null);
    if (part.length === 0) continue;
    const withAccuracy = part.every((p) => p.accuracy !== null);
    blocks.push({
      start: part[0]!.step,
      end: part[part.length - 1]!.step,
      epoch: part[0]!.epoch,
      endEpoch: part[part.length - 1]!.epoch,
      loss: part.reduce((s, p) => s + p.loss!, 0) / part.length,
      accuracy: withAccuracy ? part.reduce((s, p) => s + p.accuracy!, 0) / part.length : null,
      steps: part.length,
    });
  }
  return blocks;
}

/**
 * The loss of the best constant guess among K classes: ln K for cross-entropy (ln 2 binary);
 * with one-hot targets, (K−1)/K² for MSE (every output at 1/K) and 1/K for MAE (every output at 0).
 */
export function chanceLoss(ctx: DetectorContext): number | null {
  const k = ctx.classes;
  if (k === null) return null;
  const loss = ctx.spec.training.loss.type;
  if (loss === 'sparseCategoricalCrossentropy' || loss === 'categoricalCrossentropy') return Math.log(k);
  if (loss === 'binaryCrossentropy') return Math.log(2);
  if (ctx.outputs !== k) return null;
  if (loss === 'mse') return (k - 1) / (k * k);
  if (loss === 'mae') return 1 / k;
  return null;
}

export interface PlateauSegment {
  start: number;
  startEpoch: number;
  /** Last step on the plateau; null while it lasts. */
  end: number | null;
  endEpoch: number | null;
  /** The epoch where learning resumed (of the first step after the plateau); null while it lasts. */
  kickInEpoch: number | null;
  /** Mean loss on the plateau, and accuracy when every step had one. */
  level: number;
  accuracy: number | null;
  steps: number;
  atChance: boolean;
  fromStart: boolean;
  /** Lowest block mean after it, where, and the best accuracy after it. */
  lowestAfter: number | null;
  lowestAt: number | null;
  accuracyAfter: number | null;
}

/** A run of consecutive blocks whose means all lie within the band around the run's mean. */
interface Segment {
  first: LossBlock;
  last: LossBlock;
  sum: number;
  count: number;
  /** Accuracy × steps summed, and steps, while every block had an accuracy. */
  accuracySum: number;
  accuracySteps: number;
  accuracyKnown: boolean;
  /** Once closed: the first block after it, the lowest block after it, the best accuracy after it. */
  next: LossBlock | null;
  lowestAfter: LossBlock | null;
  accuracyAfter: number | null;
}

/** Long closed segments kept: each lasted `plateauMinSteps`, so this is 64 separate plateaus. */
const MAX_SEGMENTS = 64;

/**
 * Splits the loss blocks into flat segments as they arrive (each block either stays within
 * the band of the open segment's mean or starts a new one) and keeps only what a plateau
 * needs: the open segment, and the long closed ones with the lowest loss seen after each.
 * Cost per block: the number of long segments, not the length of the run.
 */
export class PlateauTracker {
  private open: Segment | null = null;
  private readonly closed: Segment[] = [];
  private firstStart: number | null = null;

  constructor(private readonly t: Pick<Thresholds, 'plateauBand' | 'plateauMinSteps'>) {}

  add(block: LossBlock): void {
    this.firstStart ??= block.start;
    for (const seg of this.closed) {
      if (seg.lowestAfter === null || block.loss < seg.lowestAfter.loss) seg.lowestAfter = block;
      if (block.accuracy !== null && (seg.accuracyAfter === null || block.accuracy > seg.accuracyAfter)) seg.accuracyAfter = block.accuracy;
    }
    const open = this.open;
    if (open) {
      const mean = open.sum / open.count;
      if (Math.abs(block.loss - mean) <= this.t.plateauBand * Math.abs(mean)) {
        open.last = block;
        open.sum += block.loss;
        open.count++;
        if (block.accuracy === null) open.accuracyKnown = false;
        else {
          open.accuracySum += block.accuracy * block.steps;
          open.accuracySteps += block.steps;
        }
        return;
      }
      if (open.last.end - open.first.start + 1 >= this.t.plateauMinSteps && this.closed.length < MAX_SEGMENTS) {
        open.next = block;
        open.lowestAfter = block;
        open.accuracyAfter = block.accuracy;
        this.closed.push(open);
      }
    }
    this.open = {
      first: block,
      last: block,
      sum: block.loss,
      count: 1,
      accuracySum: block.accuracy !== null ? block.accuracy * block.steps : 0,
      accuracySteps: block.accuracy !== null ? block.steps : 0,
      accuracyKnown: block.accuracy !== null,
      next: null,
      lowestAfter: null,
      accuracyAfter: null,
    };
  }

  /**
   * The first plateau that qualifies: one that learning left by at least `plateauDrop` of its
   * level, or one that lasts (not yet left that far) at chance level or from the very start.
   * `firstLoss` is the first step's loss.
   */
  find(firstLoss: number | null, ctx: DetectorContext, t: Thresholds): PlateauSegment | null {
    const chance = chanceLoss(ctx);
    const candidates = this.open ? [...this.closed, this.open] : this.closed;
    for (const seg of candidates) {
      const level = seg.sum / seg.count;
      const steps = seg.last.end - seg.first.start + 1;
      if (steps < t.plateauMinSteps || !(level > 0)) continue;
      const accuracy = seg.accuracyKnown && seg.accuracySteps > 0 ? seg.accuracySum / seg.accuracySteps : null;
      const atChance =
        (chance !== null && Math.abs(level - chance) <= t.plateauChanceBand * chance) ||
        (accuracy !== null && ctx.classes !== null && accuracy <= t.plateauChanceAccuracy / ctx.classes);
      // Noisy first steps are allowed a wider band: the question is only whether the loss ever moved.
      const fromStart = seg.first.start === this.firstStart && (firstLoss === null || Math.abs(firstLoss - level) <= 3 * t.plateauBand * level);
      const lowest = seg.lowestAfter;
      const resumed = lowest !== null && seg.next !== null && lowest.loss <= level * (1 - t.plateauDrop) && seg.next.loss < level;
      if (!resumed && !atChance && !fromStart) continue;
      return {
        start: seg.first.start,
        startEpoch: seg.first.epoch,
        end: resumed ? seg.last.end : null,
        endEpoch: resumed ? seg.last.endEpoch : null,
        kickInEpoch: resumed ? seg.next!.epoch : null,
        level,
        accuracy,
        steps,
        atChance,
        fromStart,
        lowestAfter: resumed ? lowest!.loss : null,
        lowestAt: resumed ? lowest!.end : null,
        accuracyAfter: resumed ? seg.accuracyAfter : null,
      };
    }
    return null;
  }
}

/** The first qualifying plateau in `blocks` (oldest first); see {@link PlateauTracker.find}. */
export function findPlateau(blocks: readonly LossBlock[], firstLoss: number | null, ctx: DetectorContext, t: Thresholds): PlateauSegment | null {
  const tracker = new PlateauTracker(t);
  for (const block of blocks) tracker.add(block);
  return tracker.find(firstLoss, ctx, t);
}

const chanceWords = (ctx: DetectorContext): string => {
  const loss = ctx.spec.training.loss.type;
  if (loss === 'mse') return `(K−1)/K² for K = ${ctx.classes}`;
  if (loss === 'mae') return `1/K for K = ${ctx.classes}`;
  return loss === 'binaryCrossentropy' ? 'ln 2' : `ln ${ctx.classes}`;
};

/**
 * The plateau finding for a run's loss blocks (or the tracker fed with them), or null.
 * `final` says the run has ended (a plateau that lasts then lasted to the end). `lastStep` is
 * the last step trained.
 */
export function plateau(
  blocks: readonly LossBlock[] | PlateauTracker,
  info: { firstLoss: number | null; final: boolean; lastStep: number },
  ctx: DetectorContext,
  t: Thresholds,
): Finding | null {
  const seg = blocks instanceof PlateauTracker ? blocks.find(info.firstLoss, ctx, t) : findPlateau(blocks, info.firstLoss, ctx, t);
  if (!seg) return null;
  const band = percent(t.plateauBand);
  const epochs = (a: number, b: number): string => (a === b ? `epoch ${a + 1}` : `epochs ${a + 1}–${b + 1}`);
  const chance = chanceLoss(ctx);
  const whatLevel = seg.atChance
    ? chance !== null && Math.abs(seg.level - chance) <= t.plateauChanceBand * chance
      ? `the loss of guessing among ${ctx.classes} classes at random (${chanceWords(ctx)} = ${fmt(chance)})`
      : `an accuracy no better than guessing among ${ctx.classes} classes`
    : null;
  const accuracyWords = seg.accuracy !== null && seg.accuracyAfter !== null ? ` (accuracy ${percent(seg.accuracy)} → ${percent(seg.accuracyAfter)})` : '';

  let message: string;
  if (seg.end !== null) {
    const drop = seg.level - seg.lowestAfter!;
    message =
      `The training loss sat at ${fmt(seg.level)} (within ±${band}) from step ${seg.start} to step ${seg.end} (${epochs(seg.startEpoch, seg.endEpoch!)})` +
      `${whatLevel ? `, ${whatLevel}` : ''}, then learning kicked in at epoch ${(seg.kickInEpoch ?? 0) + 1}: by step ${seg.lowestAt} it had fallen by ${fmt(drop)}, to ${fmt(seg.lowestAfter)}${accuracyWords}.`;
  } else {
    const until = info.final ? `until the end of training at step ${info.lastStep}` : `for ${seg.steps} steps so far`;
    const meaning = whatLevel ? `that is ${whatLevel}, so the network has not learned anything` : 'it has not moved from where it started';
    message = `The training loss has stayed at ${fmt(seg.level)} (within ±${band}) since step ${seg.start} (epoch ${seg.startEpoch + 1}), ${until}: ${meaning}.`;
  }
  const small = smallInitLayers(ctx.spec, ctx);
  const initWords =
    small.length > 0
      ? ` Here ${small.length === 1 ? 'one layer draws its' : `${small.length} layers draw their`} initial weights at least ${fmt(Number((1 / Math.max(...small.map((s) => s.ratio))).toPrecision(2)))}× smaller than He/Glorot initialisation would.`
      : '';
  const weighted = ctx.layers.filter((l) => l.type === 'dense' || l.type === 'conv2d').length;
  const saddle = small.length === 0 && weighted <= 2 ? ' In a network this small it is often a saddle: units must rearrange before the loss can fall again, and the optimiser takes a while to find the way out.' : '';
  const targets = ctx.unreachableTargets;
  const outputIndex = outputActivationIndex(ctx.spec);
  const suggestions: Suggestion[] = [];
  if (targets) {
    // The static check already found why: the output cannot reach the targets (corpus: so48221692).
    message += ` Here the regression targets (${fmt(targets.min)} to ${fmt(targets.max)}) lie beyond what the output's ${outputActivation(ctx.spec.model.layers)} can reach, so the output stays pinned at its bound and the loss cannot fall: a regression output needs a linear activation.`;
    if (outputIndex !== null) suggestions.push({ label: 'Use a linear output', set: { [`model.layers.${outputIndex}.activation`]: 'linear' } });
  } else {
    message +=
      ' A long flat stretch usually means the initial weights are too small for the depth (the signal and its gradient shrink layer by layer until the optimiser has grown them), units are saturated, or the learning rate is too low.' +
      initWords +
      saddle;
    const init = initSuggestion(ctx.spec);
    if (init) suggestions.push(init);
    const bn = batchNormSuggestion(ctx.spec);
    if (bn) suggestions.push(bn);
    suggestions.push(learningRateSuggestion(ctx.spec, ctx.spec.training.optimizer.learningRate < 1e-3 ? 10 : 3));
  }

  return {
    code: 'plateau',
    // Stuck at chance or where it started is the situation-1 kick-in; a pause mid-run that
    // learning left on its own cost time, not the result.
    severity: seg.atChance || seg.fromStart ? 'warning' : 'info',
    step: seg.start,
    epoch: seg.startEpoch,
    evidence: {
      start: seg.start,
      startEpoch: seg.startEpoch,
      end: seg.end,
      endEpoch: seg.endEpoch,
      kickInEpoch: seg.kickInEpoch,
      level: seg.level,
      steps: seg.steps,
      atChance: seg.atChance,
      chanceLoss: chance,
      lossAfter: seg.lowestAfter,
      lossAfterStep: seg.lowestAt,
      drop: seg.lowestAfter !== null ? seg.level - seg.lowestAfter : null,
      accuracy: seg.accuracy,
      accuracyAfter: seg.accuracyAfter,
      smallInitLayers: small.map((s) => s.index),
    },
    message,
    suggestions,
  };
}
