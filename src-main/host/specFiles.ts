/**
 * Finding and reading specs: a preset name (resources/presets/NAME.json) or a JSON file,
 * overridden field by field with `--set path=value`. Errors name the file or field.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { presetNames, presetsDir } from '../engine/presets';
import { basename, extname, join, resolve } from 'node:path';
import { parseSpec, setPath, type Spec, type SpecIssue } from '@contract';
import { UsageError, type ParsedArgs } from './args';

export class SpecFileError extends Error {
  constructor(
    message: string,
    readonly issues: SpecIssue[] = [],
  ) {
    super(message);
  }
}

/** Reads SPEC (a file path or a preset name) as raw JSON. */
export function readSpecSource(source: string): { raw: unknown; origin: string } {
  const asFile = resolve(source);
  let path: string;
  if (existsSync(asFile) && statSync(asFile).isFile()) path = asFile;
  else if (!source.includes('/') && !source.includes('\\') && extname(source) === '' && presetNames().includes(source)) path = join(presetsDir(), `${source}.json`);
  else throw new SpecFileError(`${source}: no such file, and not a preset (presets: ${presetNames().join(', ')})`);
  const text = readFileSync(path, 'utf8');
  try {
    return { raw: JSON.parse(text) as unknown, origin: path };
  } catch (error) {
    throw new SpecFileError(`${basename(path)}: not valid JSON (${error instanceof Error ? error.message : String(error)})`);
  }
}

/** Parses `value` as JSON where it is JSON (numbers, booleans, objects), else keeps the string. */
function parseValue(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/** Applies `path=value` overrides to a copy of a raw spec. Array indices are numbers in the path. */
export function applyOverrides(raw: unknown, sets: string[]): unknown {
  let spec = raw;
  for (const set of sets) {
    const eq = set.indexOf('=');
    if (eq <= 0) throw new SpecFileError(`--set needs path=value, got "${set}"`);
    try {
      spec = setPath(spec, set.slice(0, eq), parseValue(set.slice(eq + 1)));
    } catch (error) {
      throw new SpecFileError(`--set ${set}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  return spec;
}

/** Validates a raw spec; throws SpecFileError listing every problem with its field path. */
export function validateSpec(raw: unknown, origin: string): Spec {
  const result = parseSpec(raw);
  if (result.spec) return result.spec;
  const lines = result.issues.map((i) => `  ${i.path}: ${i.message}`).join('\n');
  throw new SpecFileError(`${basename(origin)}: the spec is not valid:\n${lines}`, result.issues);
}

/** A dataset reference for `--data PATH`: an IDX folder, a CSV file, an image folder, or IDX files. */
export function dataRefFor(path: string): Spec['dataset'] {
  const full = resolve(path);
  if (!existsSync(full)) throw new SpecFileError(`--data ${path}: no such file or folder`);
  if (statSync(full).isDirectory()) {
    const names = readdirSync(full);
    const idx = names.some((n) => /-idx\d-ubyte(\.gz)?$|\.idx\d-ubyte(\.gz)?$/.test(n));
    if (idx) return { kind: 'idx', path: full };
    if (names.some((n) => /\.npy$/i.test(n))) return { kind: 'numpy', path: full };
    return { kind: 'images', path: full, size: [28, 28], channels: 1 };
  }
  if (/\.(csv|tsv)$/i.test(full)) return { kind: 'csv', path: full };
  if (/\.(npz|npy)$/i.test(full)) return { kind: 'numpy', path: full };
  return { kind: 'idx', path: full };
}

/**
 * The spec a command's arguments name: its one positional SPEC (a file or a preset) with every
 * `--set path=value` applied and `--data PATH` in place of its dataset, validated.
 */
export function specFromArgs(command: string, args: ParsedArgs): { spec: Spec; source: string } {
  const [source, ...extra] = args.positional;
  if (!source) throw new UsageError(`${command} needs a SPEC: a spec file or a preset name`);
  if (extra.length > 0) throw new UsageError(`unexpected arguments: ${extra.join(' ')}`);
  const { raw, origin } = readSpecSource(source);
  // --data first, so that --set dataset.header=none (say) refines how that file is read.
  const data = args.flags.get('data')?.[0];
  const withData = data ? { ...(raw as object), dataset: dataRefFor(data) } : raw;
  return { spec: validateSpec(applyOverrides(withData, args.flags.get('set') ?? []), origin), source };
}
