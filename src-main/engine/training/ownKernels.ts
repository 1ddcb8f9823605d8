/**
 * Whether one of Trainbench's own wasm kernels (wasm/squaredNorms.ts, wasm/unitStatistics.ts)
 * can run now: the backend in use is wasm and the kernel is registered. Elsewhere the
 * instrumentation uses tfjs ops with the same results.
 */
import * as tf from '@tensorflow/tfjs';

export const hasOwnKernel = (name: string): boolean => tf.getBackend() === 'wasm' && tf.getKernel(name, 'wasm') !== undefined;
