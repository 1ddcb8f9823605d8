/**
 * The conv2d gradient kernels for the tfjs wasm backend: `Conv2DBackpropFilter`, which the
 * backend lacks, and `Conv2DBackpropInput`, which it has as a scalar loop (~12x slower than the
 * forward conv). The filter gradient runs on Trainbench's SIMD kernel `gemmRuns` where it can
 * (convSimd.ts), else in XNNPACK through other wasm kernels; the input gradient is a forward
 * `Conv2D` (the SIMD kernel `convRuns` where it can, else XNNPACK).
 */
import { im2colTransposed } from './im2col';
import { simdKernels } from './simd/simdKernels';
import { simdFilterGradient } from './convSimd';
import { heapView, nhwcConvInfo, onHeap, releaseView, toNHWC, withOps, type Conv2DInfo, type ConvAttrs, type Info, type KernelArgs, type Ops, type TF, type WasmBackendFull } from './kernelOps';

/**
 * `Conv2DBackpropFilter`: dW[i,j,c,o] = Σ_{n,y,x} xpad[n, y·sH + i·dH, x·sW + j·dW, c] · dy[n,y,x,o],
 * the gradient of conv2d with respect to its filter (the kernel the wasm backend lacks), in one of
 * four ways (`filterGradientPath`):
 *
 * - 'runs', whenever Trainbench's SIMD kernels run (simd/conv.wat) and oC is a multiple of 4:
 *   `gemmRuns` reads the padded input and dy where they lie, nothing copied or packed
 *   (convSimd.ts). The three XNNPACK ways below are its fallbacks. In CPU time per call
 *   (bench/filter-grad.ts): conv1 (x [128, 28, 28, 1], 16 filters) 1.7 ms against 2.4-2.9 ms for
 *   im2col; conv2 (x [128, 14, 14, 16], 32 filters) 6.8 ms against 12.7-13.0 ms for dyImage.
 * Without them, every multiply-add runs in XNNPACK:
 * - 'im2col', when fH·fW·C ≤ 2·oC (the first layer of an image net: one input channel): a
 *   JavaScript loop over the wasm heap writes the transposed patch matrix [fH·fW·C, N·oH·oW]
 *   (im2col.ts), and `BatchMatMul` (untransposed, so XNNPACK) takes it times dy [N·oH·oW, oC],
 *   which is dy's own layout; the product is the gradient's layout too, so no `Transpose` runs.
 *   For MNIST's first layer (x [128, 28, 28, 1], 16 filters) ~2x faster than the im2col it
 *   replaced (patches by a `DepthwiseConv2dNative` with one-hot filters, dy transposed for the
 *   GEMM) and ~3x faster than the swapped convolution. For x [64, 14, 14, 8] with 64 filters
 *   (fH·fW·C = 72) 7.9 ms against 13.8 ms swapped; for x [128, 14, 14, 16] with 32 filters
 *   (144) 24 ms against 19.5 ms, hence the 2·oC.
 * - 'dyImage', at stride 1 with C ≥ 8 when x is no larger than dy (MNIST's second layer): one
 *   forward `Conv2D` with dy transposed to [oC, H'', W'', N] as the image and x transposed to
 *   [H, W, N, C] as the filter (dyImageConvolution).
 * - 'swapped', otherwise: one forward `Conv2D` per group of samples with the roles swapped the
 *   other way: the padded input transposed to [C, H', W', N] is the image (batch C, N channels),
 *   dy transposed to [oH, oW, N, oC] the filter, the original strides the dilations and the
 *   original dilations the strides; the sum [C, fH, fW, oC] is transposed to [fH, fW, C, oC].
 *
 * What these cost is mostly not the multiply-adds. XNNPACK packs a GEMM's or convolution's
 * weights when it first sees them (the wasm backend caches the operator on the weights' tensor
 * id, so here on every call), and the weights are always one of the two large operands (the
 * reduction over N·oH·oW is the GEMM's K). Measured in CPU time for conv2 (x [128, 14, 14, 16],
 * 32 filters, 115.6 M multiply-adds; its forward conv takes ~6.5 ms): the swapped `Conv2D`
 * alone 8.3 ms with its operator cached, 12.8 ms fresh; with x as the filter (half dy's size,
 * C output channels instead of oC) 8.7 ms cached, 9.9 ms fresh. Whole kernel, alone: swapped
 * 15.6 ms, swapped in groups 13.3-13.7 ms, dyImage 12.6-12.9 ms; in the CNN step (profile-cnn,
 * both layers' calls) 25.0-26.0 ms swapped, 24.3 ms grouped, 22.6-23.1 ms with dyImage. For
 * conv1's `BatchMatMul`, 1.1 ms cached against 5.6 ms fresh: packing dy [100352, 16] is most
 * of it.
 *
 * Blocking the reduction over groups of samples (so that a group's operands fit in L2 instead
 * of streaming from memory once per GEMM tile) gains less than expected: the cached compute is
 * about the same blocked or not (conv2 swapped: 8.3 ms whole, 8.5-8.9 ms in groups of 16-64
 * samples); what blocking cuts is the packing, whose transposes are cache-friendlier on a
 * group's slab. So only 'swapped' runs in groups, of `GROUP_BYTES` of dy (768 KiB, most of this
 * machine's 1 MB L2; groups of 4-8 samples were slower than the whole batch): x and dy are
 * transposed once into a group-major layout, each group's image and filter are views into those
 * (heapView, no copy), and the groups' results are added in a fixed order, so the result depends
 * on the batch and the group size only. dyImage measured the same in groups of 16-64 samples as
 * whole; im2col in groups of 16-32 samples was 0.6 ms faster alone (8.6 → 8.0 ms) but ~0.5 ms
 * slower in the step, so both run whole.
 *
 * NCHW inputs are transposed to NHWC first. An im2col built from per-offset slices (`Slice`,
 * `StridedSlice`) was measured too: the wasm `Slice` is a JavaScript row-by-row copy, and the
 * nine slices alone took longer than the whole swapped convolution.
 */
