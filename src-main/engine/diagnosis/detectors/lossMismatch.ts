/**
 * loss-mismatch (static, before training): a loss that does not fit the task or the output.
 * MSE on one-hot class labels (situation 3: it trains, slowly, and saturated outputs stall
 * it), cross-entropy on an output that is not a probability, a softmax output with a binary
 * loss, a softmax applied twice.
 */
import type { Spec } from '@contract';
import { outputActivation } from '@contract/specShapes';
import type { Finding, Suggestion } from '@contract/findings';
import { logitsSuggestion, outputActivationIndex } from '../common';

export interface TaskShape {
  task: 'classification' | 'regression';
  /** Classes for classification; target width for regression. */
  outputs: number;
  /** A regression's smallest and largest target over the training split; absent when unknown. */
  targetRange?: { min: number; max: number };
}

/** What an output activation can reach, for a regression target; null when it is unbounded. */
export function activationReach(activation: string): { min: number; max: number } | null {
  if (activation === 'sigmoid' || activation === 'softmax') return { min: 0, max: 1 };
  if (activation === 'tanh') return { min: -1, max: 1 };
  if (activation === 'relu' || activation === 'softplus') return { min: 0, max: Infinity };
  return null;
}

/**
 * Regression targets that the output activation cannot reach: beyond its range by more than 1 %
 * of the targets' own spread (so34-style 0/1 targets under a sigmoid are reachable). Corpus:
 * so48221692 regresses y = x² + 3 (3 to 103) through a sigmoid output that pins at 1.
 */
export function unreachableTargets(activation: string, targets: { min: number; max: number } | undefined): { reach: { min: number; max: number }; below: boolean; above: boolean } | null {
  const reach = activationReach(activation);
  if (!reach || !targets || !Number.isFinite(targets.min) || !Number.isFinite(targets.max)) return null;
  const margin = 0.01 * Math.max(targets.max - targets.min, 1e-12);
  const below = targets.min < reach.min - margin;
  const above = targets.max > reach.max + margin;
  return below || above ? { reach, below, above } : null;
}

const num = (v: number): string => (Number.isInteger(v) ? String(v) : v.toPrecision(3));

/** The output width of the spec's last dense/conv layer (null when there is none). */
function outputWidth(spec: Spec): number | null {
  const layers = spec.model.layers;
  for (let i = layers.length - 1; i >= 0; i--) {
    const layer = layers[i]!;
    if (layer.type === 'dense') return layer.units;
    if (layer.type === 'conv2d') return layer.filters;
  }
  return null;
}

function finding(severity: Finding['severity'], message: string, suggestions: Suggestion[], evidence: Finding['evidence']): Finding {
  return { code: 'loss-mismatch', severity, step: 0, epoch: 0, evidence, message, suggestions };
}

