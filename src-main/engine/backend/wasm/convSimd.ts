/**
 * Convolutions on Trainbench's SIMD kernels (simd/conv.wat): the forward `Conv2D` (which the
 * input gradient runs too, convGradients.ts) and the filter gradient, both reading the padded
 * input where it lies on the wasm heap. Neither packs an operand: XNNPACK packs the filter of a
 * convolution the first time it sees its tensor, and in training every step's filter is a new
 * tensor, so it packed on every call.
 *
 * Both describe a convolution the same way: the input padded once (`padRows`) to [N, hp, wp, C];
 * a table `rows` of T = fH·fW·C byte offsets into it, one per filter tap (i, j) and input channel,
 * relative to an output position's first input element; and a table of runs, one per output row
 * of each sample, (input offset, output-side offset, oW positions), stepping through the input by
 * sW·C floats.
 */
import { heapOffset, simdKernels, type SimdKernels } from './simd/simdKernels';
import { intTable, nhwcConvInfo, padRows, prod, withOps, type Conv2DInfo, type ConvAttrs, type Info, type KernelArgs, type KernelFn, type Ops, type TF, type WasmBackendFull } from './kernelOps';

/** Off: every `Conv2D` and `FusedConv2D` goes to XNNPACK (set by the bench that compares the two). */
export const CONV_SIMD = { forward: true };

/**
 * The wasm `Conv2D` and `FusedConv2D` kernels on `convRuns` (the fused one, a convolution with its
 * bias and activation, is what tfjs runs outside a gradient tape: validation and the probe), for
 * float32 NHWC with oC % 4 == 0 where the SIMD kernels run, with a bias of oC values or none and
 * the activation linear or relu; every other call goes to `previous` (the backend's XNNPACK
 * convolution of the same name). `Conv2D` has no bias and no activation.
 */
export function simdConv2D(tf: TF, previous: KernelFn) {
  return (args: KernelArgs): Info => {
    const { x, filter, bias, preluActivationWeights } = args.inputs as { x: Info; filter: Info; bias?: Info; preluActivationWeights?: Info };
    const attrs = args.attrs as ConvAttrs & { activation?: string };
    const simd = simdKernels(args.backend);
    const activation = attrs.activation ?? 'linear';
    const usable = simd && CONV_SIMD.forward && (activation === 'linear' || activation === 'relu') && !preluActivationWeights && (!bias || (bias.dtype === 'float32' && prod(bias.shape) === filter.shape[3]));
    const info = usable ? convolutionInfo(tf, x, filter, attrs) : null;
    if (!simd || !info) return previous(args) as Info;
    return withOps(tf, args.backend, (ops) => simdConvolution(ops, args.backend, simd, x, filter, info, bias, activation === 'relu'));
  };
}

/** The convolution's geometry when the SIMD kernel computes it (float32 NHWC, oC % 4 == 0, a non-empty output), else null. */
function convolutionInfo(tf: TF, x: Info, filter: Info, attrs: ConvAttrs): Conv2DInfo | null {
  if (attrs.dataFormat === 'NCHW' || x.dtype !== 'float32' || filter.dtype !== 'float32' || x.shape.length !== 4 || filter.shape[3]! % 4 !== 0) return null;
  const info = nhwcConvInfo(tf, x.shape, filter.shape, attrs);
  return info.outHeight > 0 && info.outWidth > 0 && info.batchSize > 0 ? info : null;
}

/** Bytes of dy and input rows per block of the filter gradient's runs: a block stays in L2. */
const RUN_BLOCK_BYTES = 256 * 1024;

interface Tables {
  /** The padded input. */
  xp: Info;
  /**
   * int32 [T]: byte offsets of the filter's rows (tap i, j, channel) from a position's first input
   * element; with `perTap`, [fH·fW]: the offsets of each tap's first channel.
   */
  rows: Info;
  /** int32 [N·oH·3]: (input byte offset, output-side byte offset, oW) per output row of a sample. */
  runs: Info;
  /** Padded width, in positions. */
  wp: number;
}

/**
 * The padded input and the two tables; `sideChannels` is the channel count of the tensor the
 * runs' second offsets point into (dy for the filter gradient, the output for the forward
 * convolution: both oC). Each table is filled as soon as it is allocated (`intTable`): a later
 * allocation may grow, and so detach, the heap.
 */
