/**
 * Per-unit statistics of every layer's output on the fixed probe batch: the fraction of samples
 * where a unit is active (> 0), the fraction within 1 % of a sigmoid/softmax/tanh asymptote,
 * mean and std, and the count of non-finite values. Reduced on the backend; only these small
 * summaries are read back, in one packed tensor.
 */
import * as tf from '@tensorflow/tfjs';
import type { ProbeLayer } from '@contract';
import { UNIT_STATISTICS } from '../backend/wasm/unitStatistics';
import type { Network } from './network';
import { hasOwnKernel } from './ownKernels';

/** Runs the probe batch `x` forward through `network` and returns each layer's statistics, in forward order. */
export async function probeStatistics(network: Network, x: tf.Tensor): Promise<ProbeLayer[]> {
  const layers = network.layers;
  const { packed, sizes } = tf.tidy(() => {
    const capture: tf.Tensor[] = [];
    network.forward(x, { training: false, capture });
    const parts: tf.Tensor[] = [];
    const sizes: number[] = [];
    const fast = hasOwnKernel(UNIT_STATISTICS);
    capture.forEach((output, i) => {
      const units = output.shape[output.shape.length - 1] ?? 1;
      const flat = tf.reshape(output, [-1, units]);
      const activation = layers[i]!.activation;
      sizes.push(units);
      if (fast && flat.dtype === 'float32') {
        // One kernel of ours on wasm (wasm/unitStatistics.ts): the same five results.
        const saturation = activation === 'sigmoid' || activation === 'softmax' ? 'sigmoid' : activation === 'tanh' ? 'tanh' : 'none';
        parts.push(tf.engine().runKernel(UNIT_STATISTICS, { x: flat }, { saturation }) as tf.Tensor);
        return;
      }
      const finiteMask = tf.logicalNot(tf.logicalOr(tf.isNaN(flat), tf.isInf(flat)));
      const safe = tf.where(finiteMask, flat, tf.zerosLike(flat));
      const active = tf.mean(tf.cast(tf.greater(safe, 0), 'float32'), 0);
      let saturated: tf.Tensor;
      if (activation === 'sigmoid' || activation === 'softmax') saturated = tf.mean(tf.cast(tf.logicalOr(tf.less(safe, 0.01), tf.greater(safe, 0.99)), 'float32'), 0);
      else if (activation === 'tanh') saturated = tf.mean(tf.cast(tf.greater(tf.abs(safe), 0.99), 'float32'), 0);
      else saturated = tf.zeros([units]);
      const { mean, variance } = tf.moments(safe, 0);
      const nonFinite = tf.reshape(tf.sum(tf.cast(tf.logicalNot(finiteMask), 'float32')), [1]);
      parts.push(active, saturated, mean, tf.sqrt(variance), nonFinite);
    });
    return { packed: tf.concat(parts), sizes };
  });
  const values = (await packed.data()) as Float32Array;
  packed.dispose();
  const result: ProbeLayer[] = [];
  let at = 0;
  layers.forEach((layer, i) => {
    const units = sizes[i]!;
    const take = (): Float32Array => {
      const part = values.slice(at, at + units);
      at += units;
      return part;
    };
    const active = take();
    const saturated = take();
    const mean = take();
    const std = take();
    const nonFinite = values[at]!;
    at += 1;
    result.push({ index: layer.index, name: layer.name, activation: layer.activation, units, active, saturated, mean, std, nonFinite });
  });
  return result;
}
