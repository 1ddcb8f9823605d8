/** A small, strict argument parser: unknown flags and missing values are errors, not ignored. */
import type { EngineHost } from './engineHost';

export interface FlagSpec {
  /** Takes a value (`--port 80`) or is a switch (`--json`). */
  value: boolean;
  /** May be given more than once (`--set a=1 --set b=2`). */
  repeat?: boolean;
}

export interface ParsedArgs {
  positional: string[];
  flags: Map<string, string[]>;
}

export class UsageError extends Error {}

export function parseArgs(argv: string[], spec: Record<string, FlagSpec>): ParsedArgs {
  const positional: string[] = [];
  const flags = new Map<string, string[]>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('--')) {
      positional.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = eq > 0 ? arg.slice(2, eq) : arg.slice(2);
    const flag = spec[name];
    if (!flag) throw new UsageError(`unknown option --${name}`);
    let value = 'true';
    if (flag.value) {
      if (eq > 0) value = arg.slice(eq + 1);
      else {
        const next = argv[i + 1];
        if (next === undefined || next.startsWith('--')) throw new UsageError(`--${name} needs a value`);
        value = next;
        i++;
      }
    } else if (eq > 0) throw new UsageError(`--${name} takes no value`);
    const list = flags.get(name) ?? [];
    if (list.length > 0 && !flag.repeat) throw new UsageError(`--${name} given twice`);
    list.push(value);
    flags.set(name, list);
  }
  return { positional, flags };
}

export function intFlag(args: ParsedArgs, name: string, fallback: number, min: number, max: number): number {
  const raw = args.flags.get(name)?.[0];
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new UsageError(`--${name} must be an integer from ${min} to ${max}, got "${raw}"`);
  }
  return value;
}

/** How a command gets its engine: from its own parsed arguments (their `--backend`). */
export type HostFor = (args: ParsedArgs) => EngineHost;
