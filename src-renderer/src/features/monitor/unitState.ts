/**
 * What a unit did on the probe batch, in the diagnosis vocabulary of DESIGN.md: dead (a
 * ReLU-family unit that never fired), saturated (a sigmoid/tanh/softmax unit within 1 % of an
 * asymptote on ≥ 95 % of samples), linear (a ReLU-family unit active on ≥ 99 % of samples:
 * it never bends), healthy, or not applicable (a linear layer's units).
 */
import { RELU_FAMILY, SATURATING, type Activation, type ProbeLayer } from '@contract';

export type UnitState = 'dead' | 'saturated' | 'linear' | 'healthy' | 'plain';

export const SATURATED_AT = 0.95;
export const LINEAR_AT = 0.99;

const isActivation = (name: string, list: readonly Activation[]): boolean => (list as readonly string[]).includes(name);

export const isReluFamily = (activation: string): boolean => isActivation(activation, RELU_FAMILY);
export const isSaturating = (activation: string): boolean => isActivation(activation, SATURATING);

export function unitState(layer: ProbeLayer, unit: number): UnitState {
  if (isReluFamily(layer.activation)) {
    const active = layer.active[unit]!;
    if (active === 0) return 'dead';
    if (active >= LINEAR_AT) return 'linear';
    return 'healthy';
  }
  if (isSaturating(layer.activation)) return layer.saturated[unit]! >= SATURATED_AT ? 'saturated' : 'healthy';
  return 'plain';
}

/** Fraction of a layer's units that are dead, or saturated; null where it does not apply. */
export function layerFractions(layer: ProbeLayer): { dead: number | null; saturated: number | null } {
  const n = layer.units;
  if (n === 0) return { dead: null, saturated: null };
  if (isReluFamily(layer.activation)) {
    let dead = 0;
    for (let u = 0; u < n; u++) if (layer.active[u] === 0) dead++;
    return { dead: dead / n, saturated: null };
  }
  if (isSaturating(layer.activation)) {
    let saturated = 0;
    for (let u = 0; u < n; u++) if (layer.saturated[u]! >= SATURATED_AT) saturated++;
    return { dead: null, saturated: saturated / n };
  }
  return { dead: null, saturated: null };
}

/** Counts of each state in a layer. */
export function stateCounts(layer: ProbeLayer): Record<UnitState, number> {
  const counts: Record<UnitState, number> = { dead: 0, saturated: 0, linear: 0, healthy: 0, plain: 0 };
  for (let u = 0; u < layer.units; u++) counts[unitState(layer, u)]++;
  return counts;
}
