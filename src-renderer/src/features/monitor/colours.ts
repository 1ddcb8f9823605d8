/**
 * Colours of the monitor: one per run (overlaid seeds), one per layer, the unit states, and
 * the colour maps of the input plane. Muted enough for a dark screen looked at for hours.
 */
import type { UnitState } from './unitState';

/** Run colours, in the order seeds are run: distinct in hue and lightness. */
export const RUN_COLOURS = ['#5b9cf5', '#f2a65a', '#4cc9a0', '#e07aa8', '#a98cf0', '#4fc3d9', '#d9c45b', '#ef7d6d', '#8fbf5a', '#b3b9c6'];
export const LAYER_COLOURS = ['#5b9cf5', '#f2a65a', '#4cc9a0', '#e07aa8', '#a98cf0', '#4fc3d9', '#d9c45b', '#ef7d6d'];

export const runColour = (index: number): string => RUN_COLOURS[index % RUN_COLOURS.length]!;
export const layerColour = (index: number): string => LAYER_COLOURS[index % LAYER_COLOURS.length]!;

export const UNIT_COLOURS: Record<UnitState, string> = {
  dead: '#c2504a',
  saturated: '#d69a2d',
  linear: '#7c8aa5',
  healthy: '#3fa27f',
  plain: '#3a4150',
};

export const UNIT_STATE_LABELS: Record<UnitState, string> = {
  dead: 'dead: never fired',
  saturated: 'saturated: at an asymptote on ≥ 95 %',
  linear: 'linear: fired on ≥ 99 %, never bends',
  healthy: 'healthy',
  plain: 'linear layer',
};

/** `#rrggbb` with an alpha, as an rgba() string. */
export function withAlpha(hex: string, alpha: number): string {
  const n = Number.parseInt(hex.slice(1), 16);
  return `rgba(${(n >> 16) & 255}, ${(n >> 8) & 255}, ${n & 255}, ${alpha})`;
}

type Rgb = [number, number, number];

const NEGATIVE: Rgb = [232, 142, 60];
const ZERO: Rgb = [24, 27, 34];
const POSITIVE: Rgb = [74, 144, 240];
const LOW: Rgb = [20, 23, 30];
const HIGH: Rgb = [96, 214, 178];

const mix = (a: Rgb, b: Rgb, t: number, out: Uint8ClampedArray, at: number): void => {
  out[at] = a[0] + (b[0] - a[0]) * t;
  out[at + 1] = a[1] + (b[1] - a[1]) * t;
  out[at + 2] = a[2] + (b[2] - a[2]) * t;
  out[at + 3] = 255;
};

/** Writes the colour of t ∈ [-1, 1] (orange below zero, blue above, as in TensorFlow Playground). */
export function diverging(t: number, out: Uint8ClampedArray, at: number): void {
  const c = Math.max(-1, Math.min(1, Number.isFinite(t) ? t : 0));
  if (c < 0) mix(ZERO, NEGATIVE, -c, out, at);
  else mix(ZERO, POSITIVE, c, out, at);
}

/** Writes the colour of t ∈ [0, 1] on a dark-to-teal ramp. */
export function sequential(t: number, out: Uint8ClampedArray, at: number): void {
  const c = Math.max(0, Math.min(1, Number.isFinite(t) ? t : 0));
  mix(LOW, HIGH, Math.sqrt(c), out, at);
}
