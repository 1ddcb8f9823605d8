/**
 * The specs of a comparison: each a preset or the Model screen's spec, changed field by field
 * with `path=value` lines (as `trainbench compare --set B:path=value` does), plus changes
 * shared by all (fewer epochs, say). Pure: the Compare screen and its tests use it.
 */
import { changeLabel, parseSpec, setPath, type Spec } from '@contract';

export const COMPARE_LETTERS = ['A', 'B', 'C', 'D'] as const;
export const MIN_SPECS = 2;
export const MAX_SPECS = 4;
/** The source that means "the spec on the Model screen", beside the preset names. */
export const CURRENT_SPEC = '@current';

export interface CompareEntry {
  /** A preset's name, or CURRENT_SPEC. */
  source: string;
  /** `path=value` changes, one a line (or separated by `;`). */
  changes: string;
}

export interface ComparedSpec {
  letter: string;
  /** What the column is called: "relu-abs model.layers.0.activation=elu". */
  label: string;
  spec: Spec;
}

/** JSON where the text is JSON (numbers, booleans, arrays), else the text itself. */
function parseValue(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/** The `path=value` lines of a changes field, trimmed, empty ones dropped. */
export function changeLines(text: string): string[] {
  return text
    .split(/[\n;]/)
    .map((l) => l.trim())
    .filter((l) => l.length > 0);
}

/** Applies `lines` to a copy of `raw`; the error names `where`, the line and what is wrong. */
export function applyChanges(raw: unknown, lines: string[], where: string): { raw: unknown } | { error: string } {
  let spec = raw;
  for (const line of lines) {
    const eq = line.indexOf('=');
    if (eq <= 0) return { error: `${where}: "${line}" is not path=value (e.g. model.layers.0.activation=elu)` };
    try {
      spec = setPath(spec, line.slice(0, eq).trim(), parseValue(line.slice(eq + 1).trim()));
    } catch (error) {
      return { error: `${where}: ${line}: ${error instanceof Error ? error.message : String(error)}` };
    }
  }
  return { raw: spec };
}

/**
 * Every entry as a valid spec, or the first problem, naming the spec's letter and the field.
 * `resolve` gives the spec a source names (null: unknown).
 */
export function compareSpecs(entries: readonly CompareEntry[], shared: string, resolve: (source: string) => Spec | null): { specs: ComparedSpec[] } | { error: string } {
  if (entries.length < MIN_SPECS || entries.length > MAX_SPECS) return { error: `pick ${MIN_SPECS} to ${MAX_SPECS} specs, not ${entries.length}` };
  const sharedLines = changeLines(shared);
  const specs: ComparedSpec[] = [];
  for (const [i, entry] of entries.entries()) {
    const letter = COMPARE_LETTERS[i]!;
    const base = resolve(entry.source);
    if (!base) return { error: `spec ${letter}: ${entry.source === CURRENT_SPEC ? 'the Model screen has no spec yet' : `no preset named "${entry.source}"`}` };
    const own = changeLines(entry.changes);
    const changed = applyChanges(base, [...sharedLines, ...own], `spec ${letter}`);
    if ('error' in changed) return changed;
    const parsed = parseSpec(changed.raw);
    if (!parsed.spec) return { error: `spec ${letter}: ${parsed.issues.map((issue) => `${issue.path}: ${issue.message}`).join('; ')}` };
    const name = entry.source === CURRENT_SPEC ? `${base.name ?? 'Model screen'} (Model screen)` : entry.source;
    specs.push({ letter, label: [name, ...own.map(changeLabel)].join(' '), spec: parsed.spec });
  }
  return { specs };
}