export function conv2DBackpropFilter(tf: TF) {
  return (args: KernelArgs): Info =>
    withOps(tf, args.backend, (ops) => {
      const { x, dy } = args.inputs as { x: Info; dy: Info };
      const attrs = args.attrs as ConvAttrs & { filterShape: [number, number, number, number] };
      const nchw = attrs.dataFormat === 'NCHW';
      const xN = nchw ? ops.transpose(x, [0, 2, 3, 1]) : x;
      const dyN = nchw ? ops.transpose(dy, [0, 2, 3, 1]) : dy;
      const info = nhwcConvInfo(tf, xN.shape, attrs.filterShape, attrs);
      const { batchSize: n, inChannels: c, outHeight: oh, outWidth: ow, outChannels: oc, filterHeight: fh, filterWidth: fw } = info;
      if (dyN.shape.join() !== [n, oh, ow, oc].join()) {
        throw new Error(`Conv2DBackpropFilter: dy has shape [${dyN.shape}], expected [${[n, oh, ow, oc]}]`);
      }
      const views: Info[] = [];
      const tuning = FILTER_GRAD_TUNING;
      // Samples per group: as many as keep a group's dy (the operand XNNPACK packs) in L2.
      const group = tuning.groupBytes > 0 ? Math.max(1, Math.floor(tuning.groupBytes / (oh * ow * oc * 4))) : n;
      try {
        const simd = simdKernels(args.backend);
        switch (tuning.path ?? filterGradientPath(info, simd !== null)) {
          case 'runs':
            return simdFilterGradient(ops, args.backend, simd!, xN, dyN, info);
          case 'im2col':
            return im2colProduct(ops, args.backend, xN, dyN, info);
          case 'dyImage':
            return dyImageConvolution(ops, args.backend, xN, dyN, info);
          default:
            return swappedConvolution(ops, args.backend, xN, dyN, info, group, views);
        }
      } finally {
        for (const view of views) releaseView(args.backend, view);
      }
    });
}

export type FilterGradientPath = 'runs' | 'im2col' | 'dyImage' | 'swapped';

/** dy bytes per group of the swapped convolution: most of a 1 MB L2 (see conv2DBackpropFilter). */
const GROUP_BYTES = 768 * 1024;

/** Which way `Conv2DBackpropFilter` computes a call of these shapes. */
export function filterGradientPath(info: Conv2DInfo, simd: boolean): FilterGradientPath {
  const { batchSize: n, inHeight: h, inWidth: w, inChannels: c, outHeight: oh, outWidth: ow, outChannels: oc, filterHeight: fh, filterWidth: fw } = info;
  if (simd && oc % 4 === 0) return 'runs';
  if (fh * fw * c <= 2 * oc) return 'im2col';
  if (info.strideHeight === 1 && info.strideWidth === 1 && c >= 8 && n * h * w * c <= n * oh * ow * oc) return 'dyImage';
  return 'swapped';
}

