/**
 * saturated-units: sigmoid/tanh/softmax hidden units that sit against an asymptote on nearly
 * every probe sample. There the curve is flat, its derivative near 0, so almost no gradient
 * passes back through them (situation 3's saturated sigmoids).
 */
import type { Finding, Suggestion } from '@contract/findings';
import type { Thresholds } from '../thresholds';
import {
  batchNormSuggestion,
  fmt,
  isSaturating,
  layerPath,
  learningRateSuggestion,
  normalizeSuggestion,
  percent,
  persistentUnits,
  probeWords,
  unitList,
  unitNoun,
  unitSeverity,
  type DetectorContext,
  type UnitObservation,
} from '../common';

/** Whether a unit is saturated, from the fraction of probe samples within 1 % of an asymptote. */
export const isSaturated = (saturated: number, t: Pick<Thresholds, 'saturatedFraction'>): boolean => saturated >= t.saturatedFraction;

/**
 * Hidden sigmoid/tanh/softmax layers. A trained classifier's sigmoid or softmax output is
 * meant to be near 0 or 1: confidence, not saturation. A regression output is watched too when
 * its targets lie beyond what it can reach (corpus: so48221692's sigmoid output pinned at 1
 * under targets of 3 to 103).
 */
export const watchesSaturated = (activation: string, isOutput: boolean, ctx: Pick<DetectorContext, 'unreachableTargets'>): boolean =>
  isSaturating(activation) && (!isOutput || ctx.unreachableTargets !== null);

const asymptotes = (activation: string): string => (activation === 'tanh' ? '−1 or 1' : '0 or 1');

/** The saturated-units finding for one layer at one probe; `obs.fraction` is the probe's `saturated` per unit. */
export function saturatedUnits(obs: UnitObservation, ctx: DetectorContext, t: Thresholds): Finding | null {
  const { layer } = obs;
  if (!watchesSaturated(layer.activation, layer.isOutput, ctx)) return null;
  const { units, since, sinceEpoch } = persistentUnits(obs.streaks, t.saturatedMinProbes);
  if (units.length === 0) return null;
  const total = obs.fraction.length;
  const noun = unitNoun(layer);
  const what =
    units.length === total
      ? `All ${total} ${layer.activation} ${noun}s in ${layer.name}`
      : `${units.length} of ${total} ${layer.activation} ${noun}s in ${layer.name} (${unitList(units, noun)})`;
  const verb = units.length === 1 && units.length !== total ? 'sits' : 'sit';
  const targets = layer.isOutput ? ctx.unreachableTargets : null;
  const message = targets
    ? `The ${layer.activation} output ${layer.name} ${total === 1 ? 'sits' : 'sits, on ' + (units.length === total ? 'all' : String(units.length)) + ' of its ' + total + ' units,'} within 1 % of ${asymptotes(layer.activation)} on at least ${percent(t.saturatedFraction)} of ${probeWords(layer, ctx.probeSamples)}, since step ${since}, ` +
      `while the regression targets range from ${fmt(targets.min)} to ${fmt(targets.max)}: it is pinned against a bound it cannot pass, where the ${layer.activation} is flat and passes almost no gradient. A regression output needs a linear activation.`
    :
    `${what} ${verb} within 1 % of ${asymptotes(layer.activation)} on at least ${percent(t.saturatedFraction)} of ${probeWords(layer, ctx.probeSamples)}, since step ${since}: ` +
    `there the ${layer.activation} is flat and its gradient nearly 0, so the weights feeding ${units.length === 1 ? 'it' : 'them'} barely learn. ` +
    'Large inputs, large initial weights or a learning rate too high push units there.';

  const suggestions: Suggestion[] = [];
  if (targets && layer.spec && 'activation' in layer.spec) suggestions.push({ label: `Use a linear output in ${layer.name}`, set: { [`${layerPath(layer)}.activation`]: 'linear' } });
  else if (layer.spec && 'activation' in layer.spec) {
    const set: Record<string, unknown> = { [`${layerPath(layer)}.activation`]: 'relu' };
    if (layer.spec.type === 'dense' || layer.spec.type === 'conv2d') set[`${layerPath(layer)}.kernelInitializer`] = 'heNormal';
    suggestions.push({ label: `Use relu (He initialisation) in ${layer.name}`, set });
  }
  if (!targets) {
    const normalize = normalizeSuggestion(ctx.spec);
    if (normalize) suggestions.push(normalize);
    const bn = batchNormSuggestion(ctx.spec);
    if (bn) suggestions.push(bn);
    suggestions.push(learningRateSuggestion(ctx.spec, 1 / 3));
  }

  return {
    code: 'saturated-units',
    severity: unitSeverity(units.length, total, t.saturatedWarnFraction),
    step: since,
    epoch: sinceEpoch,
    layer: layer.name,
    units,
    evidence: {
      saturated: units.length,
      units: total,
      saturatedFraction: units.length / total,
      since,
      probeStep: obs.step,
      probeSamples: ctx.probeSamples,
      minSaturated: Math.min(1, ...units.map((u) => obs.fraction[u] ?? 1)),
      activation: layer.activation,
    },
    message,
    suggestions,
  };
}