/** The loss-mismatch finding for a spec and what its dataset holds, or null when the loss fits. */
export function lossMismatch(spec: Spec, data: TaskShape): Finding | null {
  const loss = spec.training.loss;
  const activation = outputActivation(spec.model.layers);
  const width = outputWidth(spec) ?? data.outputs;
  const outIndex = outputActivationIndex(spec);
  const evidence = { loss: loss.type, fromLogits: 'fromLogits' in loss ? loss.fromLogits : null, outputActivation: activation, outputs: width, task: data.task, classes: data.task === 'classification' ? data.outputs : null };
  const logits = logitsSuggestion(spec, width === 1 ? 1 : data.outputs);
  const setActivation = (to: string, label: string): Suggestion[] => (outIndex === null ? [] : [{ label, set: { [`model.layers.${outIndex}.activation`]: to } }]);

  if (data.task === 'regression' && loss.type !== 'mse' && loss.type !== 'mae' && loss.type !== 'binaryCrossentropy') {
    return finding('error', `${loss.type} needs class labels, but the dataset's target is a regression value: use mse or mae.`, [{ label: 'Use mse', set: { 'training.loss': { type: 'mse' } } }], evidence);
  }
  const unreachable = data.task === 'regression' ? unreachableTargets(activation, data.targetRange) : null;
  if (unreachable && data.targetRange && activation !== 'softmax') {
    const { reach } = unreachable;
    const range = reach.max === Infinity ? `${num(reach.min)} and above` : `${num(reach.min)} to ${num(reach.max)}`;
    const side = unreachable.above && unreachable.below ? 'on both sides' : unreachable.above ? 'above it' : 'below it';
    return finding(
      'warning',
      `The regression targets range from ${num(data.targetRange.min)} to ${num(data.targetRange.max)}, but the output's ${activation} can only reach ${range}: for the targets ${side} the output pins at its bound, where ${activation === 'relu' ? 'a relu passes no gradient' : `the ${activation} is flat and passes almost no gradient`}, and the error cannot fall. Use a linear output (or scale the targets into the ${activation}'s range).`,
      setActivation('linear', 'Use a linear output'),
      { ...evidence, targetRange: [data.targetRange.min, data.targetRange.max], outputMin: reach.min, outputMax: reach.max === Infinity ? null : reach.max },
    );
  }
  // A softmax over one unit is the constant 1 whatever the loss (corpus: so33969059 regresses
  // through one with MSE, so34311586 fits XOR with one): nothing reaches the weights.
  if (activation === 'softmax' && width === 1 && loss.type !== 'binaryCrossentropy') {
    return finding(
      'error',
      `The output is a softmax over 1 unit, which is always 1 whatever its input: the network cannot express anything and no gradient reaches its weights. ${data.task === 'regression' ? 'A regression output needs a linear activation.' : 'A binary output needs a sigmoid (or logits with fromLogits).'}`,
      setActivation(data.task === 'regression' ? 'linear' : 'sigmoid', data.task === 'regression' ? 'Use a linear output' : 'Use a sigmoid output'),
      evidence,
    );
  }
  if (loss.type === 'binaryCrossentropy' && activation === 'softmax') {
    const message =
      width === 1
        ? 'The output is a softmax over 1 unit, which is always 1, and the loss is binary cross-entropy: the network cannot express anything. A binary output needs a sigmoid (or logits with fromLogits).'
        : `The output is a softmax over ${width} units and the loss is binary cross-entropy, which treats each unit as its own yes/no: the softmax couples them so they cannot each be right. Use categorical cross-entropy for one class per sample.`;
    return finding('error', message, width === 1 ? [logits, ...setActivation('sigmoid', 'Use a sigmoid output')] : [logits], evidence);
  }
  if (loss.type === 'sparseCategoricalCrossentropy' || loss.type === 'categoricalCrossentropy') {
    if (!loss.fromLogits && activation !== 'softmax') {
      if (activation === 'sigmoid') {
        return finding(
          'warning',
          `${loss.type} is computed on sigmoid outputs, which are not a distribution over the classes (they need not sum to 1): the loss only pushes the right class up and never the others down. Use a softmax output, or better, a linear output and cross-entropy from logits.`,
          [logits, ...setActivation('softmax', 'Use a softmax output')],
          evidence,
        );
      }
      return finding(
        'error',
        `${loss.type} takes the output as a probability, but the output layer's activation is ${activation}, not softmax: the loss divides the outputs by their sum (as Keras does), which is no distribution when outputs can be ≤ 0 — they are clipped to 1e-7 and pass no gradient, and a sum near 0 turns the loss to NaN. Compute the loss from logits (fromLogits), or end with a softmax.`,
        [logits, ...setActivation('softmax', 'Use a softmax output')],
        evidence,
      );
    }
    if (loss.fromLogits && (activation === 'softmax' || activation === 'sigmoid')) {
      return finding(
        'warning',
        `The loss applies softmax to the output itself (fromLogits), but the output layer already applies ${activation}: the probabilities are squashed a second time, so the loss can never get near 0 and its gradient is small. Make the output linear.`,
        setActivation('linear', 'Use a linear output (logits)'),
        evidence,
      );
    }
  }
  if (loss.type === 'binaryCrossentropy') {
    if (!loss.fromLogits && activation !== 'sigmoid') {
      return finding(
        'error',
        `binaryCrossentropy takes the output as a probability, but the output layer's activation is ${activation}, not sigmoid: outputs outside (0, 1) are clipped and pass no gradient. Compute the loss from logits (fromLogits), or end with a sigmoid.`,
        [{ label: 'Compute binary cross-entropy from logits', set: { 'training.loss': { type: 'binaryCrossentropy', fromLogits: true } } }, ...setActivation('sigmoid', 'Use a sigmoid output')],
        evidence,
      );
    }
    if (loss.fromLogits && activation === 'sigmoid') {
      return finding(
        'warning',
        'The loss applies a sigmoid to the output itself (fromLogits), but the output layer already applies one: the output is squashed twice. Make the output linear.',
        setActivation('linear', 'Use a linear output (logits)'),
        evidence,
      );
    }
  }
  if (data.task === 'classification' && (loss.type === 'mse' || loss.type === 'mae')) {
    const saturating = activation === 'sigmoid' || activation === 'softmax';
    const message =
      `${loss.type === 'mse' ? 'MSE' : 'MAE'} is used on class labels (${width === 1 ? `${data.outputs} classes, as 0/1 targets of 1 output unit` : `${data.outputs} classes, as one-hot targets`}): it treats the class scores as regression targets, ` +
      `so a confidently wrong output is punished little${saturating ? `, and where the ${activation} output saturates the gradient all but vanishes` : ''}. ` +
      'Classification learns much faster with cross-entropy computed from logits.';
    return finding('warning', message, [logits], evidence);
  }
  return null;
}
