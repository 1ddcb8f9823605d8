// Our safetensors writer and reader against numpy: the fixtures in test/fixtures/safetensors
// were made by make-fixture.mjs (our encoder) and make_fixture.py (numpy writes one file and
// reads both). Bits are compared, not values: NaN, -0 and subnormals must survive exactly.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeSafetensors, encodeSafetensors } from '../../src-main/engine/runs/safetensors';
import { metadata, tensors } from '../fixtures/safetensors/tensors';

const FIXTURES = join(__dirname, '..', 'fixtures', 'safetensors');

interface NumpyRead {
  metadata: Record<string, string>;
  tensors: Record<string, { dtype: string; shape: number[]; bits: number[] }>;
}

const numpyRead = (name: string): NumpyRead => JSON.parse(readFileSync(join(FIXTURES, `${name}.numpy-read.json`), 'utf8')) as NumpyRead;
const bitsOf = (data: Float32Array): number[] => Array.from(new Uint32Array(data.buffer, data.byteOffset, data.length));

/** The plainest reader there is, independent of ours: u64 LE length, JSON, little-endian u32 bit patterns. */
function plainRead(bytes: Uint8Array): NumpyRead {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = Number(view.getBigUint64(0, true));
  const header = JSON.parse(Buffer.from(bytes.subarray(8, 8 + n)).toString('utf8')) as Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }>;
  const { __metadata__: meta, ...entries } = header as Record<string, unknown>;
  const out: NumpyRead = { metadata: (meta ?? {}) as Record<string, string>, tensors: {} };
  for (const [name, raw] of Object.entries(entries)) {
    const entry = raw as { dtype: string; shape: number[]; data_offsets: [number, number] };
    const bits: number[] = [];
    for (let at = 8 + n + entry.data_offsets[0]; at < 8 + n + entry.data_offsets[1]; at += 4) bits.push(view.getUint32(at, true));
    out.tensors[name] = { dtype: entry.dtype, shape: entry.shape, bits };
  }
  return out;
}

describe('safetensors against numpy', () => {
  it('our encoder writes, byte for byte, the file numpy read', () => {
    const ours = readFileSync(join(FIXTURES, 'ours.safetensors'));
    expect(Buffer.from(encodeSafetensors(tensors(), metadata)).equals(ours)).toBe(true);
    expect(plainRead(new Uint8Array(ours))).toEqual(numpyRead('ours'));
  });

  it('our decoder reads what numpy wrote, bit for bit', () => {
    const bytes = new Uint8Array(readFileSync(join(FIXTURES, 'numpy.safetensors')));
    const expected = numpyRead('numpy');
    expect(plainRead(bytes)).toEqual(expected);
    const decoded = decodeSafetensors(bytes, 'numpy.safetensors');
    expect(decoded.metadata).toEqual(expected.metadata);
    expect([...decoded.tensors.keys()].sort()).toEqual(Object.keys(expected.tensors).sort());
    for (const [name, t] of Object.entries(expected.tensors)) {
      const ours = decoded.tensors.get(name)!;
      expect(ours.shape, name).toEqual(t.shape);
      expect(bitsOf(ours.data), name).toEqual(t.bits);
    }
  });

  it('our decoder reads our own file as numpy did', () => {
    const decoded = decodeSafetensors(new Uint8Array(readFileSync(join(FIXTURES, 'ours.safetensors'))));
    for (const [name, t] of Object.entries(numpyRead('ours').tensors)) {
      expect(decoded.tensors.get(name)!.shape, name).toEqual(t.shape);
      expect(bitsOf(decoded.tensors.get(name)!.data), name).toEqual(t.bits);
    }
  });
});
