/**
 * Where the first NaN or Inf of a step came from, in forward order: a layer's output on the
 * step's batch, else the loss, else a layer's gradient, else a weight. Runs once per job, on
 * the step that went bad, with the weights that step started from.
 */
import * as tf from '@tensorflow/tfjs';
import type { NonFiniteReport } from '@contract';
import type { NetLayer, Network } from './network';

export type NonFiniteLocation = Pick<NonFiniteReport, 'layer' | 'tensor' | 'kind'>;

export interface LocaliseInput {
  network: Network;
  /** The layers with trainable variables, in forward order (the order of `layerSquares`). */
  paramLayers: NetLayer[];
  /** The step's batch; neither is disposed here. */
  x: tf.Tensor;
  y: tf.Tensor;
  step: number;
  /** The step's loss of a prediction against `y`. */
  loss(prediction: tf.Tensor, y: tf.Tensor): tf.Scalar;
  /** Per parameter layer, the squared gradient and weight norms the step measured. */
  layerSquares: { grad: number; weight: number }[];
}

const kindOf = (hasNaN: boolean, hasInf: boolean): NonFiniteReport['kind'] => (hasNaN && hasInf ? 'NaN/Inf' : hasNaN ? 'NaN' : 'Inf');

/** Finds the first non-finite tensor of the step, in forward order. */
export function localiseNonFinite(input: LocaliseInput): NonFiniteLocation {
  const { network, paramLayers, layerSquares } = input;
  const counts = tf.tidy(() => {
    const capture: tf.Tensor[] = [];
    const prediction = network.forward(input.x, { training: true, step: input.step, capture });
    const loss = input.loss(prediction, input.y);
    const perTensor = [...capture, loss].map((t) => tf.stack([tf.sum(tf.cast(tf.isNaN(t), 'float32')), tf.sum(tf.cast(tf.isInf(t), 'float32'))]));
    return tf.stack(perTensor).dataSync();
  });
  for (let i = 0; i < network.layers.length; i++) {
    const nan = counts[2 * i]!;
    const inf = counts[2 * i + 1]!;
    if (nan > 0 || inf > 0) return { layer: network.layers[i]!.name, tensor: 'activation', kind: kindOf(nan > 0, inf > 0) };
  }
  const last = 2 * network.layers.length;
  if (counts[last]! > 0 || counts[last + 1]! > 0) return { layer: null, tensor: 'loss', kind: kindOf(counts[last]! > 0, counts[last + 1]! > 0) };
  for (let l = 0; l < paramLayers.length; l++) {
    const g = layerSquares[l]!.grad;
    if (!Number.isFinite(g)) return { layer: paramLayers[l]!.name, tensor: 'gradient', kind: Number.isNaN(g) ? 'NaN' : 'Inf' };
  }
  for (let l = 0; l < paramLayers.length; l++) {
    const w = layerSquares[l]!.weight;
    if (!Number.isFinite(w)) return { layer: paramLayers[l]!.name, tensor: 'weight', kind: Number.isNaN(w) ? 'NaN' : 'Inf' };
  }
  // The squared norms overflowed float32 although every value is finite: the update did.
  return { layer: paramLayers[0]?.name ?? null, tensor: 'gradient', kind: 'Inf' };
}
