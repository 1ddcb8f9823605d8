/**
 * Pure summaries for inspection, over plain arrays: histograms, top-k order, a unit's incoming
 * weights, weights drawn as images, and when a unit died. No tfjs: testable with hand-made data.
 */
import type { InspectHistogram, InspectLayerView } from '@contract';
import type { Dataset } from '../datasets';

/** The binning is the contract's, so inspection and the monitor's references agree. */
export { histogram, HISTOGRAM_BINS as INSPECT_BINS } from '@contract';

/**
 * Positions of the k largest (`top`) or smallest (`bottom`) finite values, in that order;
 * ties keep the lower position first.
 */
export function rankedIndices(values: ArrayLike<number>, k: number, which: 'top' | 'bottom'): number[] {
  const order: number[] = [];
  for (let i = 0; i < values.length; i++) if (Number.isFinite(values[i]!)) order.push(i);
  const sign = which === 'top' ? -1 : 1;
  order.sort((a, b) => sign * (values[a]! - values[b]!) || a - b);
  return order.slice(0, Math.max(0, k));
}

/** A unit's incoming weights from a kernel whose last axis is the units ([in, units], or [kh, kw, cin, filters]). */
export function incomingWeights(shape: number[], data: Float32Array, unit: number): Float32Array {
  const units = shape[shape.length - 1] ?? 1;
  if (unit < 0 || unit >= units) throw new RangeError(`unit ${unit} is outside the kernel's ${units} units`);
  const fanIn = data.length / units;
  const out = new Float32Array(fanIn);
  for (let i = 0; i < fanIn; i++) out[i] = data[i * units + unit]!;
  return out;
}

/**
 * Each unit's weights as a small image: for a dense layer whose input is an image flattened
 * ([h, w, c] → h·w·c), its incoming weights in that shape; for a conv layer, its filter
 * (kh × kw, input channels side by side unless there are 3). Null for other layers.
 */
export function weightImages(type: string, shape: number[], data: Float32Array, imageShape: number[] | null): InspectLayerView['images'] {
  let count: number;
  let height: number;
  let width: number;
  let channels: 1 | 3;
  let pixel: (unit: number, row: number, col: number, ch: number) => number;
  if (type === 'dense' && imageShape && shape.length === 2 && shape[0] === imageShape.reduce((a, b) => a * b, 1)) {
    const [h, w, c] = imageShape as [number, number, number];
    const units = shape[1]!;
    count = units;
    height = h;
    width = w;
    channels = c === 3 ? 3 : 1;
    // Flatten is row-major over [h, w, c]: input index (row·w + col)·c + ch.
    pixel = (unit, row, col, ch) => data[((row * w + col) * c + ch) * units + unit]!;
  } else if (type === 'conv2d' && shape.length === 4) {
    const [kh, kw, cin, filters] = shape as [number, number, number, number];
    count = filters;
    height = kh;
    channels = cin === 3 ? 3 : 1;
    width = channels === 3 ? kw : kw * cin;
    pixel = (unit, row, col, ch) => {
      const [x, inChannel] = channels === 3 ? [col, ch] : [col % kw, Math.floor(col / kw)];
      return data[((row * kw + x) * cin + inChannel) * filters + unit]!;
    };
  } else {
    return null;
  }
  const out = new Float32Array(count * height * width * channels);
  let scale = 0;
  let at = 0;
  for (let u = 0; u < count; u++) {
    for (let row = 0; row < height; row++) {
      for (let col = 0; col < width; col++) {
        for (let ch = 0; ch < channels; ch++) {
          const v = pixel(u, row, col, ch);
          out[at++] = v;
          if (Number.isFinite(v)) scale = Math.max(scale, Math.abs(v));
        }
      }
    }
  }
  return { count, height, width, channels, scale, data: out };
}

/**
 * The first snapshot from which on a unit never fires again (active fraction 0 there and at
 * every later snapshot); null when it fires at the last one.
 */
export function diedAt(history: { step: number; active: number }[]): number | null {
  let at: number | null = null;
  for (let i = history.length - 1; i >= 0; i--) {
    if (history[i]!.active > 0) break;
    at = history[i]!.step;
  }
  return at;
}

/** A sample of an image dataset as u8 pixels (stored values other than u8 scaled from their range). */
export function sampleImage(ds: Dataset, index: number): { height: number; width: number; channels: 1 | 3; bytes: Uint8Array } | null {
  const shape = ds.inputShape;
  if (!(shape.length === 3 && (shape[2] === 1 || shape[2] === 3))) return null;
  const size = shape[0]! * shape[1]! * shape[2]!;
  const values = ds.splits.train.x.subarray(index * size, (index + 1) * size);
  const bytes = new Uint8Array(size);
  if (values instanceof Uint8Array) bytes.set(values);
  else {
    const span = ds.stats.max - ds.stats.min || 1;
    for (let p = 0; p < size; p++) bytes[p] = Math.round(Math.min(1, Math.max(0, (values[p]! - ds.stats.min) / span)) * 255);
  }
  return { height: shape[0]!, width: shape[1]!, channels: shape[2] as 1 | 3, bytes };
}

/** A training sample's label: its class name, or its regression target(s). */
export function sampleLabel(ds: Dataset, index: number): string | null {
  const y = ds.splits.train.y;
  if (ds.task === 'classification') {
    const c = y[index]!;
    return ds.classNames?.[c] ?? String(c);
  }
  const values = Array.from(y.subarray(index * ds.targetDim, (index + 1) * ds.targetDim), (v) => Number(v.toPrecision(4)));
  return values.join(', ');
}
