/**
 * What the wasm gradient kernels share: the types of the wasm backend's kernel calls, `Ops`
 * (runs wasm kernels on tensor infos and releases every intermediate in one place) and
 * `onHeap` (a JavaScript loop over float32 views of the wasm heap).
 *
 * Every kernel works on the wasm backend's own tensor infos: it calls other wasm kernels'
 * `kernelFunc`s directly, releases every intermediate through the backend before returning, and
 * returns one fresh tensor info that the engine wraps as the op's output. Nothing goes through
 * the engine, so nothing is recorded on a gradient tape and `tf.memory()` never sees the
 * intermediates.
 */
import type * as TfModule from '@tensorflow/tfjs';

export type TF = typeof TfModule;
export type Info = TfModule.TensorInfo;
export type Pair = [number, number];
export type Conv2DInfo = TfModule.backend_util.Conv2DInfo;
export type PadAttr = 'same' | 'valid' | number | [[number, number], [number, number], [number, number], [number, number]];
/** The attributes every conv2d kernel (forward and gradients) receives, beside the shapes. */
export type ConvAttrs = {
  strides: number | Pair;
  pad: PadAttr;
  dataFormat?: 'NHWC' | 'NCHW';
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  dilations?: number | Pair;
};

/** The part of the wasm backend these kernels use. */
export interface WasmBackendLike {
  disposeData(dataId: object, force?: boolean): boolean;
}
export interface WasmBackendFull extends WasmBackendLike {
  makeOutput(shape: number[], dtype: string, memoryOffset?: number, values?: Float32Array): Info;
  typedArrayFromHeap(info: Info): Float32Array;
}

export type KernelArgs = { inputs: Record<string, Info | undefined>; backend: unknown; attrs?: Record<string, unknown> };
export type KernelFn = (args: KernelArgs) => Info | Info[];

export const BACKEND = 'wasm';

/**
 * Runs wasm kernels on tensor infos and remembers every output, so that all intermediates are
 * released in one place. Each output of a kernelFunc holds exactly one backend reference
 * (reshape-like kernels take one with `incRef`), so each is released exactly once.
 */
export class Ops {
  private readonly temps: Info[] = [];

  constructor(
    private readonly tf: TF,
    private readonly backend: WasmBackendLike,
  ) {}

  run(name: string, inputs: Record<string, Info | undefined> | Info[], attrs: Record<string, unknown> = {}, fn?: KernelFn): Info {
    const kernel = fn ?? (this.tf.getKernel(name, BACKEND)?.kernelFunc as KernelFn | undefined);
    if (!kernel) throw new Error(`wasm kernel "${name}" is not registered`);
    const out = kernel({ inputs: inputs as KernelArgs['inputs'], backend: this.backend, attrs });
    if (Array.isArray(out)) throw new Error(`wasm kernel "${name}" returned several outputs`);
    this.temps.push(out);
    return out;
  }

