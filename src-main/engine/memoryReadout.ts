/**
 * The engine's memory as the monitor shows it: tfjs's live tensors and their bytes (a count
 * that grows step after step is a leak), and the process's resident set (what the OS sees,
 * wasm heap and dataset buffers included).
 */
import * as tf from '@tensorflow/tfjs';
import type { MemoryReadout } from '@contract';

export function readMemory(): MemoryReadout {
  const { numTensors, numBytes } = tf.memory();
  return { numTensors, numBytes, rss: process.memoryUsage.rss() };
}
