/**
 * The gradient check: backprop gradients against central differences on a small batch, per
 * layer with weights. Requested as `diagnose.gradcheck` (the Train screen's button, and
 * `trainbench gradcheck SPEC`), with `diagnose.gradcheck.progress` events while it runs.
 *
 * This module must stay free of Node, Electron and DOM imports: it runs everywhere.
 */
import { z } from 'zod';
import { Spec } from './spec';
import { Finding } from './findings';

export const GradcheckRequest = z
  .object({
    spec: Spec,
    /** Picks the batch and the sampled parameters, and initialises the weights; default: the spec's training seed. */
    seed: z.number().int().min(0).max(2 ** 31 - 1).optional(),
    /** Samples in the batch the loss is computed on. */
    samples: z.number().int().min(1).max(256).optional(),
  })
  .strict();
export type GradcheckRequest = z.infer<typeof GradcheckRequest>;

/** One checked parameter: where it is and the two gradients compared. */
export const GradcheckParameter = z.object({
  /** The variable's role in its layer (kernel, bias, gamma, beta). */
  role: z.string(),
  /** Flat index into the variable. */
  index: z.number().int().nonnegative(),
  analytic: z.number(),
  numeric: z.number(),
  relError: z.number(),
  /** The step the numeric derivative used: h, or h/10, h/100 when a kink lay within h. */
  h: z.number().positive(),
  /** central: (L(w+h) − L(w−h)) / 2h; forward/backward: one-sided (second order), a kink lying on the other side. */
  method: z.enum(['central', 'forward', 'backward']),
});
export type GradcheckParameter = z.infer<typeof GradcheckParameter>;

export const GradcheckLayer = z.object({
  /** Index in the spec's model.layers. */
  index: z.number().int().nonnegative(),
  name: z.string(),
  type: z.string(),
  /** Trainable parameters the layer holds. */
  params: z.number().int().nonnegative(),
  /** Parameters compared. */
  checked: z.number().int().nonnegative(),
  /** Parameters passed over because both sides of w crossed a ReLU, max-pool or |x| kink even at h/100. */
  skipped: z.number().int().nonnegative(),
  /** Over the checked parameters; null when none could be checked. */
  maxRelError: z.number().nullable(),
  medianRelError: z.number().nullable(),
  /** null: every sampled parameter sat on a kink, so the layer could not be judged. */
  passed: z.boolean().nullable(),
  /** The parameter with the largest relative error. */
  worst: GradcheckParameter.nullable(),
});
export type GradcheckLayer = z.infer<typeof GradcheckLayer>;

export const GradcheckReport = z.object({
  specName: z.string().nullable(),
  backend: z.string(),
  seed: z.number().int().nonnegative(),
  samples: z.number().int().positive(),
  dtype: z.literal('float32'),
  /** The central-difference step. */
  h: z.number().positive(),
  /** Relative errors above this fail. */
  tolerance: z.number().positive(),
  /** For central differences at h: gradients below this in both estimates are compared in absolute terms (float32 noise). */
  floor: z.number().positive(),
  layers: z.array(GradcheckLayer),
  /** False when any layer failed. */
  passed: z.boolean(),
  /** One gradient-check-failed finding per failing layer. */
  findings: z.array(Finding),
  seconds: z.number().nonnegative(),
});
export type GradcheckReport = z.infer<typeof GradcheckReport>;

export const GradcheckProgress = z.object({
  /** Parameters finished (checked, or given up on a kink) of those planned. */
  done: z.number().int().nonnegative(),
  total: z.number().int().nonnegative(),
  /** The layer being checked. */
  layer: z.string().nullable(),
});
export type GradcheckProgress = z.infer<typeof GradcheckProgress>;