  reshape(x: Info, shape: number[]): Info {
    return this.run('Reshape', { x }, { shape });
  }
  /**
   * `Transpose`. A plain matrix transpose ([R, C] → [C, R], size-1 axes aside) is run as a
   * rank-3 one ([R/128, 128, C] → [C, R/128, 128], or [R, C/8, 8] → [C/8, 8, R]): the wasm
   * kernel's rank-2 loop is 2-5x slower than its rank-3 loop on the same data.
   */
  transpose(x: Info, perm: number[]): Info {
    const kept = perm.filter((axis) => x.shape[axis] !== 1);
    if (kept.length === 2 && kept[0]! > kept[1]!) {
      const rows = x.shape[kept[1]!]!;
      const cols = x.shape[kept[0]!]!;
      const outShape = perm.map((axis) => x.shape[axis]!);
      const split = [128, 32].find((r) => rows % r === 0 && rows > r);
      if (split) {
        const t = this.run('Transpose', { x: this.reshape(x, [rows / split, split, cols]) }, { perm: [2, 0, 1] });
        return this.reshape(t, outShape);
      }
      if (cols % 8 === 0 && cols > 8) {
        const t = this.run('Transpose', { x: this.reshape(x, [rows, cols / 8, 8]) }, { perm: [1, 2, 0] });
        return this.reshape(t, outShape);
      }
    }
    return this.run('Transpose', { x }, { perm });
  }
  /** `PadV2`, or for zeros around the rows and columns of a float32 NHWC tensor, `padRows`. */
  pad(x: Info, paddings: Pair[], constantValue = 0): Info {
    const [b, h, w, c] = paddings;
    if (constantValue === 0 && x.dtype === 'float32' && x.shape.length === 4 && b![0] === 0 && b![1] === 0 && c![0] === 0 && c![1] === 0) {
      const backend = this.backend as WasmBackendFull;
      return this.run('', {}, {}, () => padRows(backend, x, x.shape[1]! + h![0] + h![1], x.shape[2]! + w![0] + w![1], h![0], w![0]));
    }
    return this.run('PadV2', { x }, { paddings, constantValue });
  }
  slice(x: Info, begin: number[], size: number[]): Info {
    return this.run('Slice', { x }, { begin, size });
  }
  conv2d(x: Info, filter: Info, strides: Pair, dilations: Pair): Info {
    return this.run('Conv2D', { x, filter }, { strides, pad: 'valid', dataFormat: 'NHWC', dilations, dimRoundingMode: undefined });
  }

  /** Pads with zeros where `pads` is positive and crops where it is negative, per axis. */
  padOrCrop(x: Info, pads: Pair[]): Info {
    let out = x;
    if (pads.some(([a, b]) => a > 0 || b > 0)) {
      out = this.pad(out, pads.map(([a, b]) => [Math.max(a, 0), Math.max(b, 0)] as Pair));
    }
    if (pads.some(([a, b]) => a < 0 || b < 0)) {
      const begin = pads.map(([a]) => Math.max(-a, 0));
      const size = out.shape.map((d, i) => d - begin[i]! - Math.max(-pads[i]![1], 0));
      out = this.slice(out, begin, size);
    }
    return out;
  }

  /** Releases every intermediate except `result`, which is handed to the caller. */
  finish(result: Info): Info {
    let kept = false;
    for (const t of this.temps) {
      if (t === result && !kept) kept = true;
      else this.backend.disposeData(t.dataId);
    }
    this.temps.length = 0;
    if (!kept) throw new Error('internal: result is not an output of this kernel');
    return result;
  }

  releaseAll(): void {
    for (const t of this.temps) this.backend.disposeData(t.dataId);
    this.temps.length = 0;
  }
}

export function withOps(tf: TF, backend: unknown, body: (ops: Ops) => Info): Info {
  const ops = new Ops(tf, backend as WasmBackendLike);
  try {
    return ops.finish(body(ops));
  } catch (error) {
    ops.releaseAll();
    throw error;
  }
}

export const prod = (shape: number[]): number => shape.reduce((a, b) => a * b, 1);

/** The wasm backend's bookkeeping that views of part of a tensor need. */
interface WasmInternals {
  getMemoryOffset(dataId: object): number;
  dataIdMap: { get(dataId: object): { id: number } | undefined; delete(dataId: object): boolean };
  wasm: { tfjs: { disposeData(id: number): void } };
}

/**
 * A float32 tensor info of `shape` over `info`'s elements from `offset` on, sharing its memory
 * (the wasm backend's `makeOutput` with a memory offset registers memory it did not allocate;
 * the same trick as batchSplit.ts's part views). Must be released with `releaseView`, never
 * `disposeData`, which would free the memory it shares, and never passed to a kernel that
 * reshapes it (a `Reshape` output shares the view's record).
 */
