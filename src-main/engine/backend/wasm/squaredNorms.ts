/**
 * `TrainbenchSquaredNorms`, a kernel of Trainbench's own for the wasm backend: the squared L2
 * norms of many tensors, Σx², and of many differences, Σ(a − b)², in one call and one pass over
 * each tensor on the wasm heap, summed in float64. The instrumented training step needs three
 * per variable (gradient, weight, update); as tfjs ops that was 7 dispatches per variable, each
 * tens of microseconds of engine overhead, and an intermediate tensor per square.
 *
 * Inputs s0 … s(n−1) (squares) and a0 … a(m−1), b0 … b(m−1) (differences), all float32;
 * attributes `squares` = n and `differences` = m. Output: float32 [n + m], the n squared norms
 * then the m squared distances; with the attribute `pairSquares`, [n + 2m]: the n squared norms,
 * the m squared norms of a0 … a(m−1) (read in the same pass as the distances), then the m
 * squared distances. With the attribute `copies` = k, inputs c0 … c(k−1) (float32, any shape)
 * come first in the output, as they are: the step's loss, accuracy and gradient norms are packed
 * with its weight and update norms in this one call instead of a `stack` and a `concat` (four
 * dispatches). No gradient: it measures, outside the gradient tape.
 */
import { onHeap, type Info, type KernelArgs, type WasmBackendFull } from './kernelOps';
import { heapOffset, simdKernels } from './simd/simdKernels';

export const SQUARED_NORMS = 'TrainbenchSquaredNorms';

/** Whether the norms may take the SIMD kernels `sumSquares` and `squaresAndDistance` (tests run both ways). */
export const NORMS_TUNING: { simd: boolean } = { simd: true };

// The loops keep four partial sums: one float64 accumulator is bound by the latency of its
// additions (each waits for the last), four run in parallel. ~2.2x faster for Σx² over 100k
// floats (97 → 43 µs), ~1.4x for Σ(a − b)².

function sumOfSquares(x: Float32Array): number {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  const n = x.length;
  const end = n - (n & 3);
  let k = 0;
  for (; k < end; k += 4) {
    const p = x[k]!;
    const q = x[k + 1]!;
    const r = x[k + 2]!;
    const t = x[k + 3]!;
    s0 += p * p;
    s1 += q * q;
    s2 += r * r;
    s3 += t * t;
  }
  for (; k < n; k++) s0 += x[k]! * x[k]!;
  return s0 + s1 + (s2 + s3);
}

function squaredDistance(a: Float32Array, b: Float32Array): number {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  const n = a.length;
  const end = n - (n & 3);
  let k = 0;
  for (; k < end; k += 4) {
    const p = a[k]! - b[k]!;
    const q = a[k + 1]! - b[k + 1]!;
    const r = a[k + 2]! - b[k + 2]!;
    const t = a[k + 3]! - b[k + 3]!;
    s0 += p * p;
    s1 += q * q;
    s2 += r * r;
    s3 += t * t;
  }
  for (; k < n; k++) {
    const d = a[k]! - b[k]!;
    s0 += d * d;
  }
  return s0 + s1 + (s2 + s3);
}

/** Σa² and Σ(a − b)² in one pass over a and b. */
function squaresAndDistance(a: Float32Array, b: Float32Array): [number, number] {
  let a0 = 0;
  let a1 = 0;
  let d0 = 0;
  let d1 = 0;
  const n = a.length;
  const end = n - (n & 1);
  let k = 0;
  for (; k < end; k += 2) {
    const p = a[k]!;
    const q = a[k + 1]!;
    const dp = p - b[k]!;
    const dq = q - b[k + 1]!;
    a0 += p * p;
    a1 += q * q;
    d0 += dp * dp;
    d1 += dq * dq;
  }
  for (; k < n; k++) {
    const p = a[k]!;
    const dp = p - b[k]!;
    a0 += p * p;
    d0 += dp * dp;
  }
  return [a0 + a1, d0 + d1];
}

