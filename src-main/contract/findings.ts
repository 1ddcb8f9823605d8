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

export const FindingState = z.enum(['active', 'resolved']);
export type FindingState = z.infer<typeof FindingState>;

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
  /**
   * `active` while the evidence holds; `resolved` once it no longer does (units revived,
   * validation loss back at its best, plateau broken, oscillation calmed). Absent means
   * active (findings written before the lifecycle existed). Static checks, non-finite values
   * and failed gradient checks never resolve.
   */
  state: FindingState.optional(),
  /** The step from which the evidence no longer held, when resolved. */
  resolvedStep: z.number().int().nonnegative().optional(),
  /** Plain words: what ended it ("units 0 and 2 active again at step 450"). */
  resolution: z.string().optional(),
  /** The key (`findingKey`) of the finding this one follows from: its cause, when known. */
  causedBy: z.string().optional(),
});
export type Finding = z.infer<typeof Finding>;

/** Whether a finding's evidence still holds (absent state: it does). */
export const isActive = (finding: Pick<Finding, 'state'>): boolean => finding.state !== 'resolved';

/**
 * The root of a finding's cause chain among `findings` (by key): the finding itself when it
 * has no known cause there. Cycles (which the diagnosis never makes) end at the first repeat.
 */
export function rootCause(finding: Finding, byKey: ReadonlyMap<string, Finding>): Finding {
  let current = finding;
  const seen = new Set<string>([findingKey(finding)]);
  while (current.causedBy !== undefined) {
    const cause = byKey.get(current.causedBy);
    if (!cause || seen.has(current.causedBy)) break;
    seen.add(current.causedBy);
    current = cause;
  }
  return current;
}

/** The identity of a finding within a run: one per code and layer, updated as evidence grows. */
export function findingKey(finding: Pick<Finding, 'code' | 'layer'>): string {
  return `${finding.code}|${finding.layer ?? ''}`;
}

const SEVERITY_ORDER: Record<Severity, number> = { error: 2, warning: 1, info: 0 };

/** One root cause and what follows from it: the Train screen's card, the CLI's paragraph. */
export interface CauseGroup {
  root: Finding;
  /** Findings whose cause chain leads to `root`, in the order raised. */
  consequences: Finding[];
  /** Whether the root or any consequence still holds. */
  active: boolean;
  /** The highest severity in the group. */
  severity: Severity;
}

/**
 * The findings grouped by root cause, most urgent first: groups that still hold before those
 * that resolved, then by highest severity, then by the step the root began. Within the input
 * order (the order raised) otherwise.
 */
export function causeGroups(findings: readonly Finding[]): CauseGroup[] {
  const byKey = new Map(findings.map((f) => [findingKey(f), f]));
  const groups = new Map<string, CauseGroup>();
  for (const f of findings) {
    const root = rootCause(f, byKey);
    const key = findingKey(root);
    const group = groups.get(key) ?? { root, consequences: [], active: false, severity: 'info' as Severity };
    if (f !== root) group.consequences.push(f);
    if (isActive(f)) group.active = true;
    if (SEVERITY_ORDER[f.severity] > SEVERITY_ORDER[group.severity]) group.severity = f.severity;
    groups.set(key, group);
  }
  const order = [...groups.values()];
  const raisedAt = new Map(order.map((g, i) => [g, i]));
  return order.sort(
    (a, b) => Number(b.active) - Number(a.active) || SEVERITY_ORDER[b.severity] - SEVERITY_ORDER[a.severity] || a.root.step - b.root.step || raisedAt.get(a)! - raisedAt.get(b)!,
  );
}

/**
 * The fix offered first: the first suggestion of the most urgent root cause that has one
 * (a consequence's own suggestions when its root has none), with the finding it came from.
 */
export function firstSuggestion(findings: readonly Finding[]): { suggestion: Suggestion; finding: Finding } | null {
  for (const group of causeGroups(findings)) {
    for (const f of [group.root, ...group.consequences]) {
      const suggestion = f.suggestions[0];
      if (suggestion) return { suggestion, finding: f };
    }
  }
  return null;
}

/** "until step 450" for a resolved finding; empty for one that holds. */
export const untilWords = (finding: Pick<Finding, 'state' | 'resolvedStep'>): string =>
  finding.state === 'resolved' && finding.resolvedStep !== undefined ? `until step ${finding.resolvedStep}` : '';