export function heapView(backend: unknown, info: Info, offset: number, shape: number[]): Info {
  const internals = backend as WasmInternals;
  if (offset < 0 || offset + prod(shape) > prod(info.shape)) throw new Error(`internal: view [${shape}] at ${offset} outside [${info.shape}]`);
  const at = internals.getMemoryOffset(info.dataId) + offset * 4;
  return (backend as WasmBackendFull).makeOutput(shape, info.dtype, at);
}

/**
 * Forgets a view: the backend's record of it (and any XNNPACK operator cached on its id), not the
 * memory, which its tensor still owns.
 */
export function releaseView(backend: unknown, view: Info): void {
  const internals = backend as WasmInternals;
  const record = internals.dataIdMap.get(view.dataId);
  if (!record) return;
  internals.wasm.tfjs.disposeData(record.id);
  internals.dataIdMap.delete(view.dataId);
}

/** The geometry of a conv2d of an NHWC input of `inShape` with a filter of `filterShape` (the kernels' attributes). */
export function nhwcConvInfo(tf: TF, inShape: number[], filterShape: number[], attrs: ConvAttrs): Conv2DInfo {
  type Shape4 = [number, number, number, number];
  return tf.backend_util.computeConv2DInfo(inShape as Shape4, filterShape as Shape4, attrs.strides, attrs.dilations ?? 1, attrs.pad, attrs.dimRoundingMode, false, 'channelsLast');
}

/** An int32 table on the heap, filled by `fill` (after the allocation: it may grow the heap). */
export function intTable(ops: Ops, backend: unknown, length: number, fill: (view: Int32Array) => void): Info {
  const wasm = backend as WasmBackendFull;
  const table = ops.run('', {}, {}, () => wasm.makeOutput([length], 'int32'));
  fill(wasm.typedArrayFromHeap(table) as unknown as Int32Array);
  return table;
}

/** NCHW → NHWC for a shape. */
export const toNHWC = (s: number[]): number[] => [s[0]!, s[2]!, s[3]!, s[1]!];

/**
 * Runs `body` on float32 views of the wasm heap: the inputs and one new output of `outShape`
 * (zero-filled unless `zero` is false). The views are taken after the output is allocated,
 * since an allocation may grow, and so detach, the heap.
 */
export function onHeap(backend: unknown, inputs: Info[], outShape: number[], body: (views: Float32Array[], out: Float32Array) => void, zero = true): Info {
  const wasm = backend as WasmBackendFull;
  const out = wasm.makeOutput(outShape, 'float32');
  const outView = wasm.typedArrayFromHeap(out);
  if (zero) outView.fill(0);
  body(
    inputs.map((t) => wasm.typedArrayFromHeap(t)),
    outView,
  );
  return out;
}

/**
 * x [N, H, W, C] placed at (top, left) in zeros of [N, hp, wp, C], cropped where it reaches past
 * (negative top or left crop the start); one typed-array copy per row. The wasm `PadV2` copies
 * element by element: 2.5 ms for [128, 28, 28, 1], against ~0.2 ms here.
 */
export function padRows(wasm: WasmBackendFull, x: Info, hp: number, wp: number, top: number, left: number): Info {
  const [n, h, w, c] = x.shape as [number, number, number, number];
  const out = wasm.makeOutput([n, hp, wp, c], 'float32');
  const to = wasm.typedArrayFromHeap(out);
  const from = wasm.typedArrayFromHeap(x);
  to.fill(0);
  const y0 = Math.max(0, -top);
  const y1 = Math.min(h, hp - top);
  const x0 = Math.max(0, -left);
  const x1 = Math.min(w, wp - left);
  if (y1 <= y0 || x1 <= x0) return out;
  for (let b = 0; b < n; b++) {
    for (let y = y0; y < y1; y++) {
      const src = ((b * h + y) * w + x0) * c;
      to.set(from.subarray(src, src + (x1 - x0) * c), ((b * hp + y + top) * wp + x0 + left) * c);
    }
  }
  return out;
}
