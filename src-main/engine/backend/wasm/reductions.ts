/**
 * `Sum` over leading axes for the tfjs wasm backend: the reduction of every bias gradient
 * (dy [N, H, W, C] summed over N, H and W; dy [N, units] over N). The wasm kernel first
 * transposes the input so that the reduced axes are innermost (a full copy through its slow
 * transpose loop), then sums; for a CNN step's two conv bias gradients that was ~8 % of the
 * step. Here one pass over the wasm heap adds each row into a float64 accumulator per output
 * element (as the cpu backend sums in JavaScript numbers). Other reductions, and dtypes other
 * than float32, go to the replaced kernel.
 */
import { onHeap, prod, type Info, type KernelArgs, type KernelFn, type TF } from './kernelOps';

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