function tables(ops: Ops, backend: unknown, x: Info, info: Conv2DInfo, sideChannels: number, perTap = false): Tables {
  const { batchSize: n, inHeight: h, inWidth: w, inChannels: c, outHeight: oh, outWidth: ow } = info;
  const { strideHeight: sh, strideWidth: sw, dilationHeight: dh, dilationWidth: dw, filterHeight: fh, filterWidth: fw } = info;
  const { top, left } = info.padInfo;
  // The rows and columns that some output reads (computeConv2DInfo's pads may reach past the
  // last one at larger strides, or fall short of the image's end for 'valid': both cropped).
  const hp = (oh - 1) * sh + (fh - 1) * dh + 1;
  const wp = (ow - 1) * sw + (fw - 1) * dw + 1;
  const wasm = backend as WasmBackendFull;
  const xp = top === 0 && left === 0 && hp === h && wp === w ? x : ops.run('', {}, {}, () => padRows(wasm, x, hp, wp, top, left));
  const rowChannels = perTap ? 1 : c;
  const rows = intTable(ops, backend, fh * fw * rowChannels, (view) => {
    for (let i = 0, r = 0; i < fh; i++) for (let j = 0; j < fw; j++) for (let ch = 0; ch < rowChannels; ch++) view[r++] = ((i * dh * wp + j * dw) * c + ch) * 4;
  });
  const runs = intTable(ops, backend, n * oh * 3, (view) => {
    for (let b = 0, r = 0; b < n; b++) {
      for (let y = 0; y < oh; y++, r += 3) {
        view[r] = (b * hp + y * sh) * wp * c * 4;
        view[r + 1] = (b * oh + y) * ow * sideChannels * 4;
        view[r + 2] = ow;
      }
    }
  });
  return { xp, rows, runs, wp };
}

/**
 * dW [fH, fW, C, oC] by `gemmRuns`: row (i, j, c) of dW is the sum over every run's positions of
 * the input at that row's offset times dy's row. oC % 4 == 0. Measured per call (CPU time,
 * bench/filter-grad.ts): conv1 (x [128, 28, 28, 1], 16 filters) 1.7 ms, conv2 (x [128, 14, 14, 16],
 * 32 filters) 6.8 ms, against 2.4-2.9 ms and 12.7-13.0 ms on XNNPACK (convGradients.ts).
 */
export function simdFilterGradient(ops: Ops, backend: unknown, simd: SimdKernels, x: Info, dy: Info, info: Conv2DInfo): Info {
  const { batchSize: n, inChannels: c, outHeight: oh, outWidth: ow, outChannels: oc, strideHeight: sh, strideWidth: sw, filterHeight: fh, filterWidth: fw } = info;
  const { xp, rows, runs, wp } = tables(ops, backend, x, info, oc);
  const out = ops.run('', {}, {}, () => (backend as WasmBackendFull).makeOutput([fh, fw, c, oc], 'float32'));
  const block = Math.max(1, Math.floor(RUN_BLOCK_BYTES / (ow * oc * 4 + sh * wp * c * 4)));
  simd.gemmRuns(heapOffset(backend, xp), heapOffset(backend, rows), fh * fw * c, sw * c * 4, heapOffset(backend, dy), oc * 4, oc, heapOffset(backend, out), heapOffset(backend, runs), n * oh, block);
  return out;
}

/**
 * The forward convolution [N, oH, oW, oC] by `convRuns`: each output position's oC values are
 * the sum over the T rows of the input at the row's offset times the filter's row, whose own
 * layout [fH, fW, C, oC] is [T, oC]. oC % 4 == 0. From 4 input channels on, the kernel loops over
 * taps and steps through each tap's channels (8 % faster than a row offset per channel for C = 16
 * and 32); below, it takes a row per tap and channel (conv1, C = 1: 1.0 against 1.5 ms). With a
 * bias, the sums start from it; with `relu`, they end in max(·, 0).
 */
export function simdConvolution(ops: Ops, backend: unknown, simd: SimdKernels, x: Info, filter: Info, info: Conv2DInfo, bias?: Info, relu = false): Info {
  const { batchSize: n, inChannels: c, outHeight: oh, outWidth: ow, outChannels: oc, strideWidth: sw, filterHeight: fh, filterWidth: fw } = info;
  const perTap = c >= 4;
  const { xp, rows, runs } = tables(ops, backend, x, info, oc, perTap);
  const out = ops.run('', {}, {}, () => (backend as WasmBackendFull).makeOutput([n, oh, ow, oc], 'float32'));
  const [taps, channels] = perTap ? [fh * fw, c] : [fh * fw * c, 1];
  simd.convRuns(heapOffset(backend, xp), heapOffset(backend, rows), taps, channels, sw * c * 4, heapOffset(backend, filter), oc, heapOffset(backend, out), heapOffset(backend, runs), n * oh, bias ? heapOffset(backend, bias) : 0, relu ? 1 : 0);
  return out;
}
