/**
 * im2col for the conv2d filter gradient, as a JavaScript loop over the wasm heap: the patch
 * matrix of an NHWC input, transposed, so that one untransposed `BatchMatMul` (XNNPACK) with dy
 * gives the filter gradient in its own layout, with no `Transpose` before or after.
 */
import type { Conv2DInfo } from './kernelOps';

/**
 * Writes patchesᵀ [fH·fW·C, N·oH·oW] of `x` (NHWC, [N, H, W, C]) into `out`: row (i, j, c),
 * column (n, y, x) holds x[n, y·sH + i·dH − top, x·sW + j·dW − left, c], or 0 in the padding.
 * Then dW [fH, fW, C, oC] = patchesᵀ · dy [N·oH·oW, oC].
 */
export function im2colTransposed(x: Float32Array, out: Float32Array, info: Conv2DInfo): void {
  const { batchSize: n, inHeight: h, inWidth: w, inChannels: c, outHeight: oh, outWidth: ow } = info;
  const { strideHeight: sh, strideWidth: sw, dilationHeight: dh, dilationWidth: dw, filterHeight: fh, filterWidth: fw } = info;
  const top = info.padInfo.top;
  const left = info.padInfo.left;
  const rowStride = w * c;
  const imageStride = h * rowStride;
  const xStep = sw * c;
  let o = 0;
  for (let i = 0; i < fh; i++) {
    for (let j = 0; j < fw; j++) {
      // The output columns whose input column x·sW + j·dW − left lies inside the image.
      const offset = j * dw - left;
      const x0 = Math.min(ow, Math.max(0, Math.ceil(-offset / sw)));
      const x1 = Math.max(x0, Math.min(ow, Math.floor((w - 1 - offset) / sw) + 1));
      for (let ch = 0; ch < c; ch++) {
        for (let b = 0; b < n; b++) {
          for (let y = 0; y < oh; y++) {
            const row = y * sh + i * dh - top;
            if (row < 0 || row >= h) {
              out.fill(0, o, o + ow);
              o += ow;
              continue;
            }
            if (x0 > 0) out.fill(0, o, o + x0);
            let src = b * imageStride + row * rowStride + (x0 * sw + offset) * c + ch;
            for (let xo = x0; xo < x1; xo++, src += xStep) out[o + xo] = x[src]!;
            if (x1 < ow) out.fill(0, o + x1, o + ow);
            o += ow;
          }
        }
      }
    }
  }
}
