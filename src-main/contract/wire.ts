/**
 * The WebSocket wire format. Messages without binary parts travel as JSON text. A message
 * holding typed arrays (weights, probe statistics, snapshots) travels as one binary frame:
 *
 *   "TBW1" | u32 LE header length | header JSON | zero padding to 8 | parts, each 8-aligned
 *
 * where each typed array in the JSON is replaced by {"$bin": i, "type": "Float32Array", "length": n}.
 * Electron IPC and Node IPC need none of this: structured clone carries typed arrays.
 */

const MAGIC = [0x54, 0x42, 0x57, 0x31]; // "TBW1"
const ALIGN = 8;

const TYPES = {
  Float32Array,
  Float64Array,
  Int32Array,
  Uint8Array,
  Int8Array,
  Int16Array,
  Uint16Array,
  Uint32Array,
} as const;
type TypeName = keyof typeof TYPES;
type AnyTyped = InstanceType<(typeof TYPES)[TypeName]>;

function typeName(value: unknown): TypeName | null {
  if (!ArrayBuffer.isView(value)) return null;
  for (const name of Object.keys(TYPES) as TypeName[]) if (value instanceof TYPES[name]) return name;
  return null;
}

const pad = (n: number): number => (n + ALIGN - 1) & ~(ALIGN - 1);

/** Encodes a message: a string when it holds no typed arrays, else one binary frame. */
export function encodeWire(message: unknown): string | Uint8Array {
  const parts: AnyTyped[] = [];
  const json = JSON.stringify(message, (_key, value: unknown) => {
    const name = typeName(value);
    if (!name) return value;
    parts.push(value as AnyTyped);
    return { $bin: parts.length - 1, type: name, length: (value as AnyTyped).length };
  });
  if (parts.length === 0) return json;
  const header = new TextEncoder().encode(json);
  let size = pad(8 + header.length);
  const offsets = parts.map((part) => {
    const at = size;
    size = pad(size + part.byteLength);
    return at;
  });
  const frame = new Uint8Array(size);
  frame.set(MAGIC, 0);
  new DataView(frame.buffer).setUint32(4, header.length, true);
  frame.set(header, 8);
  parts.forEach((part, i) => frame.set(new Uint8Array(part.buffer, part.byteOffset, part.byteLength), offsets[i]!));
  return frame;
}

export class WireError extends Error {}

/** Decodes what encodeWire produced; throws WireError on anything malformed. */
export function decodeWire(data: string | ArrayBuffer | Uint8Array): unknown {
  if (typeof data === 'string') return JSON.parse(data);
  const bytes = data instanceof Uint8Array ? data : new Uint8Array(data);
  if (bytes.length < 8 || MAGIC.some((b, i) => bytes[i] !== b)) throw new WireError('binary frame without the TBW1 magic');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = view.getUint32(4, true);
  if (8 + headerLength > bytes.length) throw new WireError(`binary frame header of ${headerLength} bytes exceeds the frame (${bytes.length})`);
  const json = new TextDecoder().decode(bytes.subarray(8, 8 + headerLength));
  let cursor = pad(8 + headerLength);
  let expected = 0;
  return JSON.parse(json, (_key, value: unknown) => {
    if (!value || typeof value !== 'object' || !('$bin' in value)) return value;
    const ref = value as { $bin: unknown; type: unknown; length: unknown };
    if (ref.$bin !== expected || typeof ref.type !== 'string' || !(ref.type in TYPES) || typeof ref.length !== 'number' || !Number.isSafeInteger(ref.length) || ref.length < 0) {
      throw new WireError('malformed binary reference');
    }
    expected++;
    const Type = TYPES[ref.type as TypeName];
    const byteLength = ref.length * Type.BYTES_PER_ELEMENT;
    if (cursor + byteLength > bytes.length) throw new WireError(`binary part ${ref.$bin} runs past the end of the frame`);
    // Copy into a fresh, aligned buffer: the frame's offsets are aligned, its own buffer may not be.
    const copy = new Uint8Array(byteLength);
    copy.set(bytes.subarray(cursor, cursor + byteLength));
    cursor = pad(cursor + byteLength);
    return new Type(copy.buffer);
  }) as unknown;
}
