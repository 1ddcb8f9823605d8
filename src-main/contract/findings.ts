/**
 * Diagnosis findings: what the engine says is wrong with a run, the numbers it decided on,
 * and spec changes that may fix it. Raised while training (and before it, for static
 * checks), appended to `findings.jsonl`, shown on the Train screen, returned by
 * `trainbench train --json`. The vocabulary is DESIGN.md's "Diagnosis vocabulary".
 *
 * This module must stay free of Node, Electron and DOM imports: it runs everywhere.
 */
import { z } from 'zod';

export const FINDING_CODES = [
  'non-finite',
  'dead-units',
  'linear-units',
  'duplicate-units',
  'saturated-units',
  'vanishing-gradient',
  'exploding-gradient',
  'plateau',
  'oscillating-loss',
  'diverging-loss',
  'unchanged-weights',
  'loss-mismatch',
  'unnormalized-input',
  'gradient-check-failed',
  'overfitting',
] as const;

export const FindingCode = z.enum(FINDING_CODES);
export type FindingCode = z.infer<typeof FindingCode>;

/** info: worth knowing; warning: training is wasting effort or will end worse; error: training is broken. */
export const Severity = z.enum(['info', 'warning', 'error']);
export type Severity = z.infer<typeof Severity>;

/** One number the finding was decided on. Non-finite numbers are written as null. */
export const EvidenceValue = z.union([z.number(), z.string(), z.boolean(), z.null(), z.array(z.number())]);
export type EvidenceValue = z.infer<typeof EvidenceValue>;

/**
 * A change to the spec the UI can apply with one click: field paths written `a.b.0.c`
 * (e.g. `model.layers.0.activation`), each set to the value given. A path may name a whole
 * subtree (`model.layers`, `training.loss`) when the fix changes its shape.
 */
export const Suggestion = z.object({
  label: z.string().min(1),
  set: z.record(z.string(), z.unknown()),
});
export type Suggestion = z.infer<typeof Suggestion>;

export const Finding = z.object({
  code: FindingCode,
  severity: Severity,
  /** The step the finding concerns: where the problem began (the marker on the curves). */
  step: z.number().int().nonnegative(),
  epoch: z.number().int().nonnegative(),
  /** The layer's name (as in JobInfo.layers), when the finding is about one layer. */
  layer: z.string().optional(),
  /** Unit (or filter) indices within the layer, when the finding is about some of them. */
  units: z.array(z.number().int().nonnegative()).optional(),
  evidence: z.record(z.string(), EvidenceValue),
  /** Plain words: what, where, since when, why it matters. */
  message: z.string(),
  suggestions: z.array(Suggestion),
});
export type Finding = z.infer<typeof Finding>;

/** The identity of a finding within a run: one per code and layer, updated as evidence grows. */
export function findingKey(finding: Pick<Finding, 'code' | 'layer'>): string {
  return `${finding.code}|${finding.layer ?? ''}`;
}