export function squaredNorms() {
  return (args: KernelArgs): Info => {
    const attrs = (args.attrs ?? {}) as { squares?: number; differences?: number; pairSquares?: boolean; copies?: number };
    const n = attrs.squares ?? 0;
    const m = attrs.differences ?? 0;
    const k = attrs.copies ?? 0;
    const pairSquares = attrs.pairSquares === true;
    const pick = (name: string): Info => {
      const t = args.inputs[name];
      if (!t) throw new Error(`${SQUARED_NORMS}: input ${name} is missing (squares ${n}, differences ${m})`);
      if (t.dtype !== 'float32') throw new Error(`${SQUARED_NORMS}: input ${name} is ${t.dtype}, expected float32`);
      return t;
    };
    const inputs: Info[] = [];
    for (let i = 0; i < k; i++) inputs.push(pick(`c${i}`));
    const head = inputs.reduce((a, t) => a + t.shape.reduce((x, y) => x * y, 1), 0);
    for (let i = 0; i < n; i++) inputs.push(pick(`s${i}`));
    for (let i = 0; i < m; i++) inputs.push(pick(`a${i}`), pick(`b${i}`));
    for (let i = 0; i < m; i++) {
      const a = inputs[k + n + 2 * i]!;
      const b = inputs[k + n + 2 * i + 1]!;
      if (a.shape.join() !== b.shape.join()) throw new Error(`${SQUARED_NORMS}: a${i} [${a.shape}] and b${i} [${b.shape}] differ in shape`);
    }
    // The SIMD kernels' passes (float64 sums as here; 2-3x faster on a dense layer's weights).
    const simd = NORMS_TUNING.simd ? simdKernels(args.backend) : null;
    const offset = (t: Info): number => heapOffset(args.backend, t);
    return onHeap(
      args.backend,
      inputs,
      [head + n + (pairSquares ? 2 * m : m)],
      (all, whole) => {
        let at = 0;
        for (let i = 0; i < k; i++) {
          whole.set(all[i]!, at);
          at += all[i]!.length;
        }
        const views = all.slice(k);
        const out = whole.subarray(head);
        for (let i = 0; i < n; i++) out[i] = simd ? simd.sumSquares(offset(inputs[k + i]!), views[i]!.length) : sumOfSquares(views[i]!);
        for (let i = 0; i < m; i++) {
          const a = views[n + 2 * i]!;
          const b = views[n + 2 * i + 1]!;
          if (pairSquares) {
            const [aa, dd] = simd ? simd.squaresAndDistance(offset(inputs[k + n + 2 * i]!), offset(inputs[k + n + 2 * i + 1]!), a.length) : squaresAndDistance(a, b);
            out[n + i] = aa;
            out[n + m + i] = dd;
          } else {
            out[n + i] = squaredDistance(a, b);
          }
        }
      },
      false,
    );
  };
}

export const ACCURACY = 'TrainbenchAccuracy';

/**
 * `TrainbenchAccuracy`, a kernel of Trainbench's own for the wasm backend: the fraction of rows
 * of `prediction` [N, C] (float32) whose first maximum (as `argMax`: a later equal value does
 * not win, NaN never wins) is at `labels` [N] (int32), a float32 scalar. One call instead of
 * reshape, argMax, equal, two casts and mean, six dispatches a training step pays for its
 * accuracy. No gradient: it measures.
 */
export function accuracy() {
  return (args: KernelArgs): Info => {
    const { prediction, labels } = args.inputs as { prediction?: Info; labels?: Info };
    if (!prediction || !labels) throw new Error(`${ACCURACY}: inputs prediction and labels are required`);
    if (prediction.dtype !== 'float32' || prediction.shape.length !== 2) throw new Error(`${ACCURACY}: prediction must be float32 [N, C], got ${prediction.dtype} [${prediction.shape}]`);
    const [rows, columns] = prediction.shape as [number, number];
    if (labels.dtype !== 'int32' || labels.shape.length !== 1 || labels.shape[0] !== rows) throw new Error(`${ACCURACY}: labels must be int32 [${rows}], got ${labels.dtype} [${labels.shape}]`);
    const wasm = args.backend as WasmBackendFull;
    const out = wasm.makeOutput([], 'float32');
    const p = wasm.typedArrayFromHeap(prediction);
    const y = wasm.typedArrayFromHeap(labels) as unknown as Int32Array;
    let correct = 0;
    for (let r = 0, base = 0; r < rows; r++, base += columns) {
      let best = p[base]!;
      let at = 0;
      for (let c = 1; c < columns; c++) {
        const v = p[base + c]!;
        if (v > best) {
          best = v;
          at = c;
        }
      }
      if (at === y[r]) correct++;
    }
    wasm.typedArrayFromHeap(out)[0] = rows > 0 ? correct / rows : Number.NaN;
    return out;
  };
}
