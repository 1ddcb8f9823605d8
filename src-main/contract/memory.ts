/**
 * What the engine process holds in memory, for long-run checks (issue 9): tfjs's tensor
 * count and bytes, and the process's own figures from `process.memoryUsage()`. Byte counts
 * are bytes; a soak test compares two readings taken epochs apart.
 */
import { z } from 'zod';

const Bytes = z.number().nonnegative();

export const EngineMemory = z.object({
  /** tf.memory().numTensors: tensors alive now; flat across epochs when every step disposes its own. */
  numTensors: z.number().int().nonnegative(),
  /** tf.memory().numBytes: bytes held by those tensors. */
  numBytes: Bytes,
  /** tf.memory().numDataBuffers: backend buffers (several tensors may share one). */
  numDataBuffers: z.number().int().nonnegative(),
  /** Resident set size of the engine process. */
  rssBytes: Bytes,
  heapUsedBytes: Bytes,
  heapTotalBytes: Bytes,
  /** C++ objects bound to JS, including wasm memory and Buffers. */
  externalBytes: Bytes,
  arrayBuffersBytes: Bytes,
  /** Seconds since the engine process started. */
  uptimeSeconds: z.number().nonnegative(),
});
export type EngineMemory = z.infer<typeof EngineMemory>;
