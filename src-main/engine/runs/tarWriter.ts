/**
 * A minimal POSIX ustar archive writer: regular files only, names under 100 bytes. Enough to
 * hand a model folder (model.json + weights.bin) over as one download; `tar -xf` reads it.
 */

function octal(value: number, width: number): string {
  return `${value.toString(8).padStart(width - 1, '0')}\0`;
}

function header(name: string, size: number, mtime: number): Uint8Array {
  const block = new Uint8Array(512);
  const put = (text: string, at: number): void => block.set(new TextEncoder().encode(text), at);
  if (new TextEncoder().encode(name).length >= 100) throw new Error(`tar: the name "${name}" is 100 bytes or longer`);
  put(name, 0);
  put(octal(0o644, 8), 100); // mode
  put(octal(0, 8), 108); // uid
  put(octal(0, 8), 116); // gid
  put(octal(size, 12), 124);
  put(octal(Math.floor(mtime / 1000), 12), 136);
  put('        ', 148); // checksum, counted as spaces
  put('0', 156); // regular file
  put('ustar\u000000', 257);
  let sum = 0;
  for (const byte of block) sum += byte;
  put(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
  return block;
}

/** The archive of the given files, in order. */
export function tarFiles(files: { name: string; data: Uint8Array }[], mtime = Date.now()): Uint8Array {
  const size = files.reduce((n, f) => n + 512 + Math.ceil(f.data.length / 512) * 512, 0) + 1024;
  const out = new Uint8Array(size);
  let at = 0;
  for (const f of files) {
    out.set(header(f.name, f.data.length, mtime), at);
    at += 512;
    out.set(f.data, at);
    at += Math.ceil(f.data.length / 512) * 512;
  }
  return out; // ends with two zero blocks
}
