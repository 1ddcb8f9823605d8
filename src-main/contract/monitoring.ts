/**
 * What the live monitor receives besides steps and probes: per-layer histograms of weights,
 * biases, gradients and activations (binned on the engine's backend, only the counts read
 * back), and the engine's memory. Schemas only, like the rest of the contract.
 */
import { z } from 'zod';
import { JobId } from './common';

/** Bins per histogram: fine enough to see a bimodal or a collapsed distribution, small to send. */
export const HISTOGRAM_BINS = 48;

export const HistogramKind = z.enum(['weight', 'bias', 'gradient', 'activation']);
export type HistogramKind = z.infer<typeof HistogramKind>;

/**
 * One tensor binned into equal bins over the range of its finite values. When every finite
 * value is the same, the range is widened a little either side so that the value has a bin.
 */
export const TensorHistogram = z
  .object({
    layer: z.string(),
    kind: HistogramKind,
    /** The variable it is (kernel, bias, gamma, beta) or is the gradient of; "output" for activations. */
    role: z.string(),
    shape: z.array(z.number().int().nonnegative()),
    /** Lower edge of the first bin and upper edge of the last. */
    min: z.number(),
    max: z.number(),
    counts: z.array(z.number().int().nonnegative()).min(1).max(1024),
    /** Finite values counted (the sum of counts). */
    total: z.number().int().nonnegative(),
    nonFinite: z.number().int().nonnegative(),
    /** Values exactly 0: for a ReLU layer's output, the units that did not fire. */
    zeros: z.number().int().nonnegative(),
    /** Of the finite values; null when there are none. */
    mean: z.number().nullable(),
    std: z.number().nullable(),
  })
  .superRefine((h, ctx) => {
    const sum = h.counts.reduce((a, b) => a + b, 0);
    if (sum !== h.total) ctx.addIssue({ code: 'custom', path: ['counts'], message: `the counts sum to ${sum} but total is ${h.total}` });
    if (h.total > 0 && !(h.max > h.min)) ctx.addIssue({ code: 'custom', path: ['max'], message: `max (${h.max}) must exceed min (${h.min})` });
  });
export type TensorHistogram = z.infer<typeof TensorHistogram>;

/**
 * Every layer's histograms at one step. Weights, biases and activations are of the model at
 * that step; activations and gradients are on the fixed probe batch in inference mode, so
 * that two sets compare like with like.
 */
export const HistogramSet = z.object({
  jobId: JobId,
  step: z.number().int().nonnegative(),
  epoch: z.number().int().nonnegative(),
  /** Why it was taken: the start, a snapshot step, the live refresh (every few seconds), the end. */
  reason: z.enum(['start', 'snapshot', 'live', 'end']),
  tensors: z.array(TensorHistogram).max(10_000),
});
export type HistogramSet = z.infer<typeof HistogramSet>;

/** The engine's memory when an update was sent (tfjs tensors and bytes, resident set): the light readout each update carries, beside the fuller engine.memory reading. */
export const MemoryReadout = z.object({
  numTensors: z.number().int().nonnegative(),
  numBytes: z.number().nonnegative(),
  /** Resident set size of the engine process, bytes. */
  rss: z.number().nonnegative(),
});
export type MemoryReadout = z.infer<typeof MemoryReadout>;
