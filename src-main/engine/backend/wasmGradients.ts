/**
 * Gradient kernels the tfjs wasm backend lacks (or has only as slow scalar loops), built from
 * the wasm kernels that run through XNNPACK or plain memory moves.
 *
 * `@tensorflow/tfjs-backend-wasm` 4.22 registers no `Conv2DBackpropFilter`, so training any
 * conv2d layer on wasm throws. Several kernels it does have are naive scalar C++ loops that
 * dominate a training step: `Conv2DBackpropInput` (~12x slower than the forward conv),
 * `MaxPoolGrad` (~50x slower than the forward pool) and every `BatchMatMul` with a transposed
 * operand (the XNNPACK path only takes `a @ b`; `aᵀ @ b` and `a @ bᵀ`, which every dense layer's
 * backward pass uses, fall into a blocked scalar loop ~10x slower).
 *
 * Every kernel here works on the wasm backend's own tensor infos: it calls other wasm kernels'
 * `kernelFunc`s directly, disposes every intermediate through the backend before returning, and
 * returns one fresh tensor info that the engine wraps as the op's output. Nothing goes through
 * the engine, so nothing is recorded on a gradient tape and `tf.memory()` never sees the
 * intermediates.
 *
 * `registerWasmGradientKernels(tf)` works on whichever tfjs module it is given (the throughput
 * bench passes its own); without an argument it uses the engine's `@tensorflow/tfjs`.
 */
import * as tfEngine from '@tensorflow/tfjs';
import type * as TfModule from '@tensorflow/tfjs';

type TF = typeof TfModule;
type Info = TfModule.TensorInfo;
type Pair = [number, number];
type PadAttr = 'same' | 'valid' | number | [[number, number], [number, number], [number, number], [number, number]];

/** The part of the wasm backend these kernels use. */
interface WasmBackendLike {
  disposeData(dataId: object, force?: boolean): boolean;
}

type KernelArgs = { inputs: Record<string, Info | undefined>; backend: unknown; attrs?: Record<string, unknown> };
type KernelFn = (args: KernelArgs) => Info | Info[];

const BACKEND = 'wasm';
/** Marks kernel functions installed here, so a second call recognises them. */
const MARK = Symbol.for('trainbench.wasmGradients');

