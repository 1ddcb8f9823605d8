/**
 * The conv2d gradient kernels for the tfjs wasm backend: `Conv2DBackpropFilter`, which the
 * backend lacks, and `Conv2DBackpropInput`, which it has as a scalar loop (~12x slower than the
 * forward conv). Both run their multiply-adds in XNNPACK through other wasm kernels.
 */
import { im2colTransposed } from './im2col';
import { toNHWC, withOps, type ConvAttrs, type Info, type KernelArgs, type TF, type WasmBackendFull } from './kernelOps';


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
 * - When fH·fW·C ≤ 2·oC (the first layer of an image net: one input channel), as im2col + one
 *   GEMM: a JavaScript loop over the wasm heap writes the transposed patch matrix
 *   [fH·fW·C, N·oH·oW] (im2col.ts), and `BatchMatMul` (untransposed, so XNNPACK) takes it times
 *   dy [N·oH·oW, oC], which is dy's own layout; the product is the gradient's layout too, so no
 *   `Transpose` runs. For MNIST's first layer (x [128, 28, 28, 1], 16 filters) ~2x faster than
 *   the im2col it replaced (patches by a `DepthwiseConv2dNative` with one-hot filters, dy
 *   transposed for the GEMM) and ~3x faster than the swapped convolution. Measured in CPU time:
 *   for x [64, 14, 14, 8] with 64 filters (fH·fW·C = 72) 7.9 ms against 13.8 ms swapped; for
 *   x [128, 14, 14, 16] with 32 filters (144) 24 ms against 19.5 ms, so the swapped
 *   convolution is kept where fH·fW·C > 2·oC.
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
      if (taps * c <= 2 * oc) {
        // Small patches against many filters (the first layer of an image net): im2col on the
        // heap, then one GEMM whose result is already [fH, fW, C, oC].
        const wasm = args.backend as WasmBackendFull;
        const patchesT = ops.run('', {}, {}, () => wasm.makeOutput([1, taps * c, n * oh * ow], 'float32'));
        // Views taken after the allocation, which may grow (and so detach) the heap.
        im2colTransposed(wasm.typedArrayFromHeap(xN), wasm.typedArrayFromHeap(patchesT), info);
        const product = ops.run('BatchMatMul', { a: patchesT, b: ops.reshape(dyN, [1, n * oh * ow, oc]) }, { transposeA: false, transposeB: false });
        return ops.reshape(product, [fh, fw, c, oc]);
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
export function conv2DBackpropInput(tf: TF) {
  return (args: KernelArgs): Info =>
    withOps(tf, args.backend, (ops) => {
      const { dy, filter } = args.inputs as { dy: Info; filter: Info };
      const attrs = args.attrs as ConvAttrs & { inputShape: [number, number, number, number] };
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
