/**
 * Losses and accuracy over a batch. `y` is what the data gives: class indices (int32, [N])
 * for classification, targets (float32, [N, k]) for regression. Losses that need one-hot
 * targets (mse, mae, categorical) get them here, as in the MNIST-with-MSE situation.
 */
import * as tf from '@tensorflow/tfjs';
import type { Loss } from '@contract/spec';
import { ACCURACY } from '../backend/wasm/squaredNorms';
import { hasOwnKernel } from './ownKernels';


/** Probabilities are clipped away from 0 and 1 as Keras does, so log never sees 0. */
const EPSILON = 1e-7;

export interface TargetInfo {
  task: 'classification' | 'regression';
  /** Classes (classification) or target width (regression). */
  outputs: number;
}

function dense(y: tf.Tensor, prediction: tf.Tensor, target: TargetInfo): tf.Tensor {
  if (target.task === 'regression') return y;
  const width = prediction.shape[1] ?? 1;
  if (width === 1) return tf.reshape(tf.cast(y, 'float32'), [-1, 1]);
  return tf.oneHot(tf.cast(y, 'int32') as tf.Tensor1D, width).toFloat();
}

/** Mean loss over the batch, a scalar. */
export function computeLoss(loss: Loss, prediction: tf.Tensor, y: tf.Tensor, target: TargetInfo): tf.Scalar {
  switch (loss.type) {
    case 'mse':
      return tf.mean(tf.squaredDifference(prediction, dense(y, prediction, target))) as tf.Scalar;
    case 'mae':
      return tf.mean(tf.abs(tf.sub(prediction, dense(y, prediction, target)))) as tf.Scalar;
    case 'binaryCrossentropy': {
      const t = dense(y, prediction, target);
      if (loss.fromLogits) {
        // max(z, 0) − z·t + log(1 + e^−|z|): finite for any logit.
        const z = prediction;
        return tf.mean(tf.add(tf.sub(tf.relu(z), tf.mul(z, t)), tf.log1p(tf.exp(tf.neg(tf.abs(z)))))) as tf.Scalar;
      }
      const p = tf.clipByValue(prediction, EPSILON, 1 - EPSILON);
      return tf.neg(tf.mean(tf.add(tf.mul(t, tf.log(p)), tf.mul(tf.sub(1, t), tf.log(tf.sub(1, p)))))) as tf.Scalar;
    }
    case 'categoricalCrossentropy':
    case 'sparseCategoricalCrossentropy': {
      const t = dense(y, prediction, target);
      // Not from logits: as Keras does, the output is first scaled to sum to 1 over the classes
      // (a softmax output is unchanged), so an output that is no distribution cannot reach a
      // loss of 0 by pushing every class up at once.
      const logProbabilities = loss.fromLogits ? tf.logSoftmax(prediction) : tf.log(tf.clipByValue(tf.div(prediction, tf.sum(prediction, -1, true)), EPSILON, 1 - EPSILON));
      return tf.neg(tf.mean(tf.sum(tf.mul(t, logProbabilities), -1))) as tf.Scalar;
    }
  }
}

/** Fraction of correct class predictions, a scalar; null for regression. */
export function computeAccuracy(prediction: tf.Tensor, y: tf.Tensor, target: TargetInfo, loss: Loss): tf.Scalar | null {
  if (target.task !== 'classification') return null;
  if (prediction.rank === 2 && (prediction.shape[1] ?? 1) > 1 && prediction.dtype === 'float32' && y.dtype === 'int32' && y.rank === 1 && hasOwnKernel(ACCURACY)) {
    // One kernel of ours on wasm (wasm/squaredNorms.ts) instead of six ops.
    return tf.engine().runKernel(ACCURACY, { prediction, labels: y }, {}) as tf.Scalar;
  }
  const labels = tf.cast(tf.reshape(y, [-1]), 'int32');
  const width = prediction.shape[1] ?? 1;
  let predicted: tf.Tensor;
  if (width === 1) {
    const threshold = loss.type === 'binaryCrossentropy' && loss.fromLogits ? 0 : 0.5;
    predicted = tf.cast(tf.greater(tf.reshape(prediction, [-1]), threshold), 'int32');
  } else {
    predicted = tf.argMax(prediction, -1);
  }
  return tf.mean(tf.cast(tf.equal(predicted, labels), 'float32')) as tf.Scalar;
}
