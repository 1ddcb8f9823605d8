/**
 * Writing NumPy files: `.npy` (format 1.0, C order, little-endian) and `.npz` (a zip of `.npy`
 * members, stored, as np.savez writes it). The conventions are those datasets/numpyReader.ts
 * reads: descr '<f4', '<i4', '|u1'; the header dict padded with spaces to a multiple of 64 bytes
 * and ended by '\n'. Format: https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html
 */
import { crc32 } from 'node:zlib';

export type NpyValues = Float32Array | Int32Array | Uint8Array;

export interface NpyEntry {
  /** The member's name without `.npy` (`x_train`). */
  name: string;
  shape: number[];
  values: NpyValues;
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY
/** A stored zip's sizes and offsets are 32-bit without zip64; np.load reads such files. */
const ZIP_LIMIT = 0xffff_ffff;

function descrOf(values: NpyValues): string {
  if (values instanceof Float32Array) return '<f4';
  if (values instanceof Int32Array) return '<i4';
  return '|u1';
}

/** One array as a `.npy` file's bytes. Throws when the shape does not hold the values. */
export function encodeNpy(shape: number[], values: NpyValues): Uint8Array {
  const count = shape.reduce((a, b) => a * b, 1);
  if (count !== values.length) throw new Error(`npy: shape [${shape.join(', ')}] holds ${count} values, got ${values.length}`);
  // numpy writes a 1-tuple with its trailing comma: (5,)
  const tuple = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '${descrOf(values)}', 'fortran_order': False, 'shape': ${tuple}, }`;
  // Magic (6) + version (2) + length (2) + header + '\n' lands on a multiple of 64.
  const total = Math.ceil((10 + header.length + 1) / 64) * 64;
  header = `${header.padEnd(total - 10 - 1, ' ')}\n`;
  if (header.length > 0xffff) throw new Error(`npy: a header of ${header.length} bytes needs format 2.0`);
  const body = new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
  const out = new Uint8Array(10 + header.length + body.length);
  out.set(MAGIC, 0);
  out[6] = 1;
  out[7] = 0;
  new DataView(out.buffer).setUint16(8, header.length, true);
  for (let i = 0; i < header.length; i++) out[10 + i] = header.charCodeAt(i);
  // Typed arrays are in the machine's byte order; every machine Node runs on is little-endian.
  out.set(body, 10 + header.length);
  return out;
}

/** Arrays as an uncompressed `.npz` (zip, stored): np.load(path)['x_train'] reads them back. */
export function encodeNpz(entries: NpyEntry[]): Uint8Array {
  const names = new Set<string>();
  const local: Uint8Array[] = [];
  const central: Uint8Array[] = [];
  let offset = 0;
  for (const entry of entries) {
    if (names.has(entry.name)) throw new Error(`npz: "${entry.name}" twice`);
    names.add(entry.name);
    const data = encodeNpy(entry.shape, entry.values);
    const name = Buffer.from(`${entry.name}.npy`, 'utf8');
    const crc = crc32(data);
    if (data.length > ZIP_LIMIT || offset > ZIP_LIMIT) throw new Error(`npz: "${entry.name}" ends past 4 GiB, beyond what a zip without zip64 holds`);
    const head = new Uint8Array(30 + name.length);
    const h = new DataView(head.buffer);
    h.setUint32(0, 0x04034b50, true); // local file header
    h.setUint16(4, 20, true); // version needed: 2.0
    h.setUint16(8, 0, true); // stored
    h.setUint16(10, 0, true); // time
    h.setUint16(12, 0x21, true); // date: 1980-01-01
    h.setUint32(14, crc, true);
    h.setUint32(18, data.length, true);
    h.setUint32(22, data.length, true);
    h.setUint16(26, name.length, true);
    head.set(name, 30);
    const dir = new Uint8Array(46 + name.length);
    const d = new DataView(dir.buffer);
    d.setUint32(0, 0x02014b50, true); // central directory entry
    d.setUint16(4, 20, true);
    d.setUint16(6, 20, true);
    d.setUint16(14, 0x21, true);
    d.setUint32(16, crc, true);
    d.setUint32(20, data.length, true);
    d.setUint32(24, data.length, true);
    d.setUint16(28, name.length, true);
    d.setUint32(42, offset, true);
    dir.set(name, 46);
    local.push(head, data);
    central.push(dir);
    offset += head.length + data.length;
  }
  const centralSize = central.reduce((a, b) => a + b.length, 0);
  const end = new Uint8Array(22);
  const e = new DataView(end.buffer);
  e.setUint32(0, 0x06054b50, true);
  e.setUint16(8, entries.length, true);
  e.setUint16(10, entries.length, true);
  e.setUint32(12, centralSize, true);
  e.setUint32(16, offset, true);
  return Buffer.concat([...local, ...central, end]);
}
