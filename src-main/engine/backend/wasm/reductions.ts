/**
 * `Sum` over leading axes for the tfjs wasm backend: the reduction of every bias gradient
 * (dy [N, H, W, C] summed over N, H and W; dy [N, units] over N). The wasm kernel first
 * transposes the input so that the reduced axes are innermost (a full copy through its slow
 * transpose loop), then sums; for a CNN step's two conv bias gradients that was ~8 % of the
 * step. Here one pass over the wasm heap adds each row into a float64 accumulator per output
 * element (as the cpu backend sums in JavaScript numbers). Other reductions, and dtypes other
 * than float32, go to the replaced kernel.
 *
 * When the kept size (the columns) is a multiple of 4, the pass is the SIMD kernel `sumRows`
 * (simd/reductions.wat): float32 promoted to float64 two lanes at a time, added in the JavaScript
 * loop's order, so both paths give the same bits and the float64 precision stays. Its float64
 * accumulators live in a scratch on the heap, a block of up to 1024 columns (8 KiB, in L1) at a
 * time, four rows streaming through them a pass, since the columns run to thousands for a dense
 * layer's bias. Accumulators in registers gained nothing where they fit: a 16-column variant
 * with eight f64x2 locals took the same 0.23 ms as the scratch for [100352, 16] (the pass is
 * bound by reading x). 0.25-0.42 against 1.45-2.4 ms for dy [128, 28, 28, 16], 0.13-0.16
 * against 0.74-1.2 ms for [128, 14, 14, 32], 0.04-0.05 against 0.18-0.40 ms for [128, 1568]
 * (CPU time per call, bench/simd-kernels.ts; 5-8x in every round, the machine's speed drifting
 * between rounds); the training step's six Sums (profile-cnn) went from 2.4-3.0 to 0.66-0.72 ms.
 * Other column counts keep the JavaScript loop.
 */
import { onHeap, prod, withOps, type Info, type KernelArgs, type KernelFn, type TF, type WasmBackendFull } from './kernelOps';
import { heapOffset, simdKernels } from './simd/simdKernels';

/**
 * Whether `Sum` may take the SIMD kernel, and its block of columns (a multiple of 4): tests
 * and the bench change them to run the JavaScript loop or several blocks.
 */
export const SUM_TUNING: { simd: boolean; block: number } = { simd: true, block: 1024 };

export function leadingAxesSum(tf: TF, fallback: KernelFn) {
  return (args: KernelArgs): Info => {
    const { x } = args.inputs as { x: Info };
    const attrs = (args.attrs ?? {}) as { axis?: number | number[] | null; keepDims?: boolean };
    const rank = x.shape.length;
    if (x.dtype !== 'float32' || rank < 2 || prod(x.shape) === 0) return fallback(args) as Info;
    const axes = attrs.axis == null ? x.shape.map((_, i) => i) : [...new Set(tf.util.parseAxisParam(attrs.axis, x.shape))].sort((a, b) => a - b);
    const k = axes.length;
    // Innermost (trailing) axes the wasm kernel reduces without a transpose.
    if (k === 0 || k === rank || !axes.every((a, i) => a === i)) return fallback(args) as Info;
    const rows = prod(x.shape.slice(0, k));
    const cols = prod(x.shape.slice(k));
    const outShape = attrs.keepDims ? [...axes.map(() => 1), ...x.shape.slice(k)] : x.shape.slice(k);
    const simd = SUM_TUNING.simd && cols % 4 === 0 ? simdKernels(args.backend) : null;
    if (simd) {
      const wasm = args.backend as WasmBackendFull;
      const block = Math.min(cols, SUM_TUNING.block);
      return withOps(tf, args.backend, (ops) => {
        const out = ops.run('', {}, {}, () => wasm.makeOutput(outShape, 'float32'));
        // float64 accumulators for one block of columns, as float32 pairs.
        const acc = ops.run('', {}, {}, () => wasm.makeOutput([2 * block], 'float32'));
        simd.sumRows(heapOffset(args.backend, x), rows, cols, heapOffset(args.backend, out), heapOffset(args.backend, acc), block);
        return out;
      });
    }
    return onHeap(
      args.backend,
      [x],
      outShape,
      ([v], out) => {
        const values = v!;
        const acc = new Float64Array(cols);
        // Four rows per pass over the accumulator: half the time of one row per pass.
        const c2 = 2 * cols;
        const c3 = 3 * cols;
        let r = 0;
        let base = 0;
        for (; r + 4 <= rows; r += 4, base += 4 * cols) {
          for (let c = 0; c < cols; c++) {
            const i = base + c;
            acc[c] = acc[c]! + (values[i]! + values[i + cols]!) + (values[i + c2]! + values[i + c3]!);
          }
        }
        for (; r < rows; r++, base += cols) {
          for (let c = 0; c < cols; c++) acc[c] = acc[c]! + values[base + c]!;
        }
        for (let c = 0; c < cols; c++) out[c] = acc[c]!;
      },
      false,
    );
  };
}