export interface WasmGradientOptions {
  /**
   * Also replace the wasm kernels that exist but are slow scalar loops (`Conv2DBackpropInput`,
   * `MaxPoolGrad` for non-overlapping windows, transposed `BatchMatMul`/`_FusedMatMul`) by
   * compositions of fast kernels. The replaced kernel stays reachable as the fallback for the
   * cases the fast path does not cover. Default true.
   */
  fastPaths?: boolean;
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
  transpose(x: Info, perm: number[]): Info {
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

const pair = (v: number | number[] | undefined, fallback = 1): Pair => {
  if (v === undefined) return [fallback, fallback];
  if (typeof v === 'number') return [v, v];
  return [v[0] ?? fallback, v[1] ?? v[0] ?? fallback];
};

const prod = (shape: number[]): number => shape.reduce((a, b) => a * b, 1);

/** NCHW → NHWC for a shape. */
const toNHWC = (s: number[]): number[] => [s[0]!, s[2]!, s[3]!, s[1]!];

// ---------------------------------------------------------------------------------------------

/**
 * `Conv2DBackpropFilter`: dW[i,j,c,o] = Σ_{n,y,x} xpad[n, y·sH + i·dH, x·sW + j·dW, c] · dy[n,y,x,o],
 * the gradient of conv2d with respect to its filter.
 *
 * Computed as one forward convolution (the wasm `Conv2D` kernel, i.e. XNNPACK) with the roles
 * swapped: the padded input transposed to [C, H', W', N] is the image (batch C, N channels), dy
 * transposed to [oH, oW, N, oC] is the filter, the original strides become the dilations and
 * the original dilations the strides. The result [C, fH, fW, oC] is transposed to the filter
 * layout [fH, fW, C, oC]. Built from `Transpose`, `PadV2`, `Slice`, `Conv2D`; NCHW inputs are
 * transposed to NHWC first. All MACs run in XNNPACK's GEMM micro-kernels, which beat an
 * explicit im2col + `BatchMatMul` here because the wasm `Slice` that im2col needs is a JS
 * row-by-row copy.
 */
function conv2DBackpropFilter(tf: TF) {
  return (args: KernelArgs): Info =>
    withOps(tf, args.backend, (ops) => {
      const { x, dy } = args.inputs as { x: Info; dy: Info };
      const attrs = args.attrs as {
        strides: number | Pair;
        pad: PadAttr;
        dataFormat?: 'NHWC' | 'NCHW';
        dimRoundingMode?: 'floor' | 'round' | 'ceil';
        filterShape: [number, number, number, number];
        dilations?: number | Pair;
      };
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
      const attrs = args.attrs as {
        strides: number | Pair;
        pad: PadAttr;
        dataFormat?: 'NHWC' | 'NCHW';
        dimRoundingMode?: 'floor' | 'round' | 'ceil';
        inputShape: [number, number, number, number];
        dilations?: number | Pair;
      };
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
 * (zero-filled). The views are taken after the output is allocated, since an allocation may
 * grow, and so detach, the heap.
 */
function onHeap(backend: unknown, inputs: Info[], outShape: number[], body: (views: Float32Array[], out: Float32Array) => void): Info {
  const wasm = backend as WasmBackendLike & {
    makeOutput(shape: number[], dtype: string): Info;
    typedArrayFromHeap(info: Info): Float32Array;
  };
  const out = wasm.makeOutput(outShape, 'float32');
  const outView = wasm.typedArrayFromHeap(out);
  outView.fill(0);
  body(
    inputs.map((t) => wasm.typedArrayFromHeap(t)),
    outView,
  );
  return out;
}

/**
 * `MaxPoolGrad`: dx[n,y,x,c] = Σ dy[n,oy,ox,c] over the pooling windows (oy, ox) whose first
 * maximum (row-major scan, strict `>`, as the cpu backend's maxPoolPositions) is at (y, x).
 *
 * A JavaScript loop over the wasm heap (no other kernel): one pass over the input finds each
 * window's first maximum per channel, one scatter adds dy there. Replaces the wasm kernel of the
 * same name, a scalar C++ loop ~5x slower here that also breaks ties differently from the cpu
 * backend (it routes to another of equal maxima).
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
    return onHeap(args.backend, [input, dy], input.shape, ([x, g], dx) => {
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
 * window. Replaces the wasm kernel of the same name, a scalar C++ loop ~4x slower here.
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

/**
 * `BatchMatMul` / `_FusedMatMul` with a transposed operand and a single batch: the operand is
 * transposed explicitly (`Transpose`) and the product taken by the replaced kernel with
 * transposeA = transposeB = false, the only case the wasm backend sends to XNNPACK (the others
 * run a blocked scalar loop ~5-10x slower). Bias and activation of `_FusedMatMul` pass through
 * unchanged. Batched products, and untransposed ones, go to the replaced kernel as they are.
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
    const swapLast = (rank: number): number[] => [...Array.from({ length: rank - 2 }, (_, i) => i), rank - 1, rank - 2];
    return withOps(tf, args.backend, (ops) => {
      const a2 = ta ? ops.transpose(a, swapLast(a.shape.length)) : a;
      const b2 = tb ? ops.transpose(b, swapLast(b.shape.length)) : b;
      return ops.run('', { ...args.inputs, a: a2, b: b2 }, { ...attrs, transposeA: false, transposeB: false }, fallback);
    });
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
  _FusedMatMul: (tf, previous) => (previous ? untransposedMatMul(tf, previous) : null),
};

const isOurs = (fn: unknown): boolean => typeof fn === 'function' && (fn as unknown as Record<symbol, unknown>)[MARK] === true;

/**
 * Registers the gradient kernels the tfjs wasm backend lacks (and, unless
 * `options.fastPaths === false`, replaces its slow ones) for backend 'wasm'. Idempotent: a
 * kernel already registered, by the backend or by an earlier call, is left alone. Returns the
 * names of the kernels registered by this call.
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
  if (options.fastPaths !== false) {
    for (const [name, make] of Object.entries(FAST_PATHS)) install(name, make, true);
  }
  return registered;
}
