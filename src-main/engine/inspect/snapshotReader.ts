/**
 * Reads a snapshot's weights without reading its probe activations: the header first, then
 * each weight tensor at its offset. A CNN's snapshot is mostly activations (tens of MB);
 * its weights are a small part. The few snapshots read last are kept.
 */
import { closeSync, openSync, readSync, statSync } from 'node:fs';

export interface SnapshotWeights {
  metadata: Record<string, string>;
  tensors: Map<string, { shape: number[]; data: Float32Array }>;
}

/** Snapshots kept decoded: enough for a unit's weights across a run's snapshots, on small nets. */
const CACHED = 16;
const cache = new Map<string, SnapshotWeights>();
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function readExactly(fd: number, length: number, position: number, path: string): Uint8Array {
  const out = new Uint8Array(length);
  let done = 0;
  while (done < length) {
    const n = readSync(fd, out, done, length - done, position + done);
    if (n === 0) throw new Error(`${path}: ends after ${position + done} bytes, its header promises more`);
    done += n;
  }
  return out;
}

interface Entry {
  dtype: string;
  shape: number[];
  data_offsets: [number, number];
}

function readHeader(fd: number, path: string, size: number): { header: Record<string, unknown>; base: number } {
  if (size < 8) throw new Error(`${path}: ${size} bytes, shorter than the 8-byte header length`);
  const length = Number(new DataView(readExactly(fd, 8, 0, path).buffer).getBigUint64(0, true));
  if (length > size - 8) throw new Error(`${path}: header of ${length} bytes in a ${size}-byte file`);
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(new TextDecoder().decode(readExactly(fd, length, 8, path))) as Record<string, unknown>;
  } catch (error) {
    throw new Error(`${path}: the header is not JSON (${(error as Error).message})`);
  }
  return { header, base: 8 + length };
}

/** The weight tensors (every tensor but the `…/activation` ones) and the metadata of a snapshot file. */
export function readSnapshotWeights(path: string): SnapshotWeights {
  const { size, mtimeMs } = statSync(path);
  const key = `${path}|${size}|${mtimeMs}`;
  const cached = cache.get(key);
  if (cached) {
    cache.delete(key);
    cache.set(key, cached);
    return cached;
  }
  const fd = openSync(path, 'r');
  try {
    const { header, base } = readHeader(fd, path, size);
    const tensors = new Map<string, { shape: number[]; data: Float32Array }>();
    let metadata: Record<string, string> = {};
    for (const [name, value] of Object.entries(header)) {
      if (name === '__metadata__') {
        metadata = value as Record<string, string>;
        continue;
      }
      if (name.endsWith('/activation')) continue;
      const { dtype, shape, data_offsets: offsets } = value as Entry;
      if (dtype !== 'F32') throw new Error(`${path}: tensor "${name}" is ${dtype}; only F32 is read`);
      const [start, end] = offsets;
      const count = shape.reduce((a, b) => a * b, 1);
      if (start < 0 || end < start || base + end > size || end - start !== 4 * count) throw new Error(`${path}: tensor "${name}" has ${end - start} bytes at ${start} for shape [${shape.join(', ')}]`);
      const bytes = readExactly(fd, end - start, base + start, path);
      let data: Float32Array;
      if (LITTLE_ENDIAN) data = new Float32Array(bytes.buffer, 0, count);
      else {
        const view = new DataView(bytes.buffer);
        data = new Float32Array(count);
        for (let i = 0; i < count; i++) data[i] = view.getFloat32(4 * i, true);
      }
      tensors.set(name, { shape, data });
    }
    const result = { metadata, tensors };
    cache.set(key, result);
    while (cache.size > CACHED) cache.delete(cache.keys().next().value as string);
    return result;
  } finally {
    closeSync(fd);
  }
}

/** A snapshot's metadata (step, epoch) from its header alone. */
export function readSnapshotMetadata(path: string): Record<string, string> {
  const fd = openSync(path, 'r');
  try {
    const { header } = readHeader(fd, path, statSync(path).size);
    return (header['__metadata__'] as Record<string, string> | undefined) ?? {};
  } finally {
    closeSync(fd);
  }
}
