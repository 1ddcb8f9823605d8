/**
 * `TrainbenchUnitStatistics`, a kernel of Trainbench's own for the wasm backend: the probe's
 * per-unit statistics of one layer's output (training/probeStatistics.ts) in two passes over the
 * wasm heap, instead of ~25 tfjs ops per layer (isNaN, isInf, where, casts, comparisons, means,
 * moments), each a dispatch and an intermediate as large as the layer's output. For a
 * 784-1000-10 MLP a probe of 256 samples was a tenth of the instrumentation's cost per step.
 *
 * Input `x` [rows, units] (float32); attribute `saturation`: 'sigmoid' (within 0.01 of 0 or 1),
 * 'tanh' (|v| > 0.99) or 'none'. Output float32 [4·units + 1]: per unit the fraction of rows
 * where it is > 0, the fraction saturated, the mean and the (population) standard deviation, all
 * over the finite values with non-finite ones counted as 0, as the tfjs ops did; then the count
 * of non-finite values. Sums in float64. No gradient: it measures.
 */
import { onHeap, type Info, type KernelArgs } from './kernelOps';

export const UNIT_STATISTICS = 'TrainbenchUnitStatistics';

/** The thresholds as float32, as the tfjs comparisons see them (0.01 in float32 is below 0.01). */
const LOW = Math.fround(0.01);
const HIGH = Math.fround(0.99);

export type Saturation = 'sigmoid' | 'tanh' | 'none';

export function unitStatistics() {
  return (args: KernelArgs): Info => {
    const x = args.inputs['x'];
    const saturation = ((args.attrs ?? {}) as { saturation?: Saturation }).saturation ?? 'none';
    if (!x) throw new Error(`${UNIT_STATISTICS}: input x is required`);
    if (x.dtype !== 'float32' || x.shape.length !== 2) throw new Error(`${UNIT_STATISTICS}: x must be float32 [rows, units], got ${x.dtype} [${x.shape}]`);
    if (saturation !== 'sigmoid' && saturation !== 'tanh' && saturation !== 'none') throw new Error(`${UNIT_STATISTICS}: unknown saturation "${String(saturation)}"`);
    const [rows, units] = x.shape as [number, number];
    return onHeap(
      args.backend,
      [x],
      [4 * units + 1],
      ([v], out) => {
        const values = v!;
        const active = new Float64Array(units);
        const saturated = new Float64Array(units);
        const sum = new Float64Array(units);
        const squares = new Float64Array(units);
        let nonFinite = 0;
        for (let r = 0, base = 0; r < rows; r++, base += units) {
          for (let u = 0; u < units; u++) {
            let value = values[base + u]!;
            if (value - value !== 0) {
              // NaN or ±∞: counted, and 0 in the statistics.
              nonFinite++;
              value = 0;
            }
            if (value > 0) active[u]!++;
            if (saturation === 'sigmoid' ? value < LOW || value > HIGH : saturation === 'tanh' && Math.abs(value) > HIGH) saturated[u]!++;
            sum[u]! += value;
          }
        }
        const mean = sum.map((s) => s / rows);
        for (let r = 0, base = 0; r < rows; r++, base += units) {
          for (let u = 0; u < units; u++) {
            const value = values[base + u]!;
            const d = (value - value !== 0 ? 0 : value) - mean[u]!;
            squares[u]! += d * d;
          }
        }
        for (let u = 0; u < units; u++) {
          out[u] = active[u]! / rows;
          out[units + u] = saturated[u]! / rows;
          out[2 * units + u] = mean[u]!;
          out[3 * units + u] = Math.sqrt(squares[u]! / rows);
        }
        out[4 * units] = nonFinite;
      },
      false,
    );
  };
}
