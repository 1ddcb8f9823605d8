/**
 * The throughput bench's CNN (bench/throughput.mjs), for the TypeScript benches: conv3×3 16 relu
 * same, maxpool 2, conv3×3 32 relu same, maxpool 2, flatten, dense 10, Glorot-uniform seeded
 * weights; written with the ops the engine's network uses (fused conv2d/matMul with bias).
 */
import * as tf from '@tensorflow/tfjs';

export function benchCnn(): { vars: tf.Variable[]; forward: (x: tf.Tensor4D) => tf.Tensor2D } {
  const glorot = (shape: number[], fanIn: number, fanOut: number, seed: number): tf.Variable => {
    const limit = Math.sqrt(6 / (fanIn + fanOut));
    return tf.variable(tf.randomUniform(shape, -limit, limit, 'float32', seed));
  };
  const zeros = (n: number): tf.Variable => tf.variable(tf.zeros([n]));
  const vars = [glorot([3, 3, 1, 16], 9, 144, 1), zeros(16), glorot([3, 3, 16, 32], 144, 288, 2), zeros(32), glorot([1568, 10], 1568, 10, 3), zeros(10)];
  const [k1, c1, k2, c2, w, b] = vars as [tf.Variable<tf.Rank.R4>, tf.Variable, tf.Variable<tf.Rank.R4>, tf.Variable, tf.Variable<tf.Rank.R2>, tf.Variable];
  const forward = (x: tf.Tensor4D): tf.Tensor2D => {
    let h = tf.fused.conv2d({ x, filter: k1, strides: 1, pad: 'same', bias: c1, activation: 'relu' });
    h = tf.maxPool(h, 2, 2, 'valid');
    h = tf.fused.conv2d({ x: h, filter: k2, strides: 1, pad: 'same', bias: c2, activation: 'relu' });
    h = tf.maxPool(h, 2, 2, 'valid');
    return tf.fused.matMul({ a: tf.reshape(h, [h.shape[0], 1568]), b: w, bias: b }) as tf.Tensor2D;
  };
  return { vars, forward };
}
