/**
 * `Add` of a float32 tensor and a smaller one that broadcasts over its leading axes, for the
 * tfjs wasm backend: a conv layer's bias add, x [N, H, W, C] + bias [C] (tfjs runs it as an
 * `Add` of its own, not fused into the conv, whenever a gradient tape records the step).
 *
 * The wasm kernel sends every broadcast through a scalar loop that recomputes each element's
 * broadcast index, slower than its own same-shape add (XNNPACK). Here the SIMD kernel `addRows`
 * (simd/elementwise.wat) makes one flat pass: 0.24-0.33 against 1.4-2.2 ms for [128, 28, 28, 16] +
 * [16], 0.10-0.15 against 0.45-0.63 ms for [128, 14, 14, 32] + [32] (CPU time per call,
 * bench/simd-kernels.ts); the training step's 27 Adds (profile-cnn), of which these two were
 * most of the time, went from 2.1-2.6 to 1.1-1.2 ms. Same-shape adds stay on the wasm kernel:
 * the SIMD pass was no faster on a large one (0.47 against 0.47 ms for [128, 28, 28, 16], the
 * mean of six rounds) and only 2-3 µs a call faster on the step's small ones (Adam's, ~0.03 ms
 * a step, below the step's noise). Float32 only; the smaller operand, its leading 1s aside,
 * must be the larger one's trailing dims and hold a multiple of 4 elements; every other case
 * goes to the replaced kernel. A float32 sum is correctly rounded, so the results are bit for
 * bit the wasm kernel's and the cpu backend's.
 */
import { prod, type Info, type KernelArgs, type KernelFn, type TF, type WasmBackendFull } from './kernelOps';
import { heapOffset, simdKernels } from './simd/simdKernels';

/** Whether `Add` may take the SIMD kernel (the bench turns it off to time the wasm kernel). */
export const ADD_TUNING: { simd: boolean } = { simd: true };

/** A shape without its leading 1s. */
function withoutLeadingOnes(shape: number[]): number[] {
  let i = 0;
  while (i < shape.length && shape[i] === 1) i++;
  return shape.slice(i);
}

/** Whether `small` (leading 1s aside) is `big`'s trailing dims. */
function isTrailing(small: number[], big: number[]): boolean {
  const tail = withoutLeadingOnes(small);
  const skip = big.length - tail.length;
  return skip >= 0 && tail.every((d, i) => d === big[skip + i]);
}

/**
 * How the SIMD kernel runs `a + b`: `outer` rows of `inner` elements from the larger operand
 * (`rows`: 'a' or 'b'), the smaller one added to each; null where it does not apply (the smaller
 * is not the larger's trailing dims, holds no multiple of 4 elements, or is as large).
 */
export function broadcastRows(a: number[], b: number[]): { rows: 'a' | 'b'; outer: number; inner: number } | null {
  // Addition commutes: the larger operand is the rows, the smaller the row added to each.
  const rows = prod(b) > prod(a) ? 'b' : 'a';
  const [big, small] = rows === 'a' ? [a, b] : [b, a];
  const size = prod(big);
  const inner = prod(small);
  if (inner === 0 || inner === size || inner % 4 !== 0 || !isTrailing(small, big)) return null;
  return { rows, outer: size / inner, inner };
}

/** `Add`: the SIMD kernel where `broadcastRows` applies to two float32 operands, else `fallback`. */
export function broadcastAdd(tf: TF, fallback: KernelFn) {
  return (args: KernelArgs): Info => {
    const { a, b } = args.inputs as { a: Info; b: Info };
    if (!ADD_TUNING.simd || a.dtype !== 'float32' || b.dtype !== 'float32') return fallback(args) as Info;
    const plan = broadcastRows(a.shape, b.shape);
    const simd = plan ? simdKernels(args.backend) : null;
    if (!plan || !simd) return fallback(args) as Info;
    const [big, small] = plan.rows === 'a' ? [a, b] : [b, a];
    const wasm = args.backend as WasmBackendFull;
    const out = wasm.makeOutput(tf.backend_util.assertAndGetBroadcastShape(a.shape, b.shape), 'float32');
    simd.addRows(heapOffset(args.backend, big), heapOffset(args.backend, small), heapOffset(args.backend, out), plan.outer, plan.inner);
    return out;
  };
}
