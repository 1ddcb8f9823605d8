/**
 * The per-step measurements of a training step: loss, accuracy, the global gradient norm and,
 * per parameter layer, the gradient norm, weight norm and update-to-weight ratio. Each
 * variable's squared gradient, weight and update norms are reduced on the backend inside the
 * step's tidy and packed, with the loss and accuracy, into one small 1-D tensor that is read
 * back once per step; the per-layer and global sums of squares are taken here on the host, in
 * float64 (no scalar adds on the backend: each tfjs op costs ~10-50 µs of dispatch, which on a
 * small network is a measurable share of the step). On the wasm backend all of a step's squared
 * norms take two calls of one kernel of ours (TrainbenchSquaredNorms) instead of ~7 ops per
 * variable; elsewhere they are tfjs ops.
 *
 * Packed layout, V = number of trainable variables: [loss, accuracy, gradNorm² of each
 * variable (V), weightNorm² of each (V), updateNorm² of each (V)].
 */
import * as tf from '@tensorflow/tfjs';
import { SQUARED_NORMS } from '../backend/wasm/squaredNorms';
import type { NetLayer } from './network';
import { hasOwnKernel } from './ownKernels';

/** What one step measured, decoded on the host. Norms that are not finite are null. */
export interface StepMeasures {
  loss: number | null;
  accuracy: number | null;
  gradNorm: number | null;
  layerGradNorms: (number | null)[];
  layerWeightNorms: (number | null)[];
  layerUpdateRatios: (number | null)[];
  /** Whether every layer's gradient, weight and update norm is finite. */
  layersFinite: boolean;
  /** Per parameter layer, the squared gradient and weight norms as measured (NaN and Inf kept). */
  layerSquares: { grad: number; weight: number }[];
}

export const finiteOrNull = (v: number | undefined): number | null => (v !== undefined && Number.isFinite(v) ? v : null);

const sumSq = (t: tf.Tensor): tf.Scalar => tf.sum(tf.square(t));

/** Each variable's squared gradient norm, [V], on the backend (from `gradientSquares`). */
export type GradientSquares = tf.Tensor1D;

/** Whether the current backend has TrainbenchSquaredNorms (the wasm backend, once registered). */
const fastNorms = (): boolean => hasOwnKernel(SQUARED_NORMS);

/** `copies` as they are, then Σx² of each of `squares`, then Σ(a − b)² of each pair, as one float32 tensor. */
function squaredNormsKernel(squares: tf.Tensor[], differences: [tf.Tensor, tf.Tensor][], pairSquares = false, copies: tf.Tensor[] = []): tf.Tensor1D {
  const inputs: tf.NamedTensorMap = {};
  copies.forEach((t, i) => (inputs[`c${i}`] = t));
  squares.forEach((t, i) => (inputs[`s${i}`] = t));
  differences.forEach(([a, b], i) => {
    inputs[`a${i}`] = a;
    inputs[`b${i}`] = b;
  });
  return tf.engine().runKernel(SQUARED_NORMS, inputs, { squares: squares.length, differences: differences.length, pairSquares, copies: copies.length }) as tf.Tensor1D;
}

export class StepStatistics {
  /** For each parameter layer, the positions of its trainable variables in `variables`. */
  private readonly layerVariables: number[][];

  /**
   * @param paramLayers the layers with trainable variables, in forward order
   * @param variables the network's trainable variables, in the order the step passes them
   */
  constructor(
    paramLayers: NetLayer[],
    private readonly variables: tf.Variable[],
  ) {
    this.layerVariables = paramLayers.map((layer) => layer.variables.filter((e) => e.trainable).map((e) => variables.indexOf(e.variable)));
  }

  /** Inside the step's tidy: each variable's squared gradient norm, in `variables` order. */
  gradientSquares(grads: tf.NamedTensorMap): GradientSquares {
    const list = this.variables.map((v) => grads[v.name]!);
    return fastNorms() ? squaredNormsKernel(list, []) : (tf.stack(list.map(sumSq)) as tf.Tensor1D);
  }

  /**
   * Inside the step's tidy, after the optimizer has updated the variables: the packed
   * measurements. `before` holds each variable's value from before the update.
   */
  pack(loss: tf.Scalar, accuracy: tf.Scalar, gradSq: GradientSquares, before: tf.Tensor[]): tf.Tensor1D {
    if (fastNorms() && loss.dtype === 'float32' && accuracy.dtype === 'float32') {
      // The loss, accuracy and gradient norms copied in, then Σw² and Σ(w − w_before)² of each
      // variable in one pass: the whole packed layout from one call.
      return squaredNormsKernel([], this.variables.map((v, i) => [v, before[i]!] as [tf.Tensor, tf.Tensor]), true, [loss, accuracy, gradSq]);
    }
    const head = tf.stack([loss, accuracy]);
    const weightSq = this.variables.map((v) => sumSq(v));
    const updateSq = this.variables.map((v, i) => sumSq(tf.sub(v, before[i]!)));
    return tf.concat([head, gradSq, tf.stack([...weightSq, ...updateSq])]) as tf.Tensor1D;
  }

  /** On the host: the packed measurements, read back, as norms and ratios. */
  decode(values: ArrayLike<number>): StepMeasures {
    const count = this.variables.length;
    const layerGradNorms: (number | null)[] = [];
    const layerWeightNorms: (number | null)[] = [];
    const layerUpdateRatios: (number | null)[] = [];
    const layerSquares: StepMeasures['layerSquares'] = [];
    let globalSq = 0;
    for (let i = 0; i < count; i++) globalSq += values[2 + i]!;
    let layersFinite = true;
    for (const indices of this.layerVariables) {
      let gSq = 0;
      let wSq = 0;
      let uSq = 0;
      for (const i of indices) {
        gSq += values[2 + i]!;
        wSq += values[2 + count + i]!;
        uSq += values[2 + 2 * count + i]!;
      }
      const g = Math.sqrt(gSq);
      const w = Math.sqrt(wSq);
      const u = Math.sqrt(uSq);
      if (!Number.isFinite(g) || !Number.isFinite(w) || !Number.isFinite(u)) layersFinite = false;
      layerGradNorms.push(finiteOrNull(g));
      layerWeightNorms.push(finiteOrNull(w));
      layerUpdateRatios.push(finiteOrNull(w > 0 ? u / w : u));
      layerSquares.push({ grad: gSq, weight: wSq });
    }
    return {
      loss: finiteOrNull(values[0]),
      accuracy: finiteOrNull(values[1]),
      gradNorm: finiteOrNull(Math.sqrt(globalSq)),
      layerGradNorms,
      layerWeightNorms,
      layerUpdateRatios,
      layersFinite,
      layerSquares,
    };
  }
}

/**
 * Inside the step's tidy: the gradients scaled so that their global norm is at most `clipNorm`
 * (unchanged when it already is). `gradSq` are the squared norms from `gradientSquares`.
 */
export function clipByGlobalNorm(grads: tf.NamedTensorMap, gradSq: GradientSquares, clipNorm: number): tf.NamedTensorMap {
  const scale = tf.minimum(1, tf.div(clipNorm, tf.add(tf.sqrt(tf.sum(gradSq)), 1e-12)));
  return Object.fromEntries(Object.entries(grads).map(([name, g]) => [name, tf.mul(g, scale)]));
}
