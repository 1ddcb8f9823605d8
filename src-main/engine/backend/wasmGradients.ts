/**
 * Gradient kernels for the tfjs wasm backend: the one it lacks, and faster versions of those it
 * has as slow scalar loops, built from the wasm kernels that run on XNNPACK (Conv2D,
 * DepthwiseConv2dNative, BatchMatMul without transposes) or move memory (Transpose, PadV2,
 * Reshape), or, for pooling, a JavaScript loop over the wasm heap.
 *
 * `@tensorflow/tfjs-backend-wasm` 4.22 registers no `Conv2DBackpropFilter`, so training any
 * conv2d layer on wasm throws; every other gradient the palette needs (dense, conv2d, pooling,
 * flatten, dropout, batch normalisation, the activations) exists. Measured in Node 20 on one
 * thread, its own kernels that dominate a training step are: `Conv2DBackpropInput` (a scalar
 * loop, ~12x slower than the forward conv), `MaxPoolGrad` and `AvgPoolGrad` (scalar loops,
 * 20-35x slower than the forward pool), and `BatchMatMul`/`_FusedMatMul` with a transposed operand
 * (only `a @ b` reaches XNNPACK; `aᵀ @ b` and `a @ bᵀ`, which every dense layer's backward pass
 * uses, run a blocked scalar loop 5-10x slower, whose `_FusedMatMul` also adds the bias wrongly).
 *
 * Every kernel here works on the wasm backend's own tensor infos: it calls other wasm kernels'
 * `kernelFunc`s directly, releases every intermediate through the backend before returning, and
 * returns one fresh tensor info that the engine wraps as the op's output. Nothing goes through
 * the engine, so nothing is recorded on a gradient tape and `tf.memory()` never sees the
 * intermediates.
 *
 * `registerWasmGradientKernels(tf)` works on whichever tfjs module it is given (the throughput
 * bench passes its own); without an argument it uses the engine's `@tensorflow/tfjs`.
 * `enableWasmThreads` (experimental, not used by the engine) runs the wasm backend on two or
 * more threads in Node.
 */
import * as fs from 'node:fs';
import os from 'node:os';
import * as path from 'node:path';
import * as tfEngine from '@tensorflow/tfjs';
import type * as TfModule from '@tensorflow/tfjs';

type TF = typeof TfModule;
type Info = TfModule.TensorInfo;
type Pair = [number, number];
type PadAttr = 'same' | 'valid' | number | [[number, number], [number, number], [number, number], [number, number]];

/** The attributes both conv2d gradient kernels receive, beside the shape of what they compute. */
type ConvGradientAttrs = {
  strides: number | Pair;
  pad: PadAttr;
  dataFormat?: 'NHWC' | 'NCHW';
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  dilations?: number | Pair;
};

/** The part of the wasm backend these kernels use. */
interface WasmBackendLike {
  disposeData(dataId: object, force?: boolean): boolean;
}
interface WasmBackendFull extends WasmBackendLike {
  makeOutput(shape: number[], dtype: string, memoryOffset?: number, values?: Float32Array): Info;
  typedArrayFromHeap(info: Info): Float32Array;
}

type KernelArgs = { inputs: Record<string, Info | undefined>; backend: unknown; attrs?: Record<string, unknown> };
type KernelFn = (args: KernelArgs) => Info | Info[];

const BACKEND = 'wasm';
/** Marks kernel functions installed here, so a second call recognises them. */
const MARK = Symbol.for('trainbench.wasmGradients');

export interface WasmGradientOptions {
  /**
   * Also replace the wasm kernels that exist but are slow scalar loops (`Conv2DBackpropInput`,
   * `MaxPoolGrad`, `AvgPoolGrad`, transposed `BatchMatMul`, `_FusedMatMul`) by faster
   * compositions; the replaced kernel stays the fallback for the cases a fast path does not
   * cover. `true` (the default) replaces all, `false` none, a list of kernel names only those
   * (the throughput bench measures them one by one).
   */
  fastPaths?: boolean | string[];
}

/**
 * Runs wasm kernels on tensor infos and remembers every output, so that all intermediates are
 * released in one place. Each output of a kernelFunc holds exactly one backend reference
 * (reshape-like kernels take one with `incRef`), so each is released exactly once.
 */
