/**
 * linear-units: ReLU-family units active on (nearly) every probe sample. They never reach
 * their hinge where the data is, so they act as a linear map: in a small network (situation
 * 2's three ReLUs) each such unit is one bend fewer to shape the output with.
 */
import type { Finding, Suggestion } from '@contract/findings';
import type { Thresholds } from '../thresholds';
import {
  initSuggestion,
  isReluFamily,
  percent,
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

/** Whether a unit never bends, from the fraction of probe samples where it outputs > 0. */
export const isLinear = (active: number, t: Pick<Thresholds, 'linearActiveMin'>): boolean => active >= t.linearActiveMin;

/** ReLU-family hidden layers: an output unit that never bends is only a positive output. */
export const watchesLinear = (activation: string, isOutput: boolean): boolean => isReluFamily(activation) && !isOutput;

/**
 * The linear-units finding for one layer at one probe; `obs.fraction` is the probe's `active`
 * per unit, `dead` the layer's units that are dead now (they do not bend either).
 */
export function linearUnits(obs: UnitObservation & { dead?: ReadonlySet<number> }, ctx: DetectorContext, t: Thresholds): Finding | null {
  const { layer } = obs;
  if (!watchesLinear(layer.activation, layer.isOutput)) return null;
  const { units, since, sinceEpoch } = persistentUnits(obs.streaks, t.linearMinProbes);
  if (units.length === 0) return null;
  const total = obs.fraction.length;
  const noun = unitNoun(layer);
  const dead = obs.dead ? [...obs.dead].filter((u) => !units.includes(u)).length : 0;
  const bending = total - units.length - dead;
  const what = units.length === total ? `All ${total} ${unitsCalled(layer, total)} in ${layer.name}` : `${units.length} of ${total} ${unitsCalled(layer, total)} in ${layer.name} (${unitList(units, noun)})`;
  const verb = units.length === 1 && units.length !== total ? 'is' : 'are';
  const deadWords = dead > 0 ? ` (and ${dead} dead)` : '';
  const left =
    bending === 0
      ? `no ${noun} of the layer bends any more${deadWords}: it is a linear map on this data, so it adds no bend at all`
      : `the layer has ${bending} ${noun}${bending === 1 ? '' : 's'} left to bend the output with${deadWords}`;
  const message =
    `${what} ${verb} active on at least ${percent(t.linearActiveMin)} of ${probeWords(layer, ctx.probeSamples)}, since step ${since}: ` +
    `they never reach their hinge where the data is, so they act linearly there; ${left}.`;

  const suggestions: Suggestion[] = [];
  if (total <= 16) suggestions.push(seedSuggestion(ctx.spec));
  const widen = widenSuggestion(layer);
  if (widen) suggestions.push(widen);
  const init = layer.spec && (layer.spec.type === 'dense' || layer.spec.type === 'conv2d') ? initSuggestion(ctx.spec, [layer.index], layer.name) : null;
  if (init) suggestions.push(init);

  return {
    code: 'linear-units',
    severity: bending <= t.linearWarnBending ? 'warning' : 'info',
    step: since,
    epoch: sinceEpoch,
    layer: layer.name,
    units,
    evidence: {
      linear: units.length,
      units: total,
      linearFraction: units.length / total,
      bending,
      since,
      probeStep: obs.step,
      probeSamples: ctx.probeSamples,
      minActive: Math.min(1, ...units.map((u) => obs.fraction[u] ?? 1)),
      activation: layer.activation,
    },
    message,
    suggestions,
  };
}
