/**
 * Specs as the Model screen keeps, saves and opens them. The screen can hold a network with
 * no layers yet (the "Empty" start), which the engine's schema refuses; everything else is
 * the engine's own schema, so a spec that opens here trains there.
 */
import { z } from 'zod';
import { Layer, Spec, zodIssues, type SpecIssue } from '@contract';

/** The spec schema, except that the layer list may be empty while a network is being built. */
export const EditableSpec = Spec.extend({ model: z.object({ layers: z.array(Layer).max(200) }).strict() });

/** Parses any JSON value as an editable spec; issues carry field paths such as `model.layers.1.units`. */
export function parseEditableSpec(raw: unknown): { spec: Spec; issues: [] } | { spec: null; issues: SpecIssue[] } {
  const parsed = EditableSpec.safeParse(raw);
  if (parsed.success) return { spec: parsed.data, issues: [] };
  return { spec: null, issues: zodIssues(parsed.error) };
}

/**
 * Reads the text of a spec file. The error names the file and the first problem, with its
 * field path, in words a person can act on.
 */
export function readSpecFile(text: string, fileName: string): { spec: Spec; error: null } | { spec: null; error: string } {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    return { spec: null, error: `${fileName}: not a JSON file (${why}); the current model is unchanged` };
  }
  const parsed = parseEditableSpec(raw);
  if (parsed.spec) return { spec: parsed.spec, error: null };
  const first = parsed.issues[0];
  const more = parsed.issues.length > 1 ? ` (and ${parsed.issues.length - 1} more)` : '';
  return {
    spec: null,
    error: `${fileName}: ${first?.path ?? '(root)'}: ${first?.message ?? 'not a Trainbench spec'}${more}; the current model is unchanged`,
  };
}

/** `<name>.trainbench.json`, with the name reduced to characters every file system accepts. */
export function specFileName(spec: Spec): string {
  const base = (spec.name ?? 'untitled')
    .trim()
    .replace(/[^A-Za-z0-9._-]+/g, '-')
    .replace(/^[-.]+|[-.]+$/g, '');
  return `${base || 'untitled'}.trainbench.json`;
}

/** The file's text: the spec with two-space indentation and a final newline, as the presets are. */
export function specFileText(spec: Spec): string {
  return `${JSON.stringify(spec, null, 2)}\n`;
}
