import { describe, expect, it } from 'vitest';
import { decodeWire, encodeWire, WireError } from '@contract';

describe('WebSocket wire format', () => {
  it('sends plain messages as JSON text', () => {
    expect(encodeWire({ a: 1 })).toBe('{"a":1}');
    expect(decodeWire('{"a":1}')).toEqual({ a: 1 });
  });

  it('carries typed arrays as binary, aligned, and back', () => {
    const message = { type: 'event', payload: { w: new Float32Array([1.5, -2, Number.NaN]), ids: new Int32Array([7]), nested: [{ b: new Uint8Array([1, 2, 3]) }], x: 3 } };
    const frame = encodeWire(message);
    expect(frame).toBeInstanceOf(Uint8Array);
    const back = decodeWire(frame as Uint8Array) as typeof message;
    expect(back.payload.w).toBeInstanceOf(Float32Array);
    expect(Array.from(back.payload.w).slice(0, 2)).toEqual([1.5, -2]);
    expect(Number.isNaN(back.payload.w[2])).toBe(true);
    expect(Array.from(back.payload.ids)).toEqual([7]);
    expect(Array.from(back.payload.nested[0]!.b)).toEqual([1, 2, 3]);
    expect(back.payload.x).toBe(3);
    // Decoding from an unaligned view works too (WebSocket buffers are not aligned).
    const shifted = new Uint8Array((frame as Uint8Array).length + 1);
    shifted.set(frame as Uint8Array, 1);
    expect(Array.from((decodeWire(shifted.subarray(1)) as typeof message).payload.w).slice(0, 2)).toEqual([1.5, -2]);
  });

  it('refuses malformed frames with a WireError', () => {
    const frame = encodeWire({ w: new Float32Array(4) }) as Uint8Array;
    const bad: Uint8Array[] = [
      new Uint8Array([1, 2, 3]),
      new Uint8Array(16),
      frame.subarray(0, frame.length - 4),
      (() => {
        const f = frame.slice();
        new DataView(f.buffer).setUint32(4, 1_000_000, true);
        return f;
      })(),
    ];
    for (const b of bad) expect(() => decodeWire(b)).toThrow(WireError);
    const forged = new TextEncoder().encode('{"w":{"$bin":0,"type":"Function","length":1}}');
    const f = new Uint8Array(8 + forged.length);
    f.set([0x54, 0x42, 0x57, 0x31]);
    new DataView(f.buffer).setUint32(4, forged.length, true);
    f.set(forged, 8);
    expect(() => decodeWire(f)).toThrow(WireError);
  });
});
