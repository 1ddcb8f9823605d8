/**
 * `trainbench train SPEC --fix`: the diagnosis's first suggestion, verified. The spec trains on
 * N seeds; the first seed that failed gives the fix (the first suggestion of its most urgent
 * root cause, as the Train screen offers it); the fixed spec trains on the same N seeds; both
 * success rates, with their intervals, come out side by side.
 */
import { firstSuggestion, isActive, setPaths, type Finding, type Spec, type Suggestion } from '@contract';
import { validateSpec } from './specFiles';
import type { RunResult } from './seedRuns';

/** Seeds `--fix` trains on when `--repeat` is not given. */
export const FIX_DEFAULT_REPEAT = 10;

/**
 * Whether a run failed: its success criterion said so, or, for a spec with none, it stopped
 * on NaN/Inf or ended with a warning or error still holding.
 */
export function runFailed(run: RunResult, spec: Spec): boolean {
  if (run.status === 'failed') return true;
  if (spec.success) return run.final?.success !== true;
  if (run.nonFinite) return true;
  return run.findings.some((f) => isActive(f) && f.severity !== 'info');
}

export interface ChosenFix {
  /** The seed whose findings gave the fix. */
  seed: number;
  /** The finding the suggestion belongs to. */
  finding: Pick<Finding, 'code' | 'layer' | 'message'>;
  suggestion: Suggestion;
  spec: Spec;
}

export type FixChoice = { fix: ChosenFix } | { fix: null; reason: string };

/** The fix to try: the first suggestion on the first failed seed, applied to the spec. */
export function chooseFix(spec: Spec, runs: RunResult[]): FixChoice {
  const failed = runs.filter((run) => runFailed(run, spec));
  if (failed.length === 0) return { fix: null, reason: `no seed of ${runs.length} failed: there is nothing to fix` };
  for (const run of failed) {
    const first = firstSuggestion(run.findings);
    if (!first) continue;
    const { finding, suggestion } = first;
    let fixed: Spec;
    try {
      fixed = validateSpec(setPaths(spec, suggestion.set), `the fix "${suggestion.label}"`);
    } catch (error) {
      throw new Error(`the suggestion "${suggestion.label}" of ${finding.code} (seed ${run.seed}) does not make a valid spec: ${error instanceof Error ? error.message : String(error)}`);
    }
    return { fix: { seed: run.seed, finding: { code: finding.code, ...(finding.layer ? { layer: finding.layer } : {}), message: finding.message }, suggestion, spec: fixed } };
  }
  return { fix: null, reason: `${failed.length} of ${runs.length} seeds failed, but no finding on them suggests a fix` };
}

/** "model.layers.0.units=12" for each setting of a suggestion. */
export const suggestionSets = (suggestion: Suggestion): string[] => Object.entries(suggestion.set).map(([path, value]) => `${path}=${JSON.stringify(value)}`);
