/** Builders for dataset files, good and malformed, written by the tests into a temp folder. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { gzipSync } from 'node:zlib';
import { PNG } from 'pngjs';
import * as jpeg from 'jpeg-js';
import { mulberry32 } from '../../../src-main/engine/datasets/builtin';

export const TYPE = { u8: 0x08, i8: 0x09, i16: 0x0b, i32: 0x0c, f32: 0x0d, f64: 0x0e } as const;
const WIDTH = { u8: 1, i8: 1, i16: 2, i32: 4, f32: 4, f64: 8 } as const;

/** An IDX header: 0x00 0x00, the type byte, the dimension count, then big-endian u32 dims. */
export function idxHeader(type: number, dims: number[], ndims = dims.length): Buffer {
  const b = Buffer.alloc(4 + 4 * dims.length);
  b[2] = type;
  b[3] = ndims;
  dims.forEach((d, i) => b.writeUInt32BE(d >>> 0, 4 + 4 * i));
  return b;
}

/** A whole IDX file of the given values, big-endian. */
export function idx(type: keyof typeof TYPE, dims: number[], values: ArrayLike<number>): Buffer {
  const width = WIDTH[type];
  const data = Buffer.alloc(values.length * width);
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (type === 'u8') data.writeUInt8(v, i);
    else if (type === 'i8') data.writeInt8(v, i);
    else if (type === 'i16') data.writeInt16BE(v, 2 * i);
    else if (type === 'i32') data.writeInt32BE(v, 4 * i);
    else if (type === 'f32') data.writeFloatBE(v, 4 * i);
    else data.writeDoubleBE(v, 8 * i);
  }
  return Buffer.concat([idxHeader(TYPE[type], dims), data]);
}

/** n seeded 0..255 pixel values. */
export function pixels(n: number, seed = 1): number[] {
  const r = mulberry32(seed);
  return Array.from({ length: n }, () => Math.floor(r() * 256));
}

/** Labels 0..classes-1 cycling. */
export function labels(n: number, classes = 10): number[] {
  return Array.from({ length: n }, (_, i) => i % classes);
}

export const gz = (b: Buffer): Buffer => gzipSync(b);

export function write(path: string, content: Buffer | string): string {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, content);
  return path;
}

/** A PNG of w × h, grayscale (1) or RGBA from RGB (3), filled by f(x, y) → [r, g, b]. */
export function png(w: number, h: number, f: (x: number, y: number) => [number, number, number]): Buffer {
  const img = new PNG({ width: w, height: h });
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      const [r, g, b] = f(x, y);
      const i = 4 * (y * w + x);
      img.data[i] = r;
      img.data[i + 1] = g;
      img.data[i + 2] = b;
      img.data[i + 3] = 255;
    }
  return PNG.sync.write(img);
}

export function jpg(w: number, h: number, f: (x: number, y: number) => [number, number, number]): Buffer {
  const data = Buffer.alloc(w * h * 4);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      const [r, g, b] = f(x, y);
      const i = 4 * (y * w + x);
      data[i] = r;
      data[i + 1] = g;
      data[i + 2] = b;
      data[i + 3] = 255;
    }
  return jpeg.encode({ width: w, height: h, data }, 95).data;
}