/**
 * The bytes of dy per group of samples in the swapped convolution (0: the whole batch in one
 * group), and a path that overrides `filterGradientPath`: set by the bench that measures them
 * and by the tests, which run every path, the swapped one in groups of a few samples.
 */
export const FILTER_GRAD_TUNING: { groupBytes: number; path: FilterGradientPath | null } = {
  groupBytes: GROUP_BYTES,
  path: null,
};

/** Adds `part` into `total` on the heap (or starts the sum with it): the groups' fixed order. */
function accumulate(backend: unknown, total: Info | null, part: Info): Info {
  if (total === null) return part;
  const wasm = backend as WasmBackendFull;
  const sum = wasm.typedArrayFromHeap(total);
  const add = wasm.typedArrayFromHeap(part);
  for (let i = 0; i < sum.length; i++) sum[i] = sum[i]! + add[i]!;
  return total;
}

/** im2col on the heap, then one `BatchMatMul` whose result is already [fH, fW, C, oC]. */
function im2colProduct(ops: Ops, backend: unknown, x: Info, dy: Info, info: Conv2DInfo): Info {
  const { batchSize: n, inChannels: c, outHeight: oh, outWidth: ow, outChannels: oc, filterHeight: fh, filterWidth: fw } = info;
  const wasm = backend as WasmBackendFull;
  const patchesT = ops.run('', {}, {}, () => wasm.makeOutput([1, fh * fw * c, n * oh * ow], 'float32'));
  // Views taken after the allocation, which may grow (and so detach) the heap.
  im2colTransposed(wasm.typedArrayFromHeap(x), wasm.typedArrayFromHeap(patchesT), info);
  const product = ops.run('BatchMatMul', { a: patchesT, b: ops.reshape(dy, [1, n * oh * ow, oc]) }, { transposeA: false, transposeB: false });
  return ops.reshape(product, [fh, fw, c, oc]);
}

/**
 * The swapped forward convolution, in groups of `g` samples: x is transposed once to
 * [G, C, H', W', g] and dy to [G, oH, oW, g, oC], so that each group's image and filter are
 * contiguous slabs (views, no copy); one `Conv2D` per group, summed; a last, smaller group for
 * the samples left over.
 */
