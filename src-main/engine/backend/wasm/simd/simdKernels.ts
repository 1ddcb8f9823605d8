/**
 * Trainbench's own WebAssembly SIMD kernels (the .wat files here, compiled into kernelsBinary.ts), instantiated on the tfjs wasm
 * backend's memory so that they read and write tensors in place: a kernel gets byte offsets
 * into the backend's heap (`heapOffset`), no copy in or out.
 *
 * One instance per backend (each kernel worker thread has its own backend and heap). Where the
 * module cannot be instantiated (a runtime without wasm SIMD, or a wasm backend whose memory is
 * not reachable), `simdKernels` returns null and says why once in `simdUnavailable`; callers
 * keep their XNNPACK or JavaScript path.
 */
import { KERNELS_WASM_BASE64 } from './kernelsBinary';
import type { Info } from '../kernelOps';

export interface SimdKernels {
  /**
   * The forward convolution: out[outOff + q·N·4 + col] = Σ_(tap < taps) Σ_(ch < c) A[aOff + q·aK + rows[tap] + 4·ch] ·
   * W[tap·c + ch, col] for each position q < len of each run (aOff, outOff, len: int32 triples); float32,
   * byte offsets, c ≥ 1, N % 4 == 0; the sums start from the bias [N] at `bias` (0: none) and, with relu ≠ 0,
   * end in max(·, 0).
   */
  convRuns(a: number, rows: number, taps: number, c: number, aK: number, w: number, n: number, out: number, runs: number, nRuns: number, bias: number, relu: number): void;
  /**
   * out[T, N] = Σ over runs Σ_(k < len) A[aOff + rows[t] + k·aK] · B[bOff + k·bK + col]: `rows` is T
   * int32 byte offsets, `runs` nRuns triples (aOff, bOff, len) of int32, summed in blocks of `block`
   * runs (float32, byte offsets; N % 4 == 0).
   */
  gemmRuns(a: number, rows: number, t: number, aK: number, b: number, bK: number, n: number, out: number, runs: number, nRuns: number, block: number): void;
  /**
   * MaxPoolGrad of 2×2 windows at stride 2 tiling x [bands·2, 2·ow, c] exactly: every dx element
   * written, dy (g [bands, ow, c]) at each window's first element ≥ its maximum m, 0 elsewhere
   * and for −∞ or NaN maxima (float32, byte offsets; c % 4 == 0).
   */
  maxPoolGrad2x2(x: number, m: number, g: number, dx: number, bands: number, ow: number, c: number): void;
  /**
   * out[cols] = Σ over rows of x [rows, cols], in float64 on `acc` (8·min(cols, block) bytes of
   * scratch) in the order of reductions.ts's JavaScript loop, blocks of `block` columns (float32
   * x and out, byte offsets; cols and block % 4 == 0).
   */
  sumRows(x: number, rows: number, cols: number, out: number, acc: number, block: number): void;
  /** out[r, j] = a[r, j] + b[j] for [outer, inner] a and out (float32, byte offsets; inner % 4 == 0). */
  addRows(a: number, b: number, out: number, outer: number, inner: number): void;
  /** Σ x² over n float32 at x, in float64. */
  sumSquares(x: number, n: number): number;
  /** [Σ a², Σ (a − b)²] over n float32 at a and b, in float64. */
  squaresAndDistance(a: number, b: number, n: number): [number, number];
}

interface BackendInternals {
  wasm?: { asm?: { memory?: unknown } };
  getMemoryOffset(dataId: object): number;
}

const instances = new WeakMap<object, SimdKernels | null>();
let module: WebAssembly.Module | null | undefined;
let unavailable: string | null = null;

/** Why the SIMD kernels could not run on the last backend that refused them; null while none has. */
export function simdUnavailable(): string | null {
  return unavailable;
}

function compiled(): WebAssembly.Module | null {
  if (module !== undefined) return module;
  try {
    module = new WebAssembly.Module(Uint8Array.from(atob(KERNELS_WASM_BASE64), (ch) => ch.charCodeAt(0)));
  } catch (error) {
    module = null;
    unavailable = `this runtime cannot compile WebAssembly SIMD: ${(error as Error).message}`;
  }
  return module;
}

/** The kernels on `backend`'s heap, or null (see `simdUnavailable`). */
export function simdKernels(backend: unknown): SimdKernels | null {
  const key = backend as object;
  const known = instances.get(key);
  if (known !== undefined) return known;
  let kernels: SimdKernels | null = null;
  const memory = (backend as BackendInternals).wasm?.asm?.memory;
  const wasmModule = compiled();
  if (!(memory instanceof WebAssembly.Memory)) {
    unavailable = 'the tfjs wasm backend does not expose its memory (Module.asm.memory)';
  } else if (wasmModule) {
    try {
      const instance = new WebAssembly.Instance(wasmModule, { env: { memory } });
      // A plain copy (the exports object is frozen), so that a test can watch a kernel's calls.
      kernels = { ...(instance.exports as unknown as SimdKernels) };
    } catch (error) {
      // The threaded wasm build's memory is shared, which this module's import is not.
      unavailable = `the SIMD kernels cannot use this wasm backend's memory: ${(error as Error).message}`;
    }
  }
  instances.set(key, kernels);
  return kernels;
}

/** The byte offset of a tensor's data in the wasm backend's heap. */
export function heapOffset(backend: unknown, info: Info): number {
  return (backend as BackendInternals).getMemoryOffset(info.dataId);
}
