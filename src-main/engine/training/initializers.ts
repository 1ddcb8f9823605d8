/**
 * Seeded weight initialisation: the same spec and seed give the same weights, bit for bit.
 * Fans follow Keras: dense [in, out]; conv kernel [kh, kw, in, out] with the receptive field
 * multiplying both fans.
 */
import * as tf from '@tensorflow/tfjs';
import type { Initializer } from '@contract/spec';

export function initialTensor(init: Initializer, shape: number[], seed: number): tf.Tensor {
  const spec = typeof init === 'string' ? { type: init } : init;
  switch (spec.type) {
    case 'zeros':
      return tf.zeros(shape);
    case 'ones':
      return tf.ones(shape);
    case 'randomNormal': {
      const s = spec as { mean: number; stddev: number };
      return tf.randomNormal(shape, s.mean, s.stddev, 'float32', seed);
    }
    case 'randomUniform': {
      const s = spec as { min: number; max: number };
      return tf.randomUniform(shape, s.min, s.max, 'float32', seed);
    }
    case 'glorotUniform':
      return tf.initializers.glorotUniform({ seed }).apply(shape);
    case 'glorotNormal':
      return tf.initializers.glorotNormal({ seed }).apply(shape);
    case 'heUniform':
      return tf.initializers.heUniform({ seed }).apply(shape);
    case 'heNormal':
      return tf.initializers.heNormal({ seed }).apply(shape);
    case 'lecunNormal':
      return tf.initializers.leCunNormal({ seed }).apply(shape);
  }
}

/** A 32-bit seed for one variable of one layer, derived from the run's seed. */
export function variableSeed(runSeed: number, layerIndex: number, slot: number): number {
  // Small primes keep seeds of neighbouring layers and runs apart.
  return (Math.imul(runSeed + 1, 7919) + layerIndex * 104_729 + slot * 1_299_709) >>> 0;
}
