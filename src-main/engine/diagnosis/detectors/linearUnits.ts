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
 * Whether a unit is nearly linear: on, but with fewer than `linearBendShare` of the probe
 * samples on its flat side, so its hinge sits at the edge of the data. (A unit with few samples
 * on its active side is the other end, left to dead-units: early in training such units come
 * back, as relu-abs seeds 28 and 30 show in their first 150 steps.)
 */
export const isNearlyLinear = (active: number, t: Pick<Thresholds, 'linearBendShare'>): boolean => active > 1 - t.linearBendShare;

/**
 * The linear-units finding for one layer at one probe; `obs.fraction` is the probe's `active`
 * per unit, `dead` the layer's units that are dead now (they do not bend either).
 *
 * Raised when at least `linearReportMin` units are always on, or when one is and the layer has
 * at most `linearWarnBending` units left that bend (neither dead, linear nor nearly linear):
 * then a warning, which also names the nearly linear units.
 */
export function linearUnits(obs: UnitObservation & { dead?: ReadonlySet<number> }, ctx: DetectorContext, t: Thresholds): Finding | null {
  const { layer } = obs;
  if (!watchesLinear(layer.activation, layer.isOutput)) return null;
  const { units: linear, since, sinceEpoch } = persistentUnits(obs.streaks, t.linearMinProbes);
  if (linear.length === 0) return null;
  const total = obs.fraction.length;
  const noun = unitNoun(layer);
  const active = (u: number): number => obs.fraction[u] ?? 0;
  const others = Array.from({ length: total }, (_, u) => u).filter((u) => !linear.includes(u));
  const dead = others.filter((u) => obs.dead?.has(u) ?? false).length;
  const alive = others.filter((u) => !(obs.dead?.has(u) ?? false));
  const nearlyOn = alive.filter((u) => isNearlyLinear(active(u), t));
  const bending = alive.length - nearlyOn.length;
  const warning = bending <= t.linearWarnBending;
  if (!warning && linear.length < Math.max(1, t.linearReportMin)) return null;
  // Nearly linear: on, with their hinge at the edge of the data. Named only when the layer is short of bends.
  const nearly = warning ? nearlyOn : [];
  const units = [...linear, ...nearly].sort((a, b) => a - b);

  const what = units.length === total ? `All ${total} ${unitsCalled(layer, total)} in ${layer.name}` : `${units.length} of ${total} ${unitsCalled(layer, total)} in ${layer.name} (${unitList(units, noun)})`;
  const verb = units.length === 1 && units.length !== total ? 'is' : 'are';
  const nearlyWords =
    nearly.length === 0
      ? ''
      : ` (${nearly.map((u) => `${noun} ${u} on ${percent(active(u))}`).join(', ')}: ${nearly.length === 1 ? 'its hinge leaves' : 'their hinges leave'} fewer than ${percent(t.linearBendShare)} of the samples on the flat side, so ${nearly.length === 1 ? 'it bends' : 'they bend'} the output on too little of the data)`;
  const deadWords = dead > 0 ? ` (and ${dead} dead)` : '';
  const left =
    bending === 0
      ? `no ${noun} of the layer bends where the data is${deadWords}: it is a linear map on this data, so it adds no bend at all`
      : `the layer has ${bending} ${noun}${bending === 1 ? '' : 's'} left to bend the output with${deadWords}${warning ? ': one crease, which cannot fit a surface that curves in every direction' : ''}`;
  const spare = !warning ? ` Their linear terms add up before the next layer sees them, so ${linear.length === 2 ? 'one of them' : `${linear.length - 1} of them`} may be spare.` : '';
  const onWords = nearly.length === 0 ? `active on at least ${percent(t.linearActiveMin)}` : `active on at least ${percent(1 - t.linearBendShare)}`;
  const message =
    `${what} ${verb} ${onWords} of ${probeWords(layer, ctx.probeSamples)}${nearlyWords}, since step ${since}: ` +
    `${nearly.length === 0 ? 'they never reach their hinge where the data is, so they act linearly there' : 'their hinges lie at or beyond the edge of the data, so they act (nearly) linearly there'}; ${left}.${spare}`;

  const suggestions: Suggestion[] = [];
  const widen = widenSuggestion(layer);
  if (widen) suggestions.push(widen);
  if (total <= 16) suggestions.push(seedSuggestion(ctx.spec));
  const init = layer.spec && (layer.spec.type === 'dense' || layer.spec.type === 'conv2d') ? initSuggestion(ctx.spec, [layer.index], layer.name) : null;
  if (init) suggestions.push(init);

  return {
    code: 'linear-units',
    severity: warning ? 'warning' : 'info',
    step: since,
    epoch: sinceEpoch,
    layer: layer.name,
    units,
    evidence: {
      linear: linear.length,
      nearlyLinear: nearly,
      units: total,
      linearFraction: units.length / total,
      bending,
      bendShare: t.linearBendShare,
      since,
      probeStep: obs.step,
      probeSamples: ctx.probeSamples,
      minActive: Math.min(1, ...units.map(active)),
      activation: layer.activation,
    },
    message,
    suggestions,
  };
}

/**
 * What the end of training says about a linear-units finding no longer raised there: the
 * units all bend again, or the layer bends enough and the ones still always on (`stillOn`,
 * fewer than `linearReportMin`) carry the linear term it hands on.
 */
export function linearSettledWords(stillOn: readonly number[], noun: string, lastStep: number): string {
  if (stillOn.length === 0) return `By the end of training (step ${lastStep}) none of them was always on any more.`;
  return `By the end of training (step ${lastStep}) enough ${noun}s bend where the data is; ${unitList(stillOn, noun)}, still always on, ${stillOn.length === 1 ? 'is' : 'are'} the linear term the layer hands on.`;
}
