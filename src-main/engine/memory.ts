/** The engine's memory now, for the `engine.memory` request (soak tests, bench/soak.ts). */
import * as tf from '@tensorflow/tfjs';
import type { EngineMemory } from '@contract';

export function engineMemory(): EngineMemory {
  const tensors = tf.memory();
  const usage = process.memoryUsage();
  return {
    numTensors: tensors.numTensors,
    numBytes: tensors.numBytes,
    numDataBuffers: tensors.numDataBuffers,
    rssBytes: usage.rss,
    heapUsedBytes: usage.heapUsed,
    heapTotalBytes: usage.heapTotal,
    externalBytes: usage.external,
    arrayBuffersBytes: usage.arrayBuffers,
    uptimeSeconds: process.uptime(),
  };
}
