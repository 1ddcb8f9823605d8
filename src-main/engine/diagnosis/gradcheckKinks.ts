/**
 * Where a network is not differentiable: the on/off pattern of its ReLU-family units, the
 * winners of its max pools and the sign of |x| in an MAE loss. A central difference whose
 * ±h straddle a kink measures the mean of two slopes, not the gradient, so the gradient check
 * compares these patterns at +h and −h and passes over parameters whose pattern changed.
 */
import * as tf from '@tensorflow/tfjs';
import type { Loss } from '@contract/spec';
import type { NetLayer } from '../training/network';
import type { TargetInfo } from '../training/losses';

/** Activations with a kink at 0 in their first derivative (elu with alpha 1 is C¹, so smooth enough). */
const KINKED = new Set(['relu', 'leakyRelu', 'selu']);

/** The clip of probabilities in computeLoss: beyond it the loss is flat. */
const CLIP = 1e-7;

const pair = (v: number | [number, number]): [number, number] => (Array.isArray(v) ? v : [v, v]);

/** Targets as dense floats [N, k], as computeLoss makes them for MSE, MAE and categorical losses. */
function denseTarget(y: tf.Tensor, prediction: tf.Tensor, target: TargetInfo): tf.Tensor {
  if (target.task === 'regression') return y;
  const width = prediction.shape[1] ?? 1;
  if (width === 1) return tf.reshape(tf.cast(y, 'float32'), [-1, 1]);
  return tf.cast(tf.oneHot(tf.cast(y, 'int32') as tf.Tensor1D, width), 'float32');
}

/**
 * Which max-pool input wins each window, as a tensor shaped like the input: the gradient of
 * Σ maxPool(x)·r for fixed distinct weights r puts r (summed over overlapping windows) on
 * each winner and 0 elsewhere, so any change of winner changes it.
 */
function poolWinners(layer: NetLayer, input: tf.Tensor): tf.Tensor {
  const spec = layer.spec;
  if (spec.type !== 'maxPooling2d') throw new Error(`poolWinners: ${layer.name} is a ${spec.type}, not a maxPooling2d`);
  const pool = (t: tf.Tensor): tf.Tensor4D => tf.maxPool(t as tf.Tensor4D, pair(spec.poolSize), pair(spec.strides ?? spec.poolSize), spec.padding);
  const weights = tf.randomUniform(pool(input).shape, 1, 2, 'float32', 7919 + layer.index);
  return tf.grad((t: tf.Tensor) => tf.sum(tf.mul(pool(t), weights)))(input);
}

/**
 * Every kink's side, flattened into one float vector (1: on / winner / positive). Call inside
 * a tidy with the outputs a forward pass captured, in the network's layer order.
 */
export function kinkPattern(layers: NetLayer[], input: tf.Tensor, capture: tf.Tensor[], prediction: tf.Tensor, y: tf.Tensor, loss: Loss, target: TargetInfo): tf.Tensor1D {
  const parts: tf.Tensor[] = [];
  layers.forEach((layer, i) => {
    const output = capture[i]!;
    if (KINKED.has(layer.activation)) parts.push(tf.greater(output, 0));
    if (layer.spec.type === 'maxPooling2d') parts.push(poolWinners(layer, i === 0 ? input : capture[i - 1]!));
  });
  if (loss.type === 'mae') parts.push(tf.greater(prediction, denseTarget(y, prediction, target)));
  const clipped = (loss.type === 'binaryCrossentropy' || loss.type === 'categoricalCrossentropy' || loss.type === 'sparseCategoricalCrossentropy') && !loss.fromLogits;
  if (clipped) parts.push(tf.logicalOr(tf.less(prediction, CLIP), tf.greater(prediction, 1 - CLIP)));
  if (parts.length === 0) return tf.zeros([1]);
  return tf.concat(parts.map((p) => tf.reshape(tf.cast(p, 'float32'), [-1]))) as tf.Tensor1D;
}
