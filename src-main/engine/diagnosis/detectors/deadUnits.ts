/**
 * dead-units: ReLU-family units that output nothing above 0 on any probe sample. A dead ReLU
 * has zero gradient for every sample, so nothing moves its weights again: the layer is
 * narrower than it looks (situation 2's failed seeds, or a bias initialised far below 0).
 */
import type { Finding, Suggestion } from '@contract/findings';
import type { Thresholds } from '../thresholds';
import {
  NARROW_LAYER,
  clipSuggestion,
  initSuggestion,
  isReluFamily,
  layerPath,
  learningRateSuggestion,
  persistentUnits,
  probeWords,
  seedSuggestion,
  unitList,
  unitNoun,
  unitsCalled,
  widenSuggestion,
  type DetectorContext,
  type UnitObservation,
} from '../common';

/** Whether a unit counts as dead, from the fraction of probe samples where it outputs > 0. */
export const isDead = (active: number, t: Pick<Thresholds, 'deadActiveMax'>): boolean => active <= t.deadActiveMax;

/** Whether this detector looks at a layer at all. */
export const watchesDead = (activation: string): boolean => isReluFamily(activation);

/**
 * The dead-units finding for one layer at one probe, or null when no unit has been dead on
 * `deadMinProbes` consecutive probes. `obs.fraction` is the probe's `active` per unit.
 * `disturbance` is the run's first exploding-gradient, diverging-loss or non-finite finding,
 * if any: units found dead after it began died of it, not of their initial weights.
 */
export function deadUnits(obs: UnitObservation, ctx: DetectorContext, t: Thresholds, disturbance: Pick<Finding, 'code' | 'step'> | null = null): Finding | null {
  const { layer } = obs;
  if (!watchesDead(layer.activation)) return null;
  const { units, since, sinceEpoch } = persistentUnits(obs.streaks, t.deadMinProbes);
  if (units.length === 0) return null;
  const total = obs.fraction.length;
  const relu = layer.activation === 'relu';
  const noun = unitNoun(layer);
  const after = disturbance !== null && disturbance.step <= since ? disturbance : null;
  const fromStart = after === null && since <= ctx.spec.monitor.probeEvery;
  const disturbed = after
    ? `They died after the ${after.code === 'non-finite' ? 'first NaN/Inf' : after.code === 'diverging-loss' ? 'loss began to diverge' : 'gradient began to explode'} at step ${after.step}: the large steps pushed their biases and weights where no sample reaches them.`
    : null;
  const what = units.length === total ? `All ${total} ${unitsCalled(layer, total)} in ${layer.name}` : `${units.length} of ${total} ${unitsCalled(layer, total)} in ${layer.name} (${unitList(units, noun)})`;
  const verb = units.length === 1 && units.length !== total ? 'outputs' : 'output';
  const why = relu
    ? units.length === total
      ? 'nothing passes through the layer, so the output no longer depends on the input and no gradient reaches the layers before it'
      : `a dead ReLU passes no gradient to its weights, so it seldom recovers: the layer works with ${total - units.length} ${noun}${total - units.length === 1 ? '' : 's'} instead of ${total}`
    : `${layer.activation} still passes a small gradient below 0, but these ${noun}s contribute no bend where the data is`;
  const cause = disturbed
    ? disturbed
    : fromStart
    ? 'They were dead from the first probe on: the initial weights and biases, or the first steps, put every sample on their flat side.'
    : 'They died during training, usually from a step too large that pushed their bias far below 0.';
  const message = `${what} ${verb} ${relu ? '0' : '≤ 0'} on all of ${probeWords(layer, ctx.probeSamples)}, since step ${since}: ${why}. ${cause}`;

  const suggestions: Suggestion[] = [];
  if (after) suggestions.push(learningRateSuggestion(ctx.spec, 0.1), clipSuggestion(ctx.spec));
  // In a narrow layer spare units fix what one dead unit breaks (relu-abs: 24 of 24 failed seeds).
  const widen = !after && total <= NARROW_LAYER ? widenSuggestion(layer) : null;
  if (widen) suggestions.push(widen);
  if (relu && layer.spec && 'activation' in layer.spec) suggestions.push({ label: `Use leakyRelu in ${layer.name}`, set: { [`${layerPath(layer)}.activation`]: 'leakyRelu' } });
  const init = layer.spec && (layer.spec.type === 'dense' || layer.spec.type === 'conv2d') ? initSuggestion(ctx.spec, [layer.index], layer.name) : null;
  if (init) suggestions.push(init);
  if (!fromStart && !after) suggestions.push(learningRateSuggestion(ctx.spec, 1 / 3));
  if (total <= 16) suggestions.push(seedSuggestion(ctx.spec));

  return {
    code: 'dead-units',
    severity: relu && (units.length / total >= t.deadWarnFraction || total - units.length <= t.deadWarnAlive) ? 'warning' : 'info',
    step: since,
    epoch: sinceEpoch,
    layer: layer.name,
    units,
    evidence: {
      dead: units.length,
      units: total,
      deadFraction: units.length / total,
      since,
      probeStep: obs.step,
      probeSamples: ctx.probeSamples,
      maxActive: Math.max(0, ...units.map((u) => obs.fraction[u] ?? 0)),
      activation: layer.activation,
    },
    message: message.replace(/ {2,}/g, ' '),
    suggestions,
  };
}
