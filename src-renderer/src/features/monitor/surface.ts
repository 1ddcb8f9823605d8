/**
 * The input plane of a 2-D network (TensorFlow Playground's view): the network's output and
 * each first-layer unit over a grid of the plane, and each unit's hinge line w·x + b = 0,
 * where a ReLU unit switches on. Pure functions over the engine's Surface.
 */
import type { Surface } from '@contract';

export type Extent = [xmin: number, xmax: number, ymin: number, ymax: number];

/** The segment of the line w0·x + w1·y + b = 0 inside the extent, or null when it misses it. */
export function hingeSegment(w0: number, w1: number, b: number, extent: Extent): [[number, number], [number, number]] | null {
  const [xmin, xmax, ymin, ymax] = extent;
  const hits: [number, number][] = [];
  const add = (x: number, y: number): void => {
    if (x < xmin - 1e-9 || x > xmax + 1e-9 || y < ymin - 1e-9 || y > ymax + 1e-9) return;
    if (hits.some(([hx, hy]) => Math.abs(hx - x) < 1e-9 && Math.abs(hy - y) < 1e-9)) return;
    hits.push([x, y]);
  };
  if (Math.abs(w1) > 1e-12) {
    add(xmin, -(w0 * xmin + b) / w1);
    add(xmax, -(w0 * xmax + b) / w1);
  }
  if (Math.abs(w0) > 1e-12) {
    add(-(w1 * ymin + b) / w0, ymin);
    add(-(w1 * ymax + b) / w0, ymax);
  }
  return hits.length >= 2 ? [hits[0]!, hits[1]!] : null;
}

/** Each first-layer unit's weights: kernel [2, units] row-major, then its bias. */
export function unitWeights(surface: Surface, unit: number): { w0: number; w1: number; b: number } {
  return { w0: surface.kernel[unit] ?? 0, w1: surface.kernel[surface.units + unit] ?? 0, b: surface.bias[unit] ?? 0 };
}

/**
 * What to colour the output map by, per grid point: the output itself for one output, the
 * margin of class 1 over class 0 for two, the winning class's probability margin otherwise.
 * Returns the values and the largest magnitude, for the colour scale.
 */
export function outputField(surface: Surface): { values: Float32Array; scale: number; signed: boolean } {
  const cells = surface.size * surface.size;
  const values = new Float32Array(cells);
  const k = surface.outputs;
  let scale = 0;
  let negative = false;
  for (let i = 0; i < cells; i++) {
    let v: number;
    if (k === 1) v = surface.output[i]!;
    else v = surface.output[i * k + 1]! - surface.output[i * k]!;
    values[i] = v;
    if (Number.isFinite(v)) {
      scale = Math.max(scale, Math.abs(v));
      if (v < 0) negative = true;
    }
  }
  return { values, scale: scale || 1, signed: negative };
}

/** One unit's outputs over the grid, and their largest magnitude. */
export function unitField(surface: Surface, unit: number): { values: Float32Array; scale: number; zero: boolean } {
  const cells = surface.size * surface.size;
  const values = new Float32Array(cells);
  let scale = 0;
  for (let i = 0; i < cells; i++) {
    const v = surface.unitOutput[i * surface.units + unit]!;
    values[i] = v;
    if (Number.isFinite(v)) scale = Math.max(scale, Math.abs(v));
  }
  return { values, scale: scale || 1, zero: scale === 0 };
}
