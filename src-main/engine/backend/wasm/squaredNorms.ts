/**
 * `TrainbenchSquaredNorms`, a kernel of Trainbench's own for the wasm backend: the squared L2
 * norms of many tensors, Σx², and of many differences, Σ(a − b)², in one call and one pass over
 * each tensor on the wasm heap, summed in float64. The instrumented training step needs three
 * per variable (gradient, weight, update); as tfjs ops that was 7 dispatches per variable, each
 * tens of microseconds of engine overhead, and an intermediate tensor per square.
 *
 * Inputs s0 … s(n−1) (squares) and a0 … a(m−1), b0 … b(m−1) (differences), all float32;
 * attributes `squares` = n and `differences` = m. Output: float32 [n + m], the n squared norms
 * then the m squared distances. No gradient: it measures, outside the gradient tape.
 */
import { onHeap, type Info, type KernelArgs } from './kernelOps';

export const SQUARED_NORMS = 'TrainbenchSquaredNorms';

export function squaredNorms() {
  return (args: KernelArgs): Info => {
    const attrs = (args.attrs ?? {}) as { squares?: number; differences?: number };
    const n = attrs.squares ?? 0;
    const m = attrs.differences ?? 0;
    const pick = (name: string): Info => {
      const t = args.inputs[name];
      if (!t) throw new Error(`${SQUARED_NORMS}: input ${name} is missing (squares ${n}, differences ${m})`);
      if (t.dtype !== 'float32') throw new Error(`${SQUARED_NORMS}: input ${name} is ${t.dtype}, expected float32`);
      return t;
    };
    const inputs: Info[] = [];
    for (let i = 0; i < n; i++) inputs.push(pick(`s${i}`));
    for (let i = 0; i < m; i++) inputs.push(pick(`a${i}`), pick(`b${i}`));
    for (let i = 0; i < m; i++) {
      const a = inputs[n + 2 * i]!;
      const b = inputs[n + 2 * i + 1]!;
      if (a.shape.join() !== b.shape.join()) throw new Error(`${SQUARED_NORMS}: a${i} [${a.shape}] and b${i} [${b.shape}] differ in shape`);
    }
    return onHeap(
      args.backend,
      inputs,
      [n + m],
      (views, out) => {
        for (let i = 0; i < n; i++) {
          const x = views[i]!;
          let sum = 0;
          for (let k = 0; k < x.length; k++) sum += x[k]! * x[k]!;
          out[i] = sum;
        }
        for (let i = 0; i < m; i++) {
          const a = views[n + 2 * i]!;
          const b = views[n + 2 * i + 1]!;
          let sum = 0;
          for (let k = 0; k < a.length; k++) {
            const d = a[k]! - b[k]!;
            sum += d * d;
          }
          out[n + i] = sum;
        }
      },
      false,
    );
  };
}
