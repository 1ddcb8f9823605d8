import { defineStore } from 'pinia';
import { shallowRef, triggerRef } from 'vue';
import { findingKey, parseSpec, setPaths, type Finding, type Spec, type Suggestion } from '@contract';
import { useBridge } from '../bridge';

/** Diagnosis findings per job, each in its latest form, in the order first raised. */
export const useFindingsStore = defineStore('findings', () => {
  const bridge = useBridge();
  const byJob = shallowRef(new Map<string, Map<string, Finding>>());

  bridge.on('train.finding', ({ jobId, finding }) => {
    const findings = byJob.value.get(jobId) ?? new Map<string, Finding>();
    findings.set(findingKey(finding), finding);
    byJob.value.set(jobId, findings);
    triggerRef(byJob);
  });

  function of(jobId: string | null | undefined): Finding[] {
    if (!jobId) return [];
    return [...(byJob.value.get(jobId)?.values() ?? [])];
  }

  return { byJob, of };
});

/**
 * A suggestion applied to a copy of the spec: the one-click fix. Returns the new spec, or why
 * it does not apply (a path that no longer exists after edits, say).
 */
export function applySuggestion(spec: Spec, suggestion: Suggestion): { spec: Spec } | { error: string } {
  try {
    const parsed = parseSpec(setPaths(spec, suggestion.set));
    if (parsed.spec) return { spec: parsed.spec };
    return { error: parsed.issues.map((i) => `${i.path}: ${i.message}`).join('; ') };
  } catch (error) {
    return { error: error instanceof Error ? error.message : String(error) };
  }
}

/** A suggestion as the Compare screen's `path=value` lines (values as JSON). */
export function suggestionChanges(suggestion: Suggestion): string {
  return Object.entries(suggestion.set)
    .map(([path, value]) => `${path}=${JSON.stringify(value)}`)
    .join('\n');
}