function swappedConvolution(ops: Ops, backend: unknown, x: Info, dy: Info, info: Conv2DInfo, g: number, views: Info[]): Info {
  const { batchSize: n, inHeight: h, inWidth: w, inChannels: c, outHeight: oh, outWidth: ow, outChannels: oc } = info;
  const { strideHeight: sh, strideWidth: sw, dilationHeight: dh, dilationWidth: dw, filterHeight: fh, filterWidth: fw } = info;
  // The rows and columns of the padded input that any output reads.
  const needH = (fh - 1) * dh + (oh - 1) * sh + 1;
  const needW = (fw - 1) * dw + (ow - 1) * sw + 1;
  const top = info.padInfo.top;
  const left = info.padInfo.left;
  const size = Math.min(g, n);
  const full = Math.floor(n / size);
  let total: Info | null = null;
  // Groups of `size` samples, then one group of the rest.
  for (const [start, groups, count] of [
    [0, full, size],
    [full * size, n > full * size ? 1 : 0, n - full * size],
  ] as const) {
    if (groups === 0) continue;
    const xs = heapView(backend, x, start * h * w * c, [groups, count, h * w, c]);
    views.push(xs);
    const ds = heapView(backend, dy, start * oh * ow * oc, [groups, count, oh * ow, oc]);
    views.push(ds);
    const image = ops.padOrCrop(ops.reshape(ops.transpose(xs, [0, 3, 2, 1]), [groups * c, h, w, count]), [
      [0, 0],
      [top, needH - h - top],
      [left, needW - w - left],
      [0, 0],
    ]);
    const filters = ops.reshape(ops.transpose(ds, [0, 2, 1, 3]), [groups * oh, ow, count, oc]);
    const imageSize = c * needH * needW * count;
    const filterSize = oh * ow * count * oc;
    for (let k = 0; k < groups; k++) {
      // Released at once: XNNPACK caches the convolution (and its packed filter) on the ids.
      const im = heapView(backend, image, k * imageSize, [c, needH, needW, count]);
      const filter = heapView(backend, filters, k * filterSize, [oh, ow, count, oc]);
      try {
        total = accumulate(backend, total, ops.conv2d(im, filter, [dh, dw], [sh, sw])); // [C, fH, fW, oC]
      } finally {
        releaseView(backend, im);
        releaseView(backend, filter);
      }
    }
  }
  const result = ops.transpose(total!, [1, 2, 0, 3]);
  return c === result.shape[2] ? result : ops.reshape(result, [fh, fw, c, oc]);
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
export function conv2DBackpropInput(tf: TF) {
  return (args: KernelArgs): Info =>
    withOps(tf, args.backend, (ops) => {
      const { dy, filter } = args.inputs as { dy: Info; filter: Info };
      const attrs = args.attrs as ConvAttrs & { inputShape: [number, number, number, number] };
      const nchw = attrs.dataFormat === 'NCHW';
      const inShape = (nchw ? toNHWC(attrs.inputShape) : attrs.inputShape) as [number, number, number, number];
      const dyN = nchw ? ops.transpose(dy, [0, 2, 3, 1]) : dy;
      const info = nhwcConvInfo(tf, inShape, filter.shape, attrs);
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

/**
 * Stride 1: the forward convolution with dy as the image and x as the filter, x being the
 * smaller: dW[i,j,c,o] = Σ_{n,r,s} D[o, (fH−1−i)·dH + r, (fW−1−j)·dW + s, n] · x[n, r, s, c],
 * where D is dy transposed to [oC, oH, oW, N] and padded by (fH−1)·dH − top above and
 * H + top − oH below (negative: the rows that would pair with the input's padding are cropped).
 * A `Conv2D` of D with the filter x transposed to [H, W, N, C] (its strides the dilations) gives
 * [oC, fH, fW, C] flipped in both spatial axes; a loop on the heap writes it as [fH, fW, C, oC].
 * Not blocked: groups of 16-64 samples measured the same as the whole batch. A JavaScript loop
 * writing D straight from dy (transpose and padding in one pass) was no faster than `Transpose`
 * + `PadV2` (13.1 ms against 12.8-13.2 ms for the whole call; 16.5 ms with the samples as the
 * outer loop). For conv1 (one input channel), x as the filter with the filter's width folded
 * into x's channels (3 output channels) did not beat im2col either: `Conv2D` 4.4 ms fresh plus
 * 2.7 ms transposing dy, against 6.8 ms for im2col's `BatchMatMul` plus 1.7 ms im2col.
 */
function dyImageConvolution(ops: Ops, backend: unknown, x: Info, dy: Info, info: Conv2DInfo): Info {
  const { batchSize: n, inHeight: h, inWidth: w, inChannels: c, outHeight: oh, outWidth: ow, outChannels: oc } = info;
  const { dilationHeight: dh, dilationWidth: dw, filterHeight: fh, filterWidth: fw } = info;
  const top = info.padInfo.top;
  const left = info.padInfo.left;
  const filter = ops.reshape(ops.transpose(ops.reshape(x, [n, h * w, c]), [1, 0, 2]), [h, w, n, c]);
  const image = ops.padOrCrop(ops.reshape(ops.transpose(ops.reshape(dy, [n, oh * ow, oc]), [2, 1, 0]), [oc, oh, ow, n]), [
    [0, 0],
    [(fh - 1) * dh - top, h + top - oh],
    [(fw - 1) * dw - left, w + left - ow],
    [0, 0],
  ]);
  const flipped = ops.conv2d(image, filter, [dh, dw], [1, 1]); // [oC, fH, fW, C]
  return ops.run('', {}, {}, () =>
    onHeap(
      backend,
      [flipped],
      [fh, fw, c, oc],
      ([t], out) => {
        let at = 0;
        for (let i = 0; i < fh; i++) {
          for (let j = 0; j < fw; j++) {
            for (let ch = 0; ch < c; ch++) {
              for (let o = 0, from = ((fh - 1 - i) * fw + (fw - 1 - j)) * c + ch; o < oc; o++, from += fh * fw * c) out[at++] = t![from]!;
            }
          }
        }
      },
      false,
    ),
  );
}