class Ops {
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
  pad(x: Info, paddings: Pair[], constantValue = 0): Info {
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

function withOps(tf: TF, backend: unknown, body: (ops: Ops) => Info): Info {
  const ops = new Ops(tf, backend as WasmBackendLike);
  try {
    return ops.finish(body(ops));
  } catch (error) {
    ops.releaseAll();
    throw error;
  }
}

const prod = (shape: number[]): number => shape.reduce((a, b) => a * b, 1);
const size = prod;

/** NCHW → NHWC for a shape. */
const toNHWC = (s: number[]): number[] => [s[0]!, s[2]!, s[3]!, s[1]!];

// ---------------------------------------------------------------------------------------------

/**
 * `Conv2DBackpropFilter`: dW[i,j,c,o] = Σ_{n,y,x} xpad[n, y·sH + i·dH, x·sW + j·dW, c] · dy[n,y,x,o],
 * the gradient of conv2d with respect to its filter (the kernel the wasm backend lacks). Every
 * multiply-add runs in XNNPACK, in one of two ways:
 *
 * - Usually as one forward convolution (the wasm `Conv2D` kernel) with the roles swapped: the
 *   padded input transposed to [C, H', W', N] is the image (batch C, N channels), dy transposed
 *   to [oH, oW, N, oC] is the filter, the original strides become the dilations and the original
 *   dilations the strides; the result [C, fH, fW, oC] is transposed to [fH, fW, C, oC]. Built
 *   from `Transpose`, `PadV2`, `Slice`, `Conv2D`.
 * - When fH·fW·C < oC (the first layer of an image net: one input channel), as im2col + one
 *   GEMM: a `DepthwiseConv2dNative` with one-hot filters extracts the patches [N·oH·oW, C·fH·fW],
 *   and `BatchMatMul` (untransposed, so XNNPACK) takes dyᵀ [oC, N·oH·oW] times them; XNNPACK
 *   packs its right operand on every call, and here the patches are the smaller one. ~35%
 *   faster than the swapped convolution for MNIST's first layer.
 *
 * NCHW inputs are transposed to NHWC first. An im2col built from per-offset slices (`Slice`,
 * `StridedSlice`) was measured too: the wasm `Slice` is a JavaScript row-by-row copy, and the
 * nine slices alone took longer than the whole swapped convolution.
 */
function conv2DBackpropFilter(tf: TF) {
  return (args: KernelArgs): Info =>
    withOps(tf, args.backend, (ops) => {
      const { x, dy } = args.inputs as { x: Info; dy: Info };
      const attrs = args.attrs as ConvGradientAttrs & { filterShape: [number, number, number, number] };
      const nchw = attrs.dataFormat === 'NCHW';
      const xN = nchw ? ops.transpose(x, [0, 2, 3, 1]) : x;
      const dyN = nchw ? ops.transpose(dy, [0, 2, 3, 1]) : dy;
      const info = tf.backend_util.computeConv2DInfo(
        xN.shape as [number, number, number, number],
        attrs.filterShape,
        attrs.strides,
        attrs.dilations ?? 1,
        attrs.pad,
        attrs.dimRoundingMode,
        false,
        'channelsLast',
      );
      const { batchSize: n, inHeight: h, inWidth: w, inChannels: c, outHeight: oh, outWidth: ow, outChannels: oc } = info;
      const { strideHeight: sh, strideWidth: sw, dilationHeight: dh, dilationWidth: dw, filterHeight: fh, filterWidth: fw } = info;
      if (dyN.shape.join() !== [n, oh, ow, oc].join()) {
        throw new Error(`Conv2DBackpropFilter: dy has shape [${dyN.shape}], expected [${[n, oh, ow, oc]}]`);
      }
      const taps = fh * fw;
      if (taps * c < oc) {
        // Few input channels (the first layer of an image net): im2col by a depthwise convolution
        // with one-hot filters, then one GEMM that packs the (small) patch matrix.
        const onehot = new Float32Array(taps * c * taps);
        for (let t = 0; t < taps; t++) for (let ch = 0; ch < c; ch++) onehot[(t * c + ch) * taps + t] = 1;
        const selector = ops.run('', {}, {}, () => (args.backend as WasmBackendFull).makeOutput([fh, fw, c, taps], 'float32', undefined, onehot));
        const patches = ops.run('DepthwiseConv2dNative', { x: xN, filter: selector }, {
          strides: [sh, sw],
          pad: attrs.pad,
          dataFormat: 'NHWC',
          dilations: [dh, dw],
          dimRoundingMode: attrs.dimRoundingMode,
        }); // [N, oH, oW, C·taps], channel (c, tap)
        const dyT = ops.transpose(ops.reshape(dyN, [n * oh * ow, oc]), [1, 0]);
        const product = ops.run('BatchMatMul', { a: ops.reshape(dyT, [1, oc, n * oh * ow]), b: ops.reshape(patches, [1, n * oh * ow, c * taps]) }, { transposeA: false, transposeB: false });
        return ops.transpose(ops.reshape(product, [oc, c, fh, fw]), [2, 3, 1, 0]);
      }
      // The rows and columns of the padded input that any output reads.
      const needH = (fh - 1) * dh + (oh - 1) * sh + 1;
      const needW = (fw - 1) * dw + (ow - 1) * sw + 1;
      const top = info.padInfo.top;
      const left = info.padInfo.left;
      const image = ops.padOrCrop(ops.transpose(xN, [3, 1, 2, 0]), [
        [0, 0],
        [top, needH - h - top],
        [left, needW - w - left],
        [0, 0],
      ]);
      const filter = ops.transpose(dyN, [1, 2, 0, 3]);
      const out = ops.conv2d(image, filter, [dh, dw], [sh, sw]); // [C, fH, fW, oC]
      const result = ops.transpose(out, [1, 2, 0, 3]);
      return c === result.shape[2] ? result : ops.reshape(result, [fh, fw, c, oc]);
    });
}

/**
 * `Conv2DBackpropInput`: dx[n,y,x,c] = Σ_{i,j,o} dy[n,(y+top−i·dH)/sH,(x+left−j·dW)/sW,o] · W[i,j,c,o]
 * (terms with a non-integer or out-of-range index are zero), the gradient of conv2d with respect
 * to its input.
 *
 * Computed as one stride-1 forward convolution (the wasm `Conv2D` kernel, i.e. XNNPACK) of dy,
 * zero-dilated by the strides and padded by (fH−1)·dH − top, with the filter flipped in both
 * spatial axes and its channel axes swapped. Built from `Reshape`, `PadV2`, `Slice`, `Reverse`,
 * `Transpose`, `Conv2D`. Replaces the wasm kernel of the same name, a scalar loop.
 */
function conv2DBackpropInput(tf: TF) {
  return (args: KernelArgs): Info =>
    withOps(tf, args.backend, (ops) => {
      const { dy, filter } = args.inputs as { dy: Info; filter: Info };
      const attrs = args.attrs as ConvGradientAttrs & { inputShape: [number, number, number, number] };
      const nchw = attrs.dataFormat === 'NCHW';
      const inShape = (nchw ? toNHWC(attrs.inputShape) : attrs.inputShape) as [number, number, number, number];
      const dyN = nchw ? ops.transpose(dy, [0, 2, 3, 1]) : dy;
      const info = tf.backend_util.computeConv2DInfo(
        inShape,
        filter.shape as [number, number, number, number],
        attrs.strides,
        attrs.dilations ?? 1,
        attrs.pad,
        attrs.dimRoundingMode,
        false,
        'channelsLast',
      );
      const { batchSize: n, inHeight: h, inWidth: w, outHeight: oh, outWidth: ow, outChannels: oc } = info;
      const { strideHeight: sh, strideWidth: sw, dilationHeight: dh, dilationWidth: dw, filterHeight: fh, filterWidth: fw } = info;
      let d = dyN;
      if (sh > 1 || sw > 1) {
        // Zero-dilate: [N,oH,1,oW,1,oC] padded to [N,oH,sH,oW,sW,oC] is [N,oH·sH,oW·sW,oC] with the
        // values at multiples of the strides (and sH−1, sW−1 surplus zero rows/columns at the end).
        d = ops.reshape(d, [n, oh, 1, ow, 1, oc]);
        d = ops.pad(d, [
          [0, 0],
          [0, 0],
          [0, sh - 1],
          [0, 0],
          [0, sw - 1],
          [0, 0],
        ]);
        d = ops.reshape(d, [n, oh * sh, ow * sw, oc]);
      }
      const lenH = (oh - 1) * sh + 1;
      const lenW = (ow - 1) * sw + 1;
      const padTop = (fh - 1) * dh - info.padInfo.top;
      const padLeft = (fw - 1) * dw - info.padInfo.left;
      const padBottom = h + info.padInfo.top - lenH - (d.shape[1]! - lenH);
      const padRight = w + info.padInfo.left - lenW - (d.shape[2]! - lenW);
      const image = ops.padOrCrop(d, [
        [0, 0],
        [padTop, padBottom],
        [padLeft, padRight],
        [0, 0],
      ]);
      const flipped = ops.transpose(ops.run('Reverse', { x: filter }, { dims: [0, 1] }), [0, 1, 3, 2]);
      const dx = ops.conv2d(image, flipped, [1, 1], [dh, dw]);
      return nchw ? ops.transpose(dx, [0, 3, 1, 2]) : dx;
    });
}

type PoolAttrs = {
  filterSize: number | Pair;
  strides: number | Pair;
  pad: 'same' | 'valid' | number;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
};

/**
 * Runs `body` on float32 views of the wasm heap: the inputs and one new output of `outShape`
 * (zero-filled unless `zero` is false). The views are taken after the output is allocated,
 * since an allocation may grow, and so detach, the heap.
 */
function onHeap(backend: unknown, inputs: Info[], outShape: number[], body: (views: Float32Array[], out: Float32Array) => void, zero = true): Info {
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
 * The exactly tiling case of MaxPoolGrad, a loop kept monomorphic for V8: for each window row
 * band (rows = batch · output rows), window and channel, dy goes to the first element equal to
 * the window maximum m and zero to the others; every dx element is written once.
 */
function routeToFirstMaximum(x: Float32Array, m: Float32Array, g: Float32Array, dx: Float32Array, rows: number, ow: number, c: number, fh: number, fw: number, row: number): void {
  if (fh === 2 && fw === 2) return routeToFirstMaximum2x2(x, m, g, dx, rows, ow, c, row);
  let o = 0;
  for (let band = 0; band < rows; band++) {
    const bandBase = band * fh * row;
    for (let yc = 0; yc < ow; yc++) {
      const base = bandBase + yc * fw * c;
      for (let d = 0; d < c; d++, o++) {
        const best = m[o]!;
        let give = best > Number.NEGATIVE_INFINITY ? g[o]! : 0;
        for (let a = 0; a < fh; a++) {
          for (let q = 0, i = base + a * row + d; q < fw; q++, i += c) {
            if (x[i]! >= best) {
              dx[i] = give;
              give = 0;
            } else {
              dx[i] = 0;
            }
          }
        }
      }
    }
  }
}

/** routeToFirstMaximum for 2×2 windows, unrolled (the common pooling; ~30% faster). */
function routeToFirstMaximum2x2(x: Float32Array, m: Float32Array, g: Float32Array, dx: Float32Array, rows: number, ow: number, c: number, row: number): void {
  let o = 0;
  for (let band = 0; band < rows; band++) {
    const bandBase = band * 2 * row;
    for (let yc = 0; yc < ow; yc++) {
      const base = bandBase + yc * 2 * c;
      for (let d = 0; d < c; d++, o++) {
        const best = m[o]!;
        const give = best > Number.NEGATIVE_INFINITY ? g[o]! : 0;
        const i0 = base + d;
        const i1 = i0 + c;
        const i2 = i0 + row;
        const i3 = i2 + c;
        const e0 = x[i0]! >= best;
        const e1 = !e0 && x[i1]! >= best;
        const e2 = !e0 && !e1 && x[i2]! >= best;
        const e3 = !e0 && !e1 && !e2 && x[i3]! >= best;
        dx[i0] = e0 ? give : 0;
        dx[i1] = e1 ? give : 0;
        dx[i2] = e2 ? give : 0;
        dx[i3] = e3 ? give : 0;
      }
    }
  }
}

/**
 * `MaxPoolGrad`: dx[n,y,x,c] = Σ dy[n,oy,ox,c] over the pooling windows (oy, ox) whose first
 * maximum (row-major scan, strict `>`, as the cpu backend's maxPoolPositions) is at (y, x).
 *
 * A JavaScript loop over the wasm heap (no other kernel). When the windows tile the input
 * exactly (strides = pool size, no padding, as in MNIST's 28 → 14 → 7), each dx element is
 * written once: dy where it is the window's first element equal to the forward output (the
 * maximum, from the same backend, so the comparison is exact), else 0. Otherwise one pass finds
 * each window's first maximum per channel and a scatter adds dy there. Replaces the wasm kernel
 * of the same name, a scalar C++ loop ~2x slower (20 ms against 9 ms for a [128, 28, 28, 16]
 * input) that also breaks ties differently from the cpu backend (it routes dy to another of
 * equal maxima; after a ReLU, windows of zeros are common). Two alternatives were measured and
 * dropped: window-major `Transpose` + `ArgMax` + `OneHot` (~30 ms: those wasm kernels are
 * scalar loops) and XNNPACK elementwise ops on a [N, oH, pH, oW, pW, C] view (~10 ms: the wasm
 * binary kernels broadcast through a slow path). An all −∞ window routes nothing, as on cpu.
 */
function maxPoolGrad(tf: TF, fallback: KernelFn) {
  return (args: KernelArgs): Info => {
    const { dy, input } = args.inputs as { dy: Info; input: Info; output: Info };
    if (input.dtype !== 'float32' || dy.dtype !== 'float32') return fallback(args) as Info;
    const attrs = args.attrs as PoolAttrs;
    const info = tf.backend_util.computePool2DInfo(input.shape as [number, number, number, number], attrs.filterSize, attrs.strides, 1, attrs.pad, attrs.dimRoundingMode);
    const { batchSize: n, inHeight: h, inWidth: w, inChannels: c, outHeight: oh, outWidth: ow, strideHeight: sh, strideWidth: sw } = info;
    const fh = info.effectiveFilterHeight;
    const fw = info.effectiveFilterWidth;
    const top = info.padInfo.top;
    const left = info.padInfo.left;
    const output = (args.inputs as { output?: Info }).output;
    const tiles = sh === fh && sw === fw && top === 0 && left === 0 && oh * fh === h && ow * fw === w;
    if (tiles && output && output.dtype === 'float32' && output.shape.join() === [n, oh, ow, c].join()) {
      // The windows tile the input exactly: every dx element belongs to one window. Each is
      // written once (no zero fill, no scatter): dy at the first element equal to the window's
      // maximum (the forward output, computed by the same backend, so equality is exact), zero
      // at the others. An all −∞ (or NaN) window routes nothing, as on the cpu backend.
      return onHeap(args.backend, [input, output, dy], input.shape, ([x, m, g], dx) => routeToFirstMaximum(x!, m!, g!, dx, n * oh, ow, c, fh, fw, w * c), false);
    }
    return onHeap(args.backend, [input, dy], input.shape, ([x, g], dx) => {
      // General windows (overlapping, padded, or leaving rows out): find each window's first
      // maximum per channel, then add dy there.
      const best = new Float32Array(c);
      const where = new Int32Array(c);
      for (let b = 0; b < n; b++) {
        for (let yr = 0; yr < oh; yr++) {
          const r0 = Math.max(0, yr * sh - top);
          const r1 = Math.min(h, yr * sh - top + fh);
          for (let yc = 0; yc < ow; yc++) {
            const c0 = Math.max(0, yc * sw - left);
            const c1 = Math.min(w, yc * sw - left + fw);
            best.fill(Number.NEGATIVE_INFINITY);
            where.fill(-1);
            for (let xr = r0; xr < r1; xr++) {
              for (let xc = c0; xc < c1; xc++) {
                const base = ((b * h + xr) * w + xc) * c;
                for (let d = 0; d < c; d++) {
                  const v = x![base + d]!;
                  if (v > best[d]!) {
                    best[d] = v;
                    where[d] = base + d;
                  }
                }
              }
            }
            const gBase = ((b * oh + yr) * ow + yc) * c;
            for (let d = 0; d < c; d++) {
              const at = where[d]!;
              if (at >= 0) dx[at] = dx[at]! + g![gBase + d]!;
            }
          }
        }
      }
    });
  };
}

/**
 * `AvgPoolGrad`: dx[n,y,x,c] = Σ dy[n,oy,ox,c] / (fH·fW) over the pooling windows (oy, ox) that
 * contain (y, x), with the cpu backend's constant 1/(fH·fW) also at padded borders.
 *
 * A JavaScript loop over the wasm heap (no other kernel) that scatters each dy value over its
 * window. Replaces the wasm kernel of the same name, a scalar C++ loop ~2x slower here (13 ms
 * against 6 ms for a [128, 28, 28, 16] input).
 */
function avgPoolGrad(tf: TF, fallback: KernelFn) {
  return (args: KernelArgs): Info => {
    const { dy, input } = args.inputs as { dy: Info; input: Info };
    if (dy.dtype !== 'float32') return fallback(args) as Info;
    const attrs = args.attrs as PoolAttrs;
    const info = tf.backend_util.computePool2DInfo(input.shape as [number, number, number, number], attrs.filterSize, attrs.strides, 1, attrs.pad);
    const { batchSize: n, inHeight: h, inWidth: w, inChannels: c, outHeight: oh, outWidth: ow, strideHeight: sh, strideWidth: sw } = info;
    const fh = info.effectiveFilterHeight;
    const fw = info.effectiveFilterWidth;
    const top = info.padInfo.top;
    const left = info.padInfo.left;
    const scale = 1 / (info.filterHeight * info.filterWidth);
    return onHeap(args.backend, [dy], input.shape, ([g], dx) => {
      const share = new Float32Array(c);
      for (let b = 0; b < n; b++) {
        for (let yr = 0; yr < oh; yr++) {
          const r0 = Math.max(0, yr * sh - top);
          const r1 = Math.min(h, yr * sh - top + fh);
          for (let yc = 0; yc < ow; yc++) {
            const c0 = Math.max(0, yc * sw - left);
            const c1 = Math.min(w, yc * sw - left + fw);
            const gBase = ((b * oh + yr) * ow + yc) * c;
            for (let d = 0; d < c; d++) share[d] = g![gBase + d]! * scale;
            for (let xr = r0; xr < r1; xr++) {
              for (let xc = c0; xc < c1; xc++) {
                const base = ((b * h + xr) * w + xc) * c;
                for (let d = 0; d < c; d++) dx[base + d] = dx[base + d]! + share[d]!;
              }
            }
          }
        }
      }
    });
  };
}

const swapLast = (rank: number): number[] => [...Array.from({ length: rank - 2 }, (_, i) => i), rank - 1, rank - 2];

/**
 * `BatchMatMul` with a transposed operand and a single batch: the operand is transposed
 * explicitly (`Transpose`) and the product taken by the replaced kernel with transposeA =
 * transposeB = false, the only case the wasm backend sends to XNNPACK (the others run a blocked
 * scalar loop ~5-10x slower; every dense layer's backward pass has both). Batched and
 * untransposed products go to the replaced kernel as they are.
 */
function untransposedMatMul(tf: TF, fallback: KernelFn) {
  return (args: KernelArgs): Info => {
    const { a, b } = args.inputs as { a: Info; b: Info };
    const attrs = (args.attrs ?? {}) as { transposeA?: boolean; transposeB?: boolean };
    const ta = attrs.transposeA === true;
    const tb = attrs.transposeB === true;
    if ((!ta && !tb) || a.dtype !== 'float32' || b.dtype !== 'float32' || prod(a.shape.slice(0, -2)) !== 1 || prod(b.shape.slice(0, -2)) !== 1) {
      return fallback(args) as Info;
    }
    return withOps(tf, args.backend, (ops) => {
      const a2 = ta ? ops.transpose(a, swapLast(a.shape.length)) : a;
      const b2 = tb ? ops.transpose(b, swapLast(b.shape.length)) : b;
      return ops.run('', { ...args.inputs, a: a2, b: b2 }, { ...attrs, transposeA: false, transposeB: false }, fallback);
    });
  };
}

/** The activations of `_FusedMatMul` and the wasm kernels that apply them. */
const ACTIVATION_KERNELS: Record<string, string | null> = {
  linear: null,
  relu: 'Relu',
  relu6: 'Relu6',
  elu: 'Elu',
  sigmoid: 'Sigmoid',
  leakyrelu: 'LeakyRelu',
  prelu: 'Prelu',
};

/**
 * `_FusedMatMul` (a·b + bias, then an activation). With one batch and a bias of one value per
 * column, any transposed operand is transposed explicitly (`Transpose`) and the replaced kernel
 * runs untransposed, on XNNPACK. Otherwise it is composed of `BatchMatMul`, `Add` and the
 * activation's kernel (`Relu`, `Relu6`, `Elu`, `Sigmoid`, `LeakyRelu`, `Prelu`): the replaced
 * kernel's scalar path adds the bias wrongly there (bias[min(i·n + j, n − 1)] instead of
 * bias[j]), so batched products with a bias, and size-1 biases, came out wrong.
 */
function fusedMatMul(tf: TF, fallback: KernelFn) {
  const plain = untransposedMatMul(tf, fallback);
  return (args: KernelArgs): Info => {
    const { a, b, bias, preluActivationWeights } = args.inputs as { a: Info; b: Info; bias?: Info; preluActivationWeights?: Info };
    const attrs = (args.attrs ?? {}) as { transposeA?: boolean; transposeB?: boolean; activation?: string; leakyreluAlpha?: number };
    const columns = attrs.transposeB ? b.shape[b.shape.length - 2]! : b.shape[b.shape.length - 1]!;
    const single = prod(a.shape.slice(0, -2)) === 1 && prod(b.shape.slice(0, -2)) === 1;
    if (single && (bias == null || size(bias.shape) === columns)) return plain(args);
    const activation = attrs.activation ?? 'linear';
    if (!(activation in ACTIVATION_KERNELS) || a.dtype !== 'float32') return fallback(args) as Info;
    return withOps(tf, args.backend, (ops) => {
      let out = ops.run('BatchMatMul', { a, b }, { transposeA: attrs.transposeA === true, transposeB: attrs.transposeB === true });
      if (bias) out = ops.run('Add', { a: out, b: bias });
      const kernel = ACTIVATION_KERNELS[activation];
      if (kernel === 'LeakyRelu') out = ops.run(kernel, { x: out }, { alpha: attrs.leakyreluAlpha ?? 0.2 });
      else if (kernel === 'Prelu') out = ops.run(kernel, { x: out, alpha: preluActivationWeights });
      else if (kernel) out = ops.run(kernel, { x: out });
      return out;
    });
  };
}

/**
 * `Identity`, and `Cast` to the dtype the tensor already has: the output shares the input's
 * data (one more backend reference, `incRef`), as on the cpu and webgl backends, instead of the
 * wasm kernels' full copy. Tensors are immutable, so sharing is safe. The gradient tape's
 * saved-tensor clones and Adam's casts are such calls: ~30 per CNN step, each copying a
 * layer's activations. String tensors and real casts go to the replaced kernel.
 */
function sharedIdentity(fallback: KernelFn, cast: boolean) {
  return (args: KernelArgs): Info => {
    const { x } = args.inputs as { x: Info };
    const dtype = cast ? (args.attrs as { dtype?: string } | undefined)?.dtype : x.dtype;
    if (x.dtype === 'string' || dtype !== x.dtype) return fallback(args) as Info;
    (args.backend as { incRef(dataId: object): void }).incRef(x.dataId);
    return { dataId: x.dataId, shape: x.shape.slice(), dtype: x.dtype };
  };
}

// ---------------------------------------------------------------------------------------------

type Installer = (tf: TF, previous: KernelFn | undefined) => KernelFn | null;

/** Kernels the wasm backend does not register at all. */
const MISSING: Record<string, Installer> = {
  Conv2DBackpropFilter: (tf) => conv2DBackpropFilter(tf),
};

/** Kernels the wasm backend registers as slow loops; replaced only when they exist. */
const FAST_PATHS: Record<string, Installer> = {
  Conv2DBackpropInput: (tf, previous) => (previous ? conv2DBackpropInput(tf) : null),
  MaxPoolGrad: (tf, previous) => (previous ? maxPoolGrad(tf, previous) : null),
  AvgPoolGrad: (tf, previous) => (previous ? avgPoolGrad(tf, previous) : null),
  BatchMatMul: (tf, previous) => (previous ? untransposedMatMul(tf, previous) : null),
  _FusedMatMul: (tf, previous) => (previous ? fusedMatMul(tf, previous) : null),
  Identity: (_tf, previous) => (previous ? sharedIdentity(previous, false) : null),
  Cast: (_tf, previous) => (previous ? sharedIdentity(previous, true) : null),
};

const isOurs = (fn: unknown): boolean => typeof fn === 'function' && (fn as unknown as Record<symbol, unknown>)[MARK] === true;

/**
 * Registers the gradient kernel the tfjs wasm backend lacks (`Conv2DBackpropFilter`) and, unless
 * `options.fastPaths` says otherwise, replaces its slow kernels, for backend 'wasm'. Idempotent:
 * a missing kernel is registered only while absent, a slow one is replaced only while it is
 * still the backend's own (kernels installed here are marked and recognised). Returns the names
 * of the kernels registered by this call.
 *
 * May be called before or after `tf.setBackend('wasm')`; the replaced kernels' setup functions
 * are kept, so a later backend initialisation still runs them.
 */
export function registerWasmGradientKernels(tf: TF = tfEngine, options: WasmGradientOptions = {}): string[] {
  const registered: string[] = [];
  const install = (name: string, make: Installer, replace: boolean): void => {
    const existing = tf.getKernel(name, BACKEND);
    if (existing && (isOurs(existing.kernelFunc) || !replace)) return;
    const previous = existing?.kernelFunc as KernelFn | undefined;
    const kernelFunc = make(tf, previous);
    if (!kernelFunc) return;
    (kernelFunc as unknown as Record<symbol, unknown>)[MARK] = true;
    if (existing) tf.unregisterKernel(name, BACKEND);
    tf.registerKernel({
      kernelName: name,
      backendName: BACKEND,
      kernelFunc: kernelFunc as unknown as TfModule.KernelFunc,
      ...(existing?.setupFunc ? { setupFunc: existing.setupFunc } : {}),
      ...(existing?.disposeFunc ? { disposeFunc: existing.disposeFunc } : {}),
    });
    registered.push(name);
  };
  for (const [name, make] of Object.entries(MISSING)) install(name, make, false);
  const fast = options.fastPaths ?? true;
  for (const [name, make] of Object.entries(FAST_PATHS)) {
    if (fast === true || (Array.isArray(fast) && fast.includes(name))) install(name, make, true);
  }
  return registered;
}

// ---------------------------------------------------------------------------------------------

/** The part of `@tensorflow/tfjs-backend-wasm` that `enableWasmThreads` uses. */
export interface WasmBackendModule {
  setThreadsCount(threads: number): void;
}

/**
 * Experimental: makes the next initialisation of the wasm backend in Node.js use the
 * multi-threaded build (`tfjs-backend-wasm-threaded-simd.wasm`, XNNPACK on a pool of
 * `threads` worker threads), which tfjs 4.22 turns off in Node (tfjs#3830). Call it before
 * `tf.setBackend('wasm')` and call the function it returns once that has resolved.
 *
 * Three things stand in the way in Node and are bridged here, for as long as the returned
 * function is not called: the pthread worker script and the main script are handed to the
 * workers as Blob URLs, which Node's Worker cannot load, so `Blob` and `URL.createObjectURL`
 * are wrapped to write those two scripts to a temporary folder and return their paths (the
 * worker script gets a preamble that resolves the main script the same way, and the main
 * script one that defines the CommonJS bindings of the tfjs-backend-wasm 4.22 bundle it was
 * cut from); and the pool is capped at half of `os.cpus().length`, so `os.cpus` reports
 * 2·threads cores while the module initialises. It depends on that exact bundle: any failure
 * shows as a failing `tf.setBackend('wasm')`, after which a fresh process should run
 * single-threaded. The worker threads keep the process alive: end it with `process.exit`.
 */
export function enableWasmThreads(tf: TF, wasmModule: WasmBackendModule, threads: number): () => void {
  if (threads <= 1) return () => {};
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trainbench-wasm-'));
  const OriginalBlob = globalThis.Blob;
  const originalCreate = URL.createObjectURL;
  const originalCpus = os.cpus;
  const texts = new WeakMap<object, string>();
  let mainScript = '';
  let count = 0;
  globalThis.Blob = class extends OriginalBlob {
    constructor(parts?: BlobPart[], options?: BlobPropertyBag) {
      super(parts, options);
      if (parts && parts.every((p) => typeof p === 'string')) {
        const text = parts.join('');
        texts.set(this, text);
        if (text.startsWith('var WasmBackendModuleThreadedSimd')) {
          mainScript = path.join(dir, 'main.js');
          const bindings =
            "var require$$0 = require('fs'), require$$1 = require('path'), require$$2 = require('worker_threads'), " +
            "require$$3 = require('perf_hooks'), require$$4 = require('os'), commonjsGlobal = globalThis;\n";
          fs.writeFileSync(mainScript, bindings + text);
        }
      }
    }
  } as typeof Blob;
  URL.createObjectURL = (object: Blob | MediaSource): string => {
    const text = texts.get(object);
    if (text === undefined) return originalCreate(object as Blob);
    const file = path.join(dir, `worker-${count++}.js`);
    const preamble = `URL.createObjectURL = () => ${JSON.stringify(mainScript)}; URL.revokeObjectURL = () => {};\n`;
    fs.writeFileSync(file, preamble + text);
    return file;
  };
  os.cpus = () => {
    const cpus = originalCpus.call(os);
    while (cpus.length > 0 && cpus.length < 2 * threads) cpus.push(cpus[0]!);
    return cpus;
  };
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', true);
  wasmModule.setThreadsCount(threads);
  return () => {
    globalThis.Blob = OriginalBlob;
    URL.createObjectURL = originalCreate;
    os.cpus = originalCpus;
    fs.rmSync(dir, { recursive: true, force: true });
  };
}
