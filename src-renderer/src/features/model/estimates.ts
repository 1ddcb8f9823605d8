/**
 * Rough costs of a network, for the totals bar: memory for one training step and FLOPs per
 * sample. Estimates, not measurements: they say whether a model fits, not to the byte.
 */
import type { Optimizer } from '@contract';

/**
 * Backprop keeps every layer's output and needs a gradient of the same size for each, plus
 * workspace: about three times the forward activations.
 */
export const BACKPROP_FACTOR = 3;
const FLOAT_BYTES = 4;

/** Extra float32 tensors per parameter that the optimizer keeps (moments, accumulators). */
export function optimizerSlots(optimizer: Optimizer): number {
  switch (optimizer.type) {
    case 'sgd':
      return 0;
    case 'momentum':
    case 'adagrad':
      return 1;
    case 'rmsprop':
      return optimizer.momentum > 0 ? 2 : 1;
    case 'adam':
    case 'adamax':
    case 'adadelta':
      return 2;
  }
}

/**
 * Bytes one training step needs: activations × batch × backprop factor, plus the weights,
 * their gradients and the optimizer's slots. `activationBytesPerSample` is float32 bytes of
 * all layer outputs for one sample (spec.check's figure).
 */
export function memoryPerBatch(activationBytesPerSample: number, batchSize: number, params: number, optimizer: Optimizer): number {
  return activationBytesPerSample * batchSize * BACKPROP_FACTOR + params * FLOAT_BYTES * (2 + optimizerSlots(optimizer));
}

/** The batch size a step uses: the number, or every training sample for "full". */
export function effectiveBatch(batchSize: number | 'full', samples: number | null, validationSplit: number): number | null {
  if (batchSize !== 'full') return batchSize;
  if (samples === null) return null;
  return Math.max(1, Math.round(samples * (1 - validationSplit)));
}

/** Sizes are written one way across the app. */
export { formatBytes } from '../data/format';

/** 2_400_000 → "2.40 M": counts of FLOPs and parameters at a glance. */
export function formatCount(count: number): string {
  if (count < 10_000) return count.toLocaleString('en-US');
  const units = ['', 'k', 'M', 'G', 'T'];
  let value = count;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${value.toPrecision(3)} ${units[unit]}`;
}

/** A shape as the blocks show it: `[28, 28, 1]`. */
export function formatShape(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}
