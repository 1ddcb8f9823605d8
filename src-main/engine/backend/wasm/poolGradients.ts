/**
 * The pooling gradient kernels for the tfjs wasm backend, `MaxPoolGrad` and `AvgPoolGrad`:
 * JavaScript loops over the wasm heap, and for 2×2 max pooling over channels in fours a SIMD
 * kernel of our own (simd/pooling.wat), replacing the backend's scalar C++ loops.
 */
import { onHeap, type Info, type KernelArgs, type KernelFn, type Pair, type TF, type WasmBackendFull } from './kernelOps';
import { heapOffset, simdKernels } from './simd/simdKernels';

/** Whether MaxPoolGrad may take the SIMD kernel (tests and the bench turn it off to run the JavaScript loop instead). */
export const MAX_POOL_GRAD_TUNING: { simd: boolean } = { simd: true };

type PoolAttrs = {
  filterSize: number | Pair;
  strides: number | Pair;
  pad: 'same' | 'valid' | number;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
};

/**
 * The exactly tiling case of MaxPoolGrad, a loop kept monomorphic for V8, on a zero-filled dx:
 * for each window row band (rows = batch · output rows), window and channel, dy goes to the
 * first element equal to the window maximum m; a −∞ or NaN maximum routes nothing.
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
        if (!(best > Number.NEGATIVE_INFINITY)) continue;
        search: for (let a = 0; a < fh; a++) {
          for (let q = 0, i = base + a * row + d; q < fw; q++, i += c) {
            if (x[i]! >= best) {
              dx[i] = g[o]!;
              break search;
            }
          }
        }
      }
    }
  }
}

/**
 * routeToFirstMaximum for 2×2 windows, without a data-dependent branch. Which of the four
 * elements first equals the maximum is random on real activations, so the chain of `if`s it
 * replaced mispredicted about one branch per window: 5.6 ms against 2.2 ms here for a
 * [128, 28, 28, 16] ReLU output (a standalone loop on the same data; 6.2 → 2.7 ms in the kernel).
 * n0, n1, n2 are 1 while the first, second, third element is still not the maximum (NaN is
 * not), so the first maximum's offset from the window's first element is
 * n0·c + n1·(row − c) + n2·c. The value written there is dy, or 0 when the maximum is −∞ or NaN
 * or no element equals it; the zero fill leaves the other three. Writing all four elements of
 * each window instead of the fill was slower (2.9 against 2.1 ms), and so was selecting the
 * index with chained conditional expressions (V8 compiles them to branches: 6.3 ms).
 */
function routeToFirstMaximum2x2(x: Float32Array, m: Float32Array, g: Float32Array, dx: Float32Array, rows: number, ow: number, c: number, row: number): void {
  const down = row - c;
  let o = 0;
  for (let band = 0; band < rows; band++) {
    let i0 = band * 2 * row;
    for (let yc = 0; yc < ow; yc++, i0 += c) {
      for (let d = 0; d < c; d++, o++, i0++) {
        const best = m[o]!;
        const i1 = i0 + row;
        const n0 = +!(x[i0]! >= best);
        const n1 = n0 & +!(x[i0 + c]! >= best);
        const n2 = n1 & +!(x[i1]! >= best);
        const hit = (n2 ^ 1) | +(x[i1 + c]! >= best);
        dx[i0 + n0 * c + n1 * down + n2 * c] = best > Number.NEGATIVE_INFINITY && hit === 1 ? g[o]! : 0;
      }
    }
  }
}

/**
 * `MaxPoolGrad`: dx[n,y,x,c] = Σ dy[n,oy,ox,c] over the pooling windows (oy, ox) whose first
 * maximum (row-major scan, strict `>`, as the cpu backend's maxPoolPositions) is at (y, x).
 *
 * A JavaScript loop over the wasm heap (no other kernel). When the windows tile the input
 * exactly (strides = pool size, no padding, as in MNIST's 28 → 14 → 7), dx is zero-filled and
 * each window writes once: dy at the window's first element equal to the forward output (the
 * maximum, from the same backend, so the comparison is exact). Otherwise one pass finds
 * each window's first maximum per channel and a scatter adds dy there. Replaces the wasm kernel
 * of the same name, a scalar C++ loop ~7x slower (20 ms against 2.7 ms for a [128, 28, 28, 16]
 * ReLU output; 5.9 ms before the 2×2 loop went branch-free) that also breaks ties differently
 * from the cpu backend (it routes dy to another of equal maxima; after a ReLU, windows of zeros
 * are common). Two alternatives were measured and
 * dropped: window-major `Transpose` + `ArgMax` + `OneHot` (~30 ms: those wasm kernels are
 * scalar loops) and XNNPACK elementwise ops on a [N, oH, pH, oW, pW, C] view (~10 ms: the wasm
 * binary kernels broadcast through a slow path). An all −∞ window routes nothing, as on cpu.
 *
 * Tiling 2×2 windows over channels in fours (the CNN's two pools) take the SIMD kernel
 * `maxPoolGrad2x2` (simd/pooling.wat) instead of the JavaScript loop: four channels a vector,
 * compare masks and `and` where the loop computes an index, and all four elements of each window
 * written, so no zero fill. 0.56-0.70 against 2.8-3.4 ms for a [128, 28, 28, 16] ReLU output,
 * 0.16-0.21 against 1.39-1.47 ms for [128, 14, 14, 32] (CPU time per call, bench/simd-kernels.ts);
 * in the CNN's training step (profile-cnn) the two calls went from 5.5-6.3 to 2.0-2.2 ms.
 */
export function maxPoolGrad(tf: TF, fallback: KernelFn) {
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
      // The windows tile the input exactly: every dx element belongs to one window. dy goes to
      // the first element equal to the window's maximum (the forward output, computed by the
      // same backend, so equality is exact); the others keep the zero fill. An all −∞ (or NaN)
      // window routes nothing, as on the cpu backend.
      const simd = MAX_POOL_GRAD_TUNING.simd && fh === 2 && fw === 2 && c % 4 === 0 ? simdKernels(args.backend) : null;
      if (simd) {
        // Four channels a vector; the kernel writes every dx element, so no zero fill.
        const wasm = args.backend as WasmBackendFull;
        const dx = wasm.makeOutput(input.shape, 'float32');
        const at = (t: Info): number => heapOffset(args.backend, t);
        simd.maxPoolGrad2x2(at(input), at(output), at(dy), at(dx), n * oh, ow, c);
        return dx;
      }
      return onHeap(args.backend, [input, output, dy], input.shape, ([x, m, g], dx) => routeToFirstMaximum(x!, m!, g!, dx, n * oh, ow, c, fh, fw, w * c));
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
export function avgPoolGrad(tf: TF, fallback: KernelFn) {
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
