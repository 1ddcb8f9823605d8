/** Sample images (u8 grayscale or RGB, row-major) as the RGBA pixels a canvas takes. */

/** width × height × 4 bytes of opaque RGBA from width × height × channels bytes. */
export function toRgba(bytes: Uint8Array, width: number, height: number, channels: 1 | 3, out?: Uint8ClampedArray): Uint8ClampedArray {
  const n = width * height;
  if (bytes.length < n * channels) throw new RangeError(`toRgba: ${bytes.length} bytes for a ${width}×${height}×${channels} image (needs ${n * channels})`);
  const rgba = out ?? new Uint8ClampedArray(n * 4);
  for (let p = 0; p < n; p++) {
    const at = p * 4;
    if (channels === 1) {
      const v = bytes[p]!;
      rgba[at] = v;
      rgba[at + 1] = v;
      rgba[at + 2] = v;
    } else {
      rgba[at] = bytes[p * 3]!;
      rgba[at + 1] = bytes[p * 3 + 1]!;
      rgba[at + 2] = bytes[p * 3 + 2]!;
    }
    rgba[at + 3] = 255;
  }
  return rgba;
}
