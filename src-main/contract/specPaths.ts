/**
 * Setting spec fields by their dotted path (`model.layers.1.activation`): the form `--set` on
 * the command line and the diagnosis suggestions use. Pure; the caller validates the result.
 */

const FORBIDDEN = new Set(['__proto__', 'constructor', 'prototype']);

/** Returns a deep copy of `raw` with `path` set to `value`; throws with the path at fault. */
export function setPath(raw: unknown, path: string, value: unknown): unknown {
  const copy = structuredClone(raw) as Record<string, unknown>;
  const keys = path.split('.');
  let node: Record<string, unknown> = copy;
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!;
    if (key === '' || FORBIDDEN.has(key)) throw new Error(`${path}: "${key}" is not a field`);
    if (i === keys.length - 1) {
      node[key] = value;
      break;
    }
    const next = node[key];
    if (next === undefined) node[key] = /^\d+$/.test(keys[i + 1]!) ? [] : {};
    else if (typeof next !== 'object' || next === null) throw new Error(`${path}: ${keys.slice(0, i + 1).join('.')} is a ${typeof next}, not an object`);
    node = node[key] as Record<string, unknown>;
  }
  return copy;
}

/** Applies several `path → value` settings in order. */
export function setPaths(raw: unknown, settings: Record<string, unknown>): unknown {
  return Object.entries(settings).reduce<unknown>((spec, [path, value]) => setPath(spec, path, value), raw);
}
