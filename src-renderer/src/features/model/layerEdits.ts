/**
 * The edits the Model screen makes to a network, as pure functions over plain data: each
 * returns a new array or object and leaves its argument alone, so the store can keep the
 * spec before an edit as its undo snapshot.
 */
import { Layer, type LayerType, type SpecIssue } from '@contract';

/** Units or filters a new layer starts with: small enough to read, large enough to learn. */
const NEW_WIDTH = 16;

/**
 * A new layer of a type with the schema's defaults. `inputShape` is the sample shape the
 * dataset gives, used when the new layer is an input layer.
 */
export function defaultLayer(type: LayerType, inputShape?: number[] | null): Layer {
  switch (type) {
    case 'input':
      return Layer.parse({ type, shape: inputShape && inputShape.length > 0 ? inputShape : [2] });
    case 'dense':
      return Layer.parse({ type, units: NEW_WIDTH });
    case 'conv2d':
      return Layer.parse({ type, filters: NEW_WIDTH });
    case 'activation':
      return Layer.parse({ type, activation: 'relu' });
    default:
      return Layer.parse({ type });
  }
}

/**
 * The same layer as another type, keeping what both types have (name, activation,
 * initializers, width as units or filters); the rest takes the new type's defaults.
 */
export function changeLayerType(layer: Layer, type: LayerType, inputShape?: number[] | null): Layer {
  if (layer.type === type) return layer;
  const fresh: Record<string, unknown> = { ...defaultLayer(type, inputShape) };
  const old = layer as Record<string, unknown>;
  for (const key of ['name', 'activation', 'alpha', 'useBias', 'kernelInitializer', 'biasInitializer', 'padding', 'strides']) {
    if (key in fresh && old[key] !== undefined) fresh[key] = old[key];
  }
  if (layer.name !== undefined) fresh['name'] = layer.name;
  const width = layer.type === 'dense' ? layer.units : layer.type === 'conv2d' ? layer.filters : undefined;
  if (width !== undefined && 'units' in fresh) fresh['units'] = width;
  if (width !== undefined && 'filters' in fresh) fresh['filters'] = width;
  const parsed = Layer.safeParse(fresh);
  return parsed.success ? parsed.data : defaultLayer(type, inputShape);
}

/** Inserts a layer so that it ends up at index `at` (clamped to the list). */
export function insertLayer(layers: readonly Layer[], layer: Layer, at: number): Layer[] {
  const index = Math.max(0, Math.min(at, layers.length));
  return [...layers.slice(0, index), layer, ...layers.slice(index)];
}

export function removeLayer(layers: readonly Layer[], index: number): Layer[] {
  if (index < 0 || index >= layers.length) return [...layers];
  return layers.filter((_, i) => i !== index);
}

/** Moves the layer at `from` so that it ends up at index `to` (clamped to the list). */
export function moveLayer(layers: readonly Layer[], from: number, to: number): Layer[] {
  if (from < 0 || from >= layers.length) return [...layers];
  const target = Math.max(0, Math.min(to, layers.length - 1));
  const rest = layers.filter((_, i) => i !== from);
  return [...rest.slice(0, target), layers[from]!, ...rest.slice(target)];
}

/**
 * A copy of the layer at `index`, inserted after it. A named layer's copy gets a new name
 * (`dense_a_2`, …): two layers with one name cannot be built.
 */
export function duplicateLayer(layers: readonly Layer[], index: number): Layer[] {
  const original = layers[index];
  if (!original) return [...layers];
  const copy = structuredClone(original);
  if (copy.name !== undefined) {
    const taken = new Set(layers.map((l) => l.name).filter((n): n is string => n !== undefined));
    const stem = copy.name.replace(/_\d+$/, '');
    let n = 2;
    while (taken.has(`${stem}_${n}`)) n++;
    copy.name = `${stem}_${n}`.slice(0, 64);
  }
  return insertLayer(layers, copy, index + 1);
}

/**
 * A deep copy of `target` with the value at a dotted path (`model.layers.3.units`) replaced;
 * `undefined` removes the key. Missing objects on the way are created.
 */
export function setAtPath<T>(target: T, path: string, value: unknown): T {
  const copy = structuredClone(target) as unknown;
  const keys = path.split('.');
  let node = copy as Record<string, unknown>;
  for (const key of keys.slice(0, -1)) {
    const next = node[key];
    if (typeof next !== 'object' || next === null) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  const last = keys[keys.length - 1]!;
  if (value === undefined) {
    if (Array.isArray(node)) node.splice(Number(last), 1);
    else delete node[last];
  } else {
    node[last] = value;
  }
  return copy as T;
}

/** The value at a dotted path, or undefined. */
export function getAtPath(target: unknown, path: string): unknown {
  let node = target;
  for (const key of path.split('.')) {
    if (typeof node !== 'object' || node === null) return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return node;
}

/** The layer a field path concerns (`model.layers.3.units` → 3), or null. */
export function layerIndexOf(path: string): number | null {
  const match = /^model\.layers\.(\d+)(?:\.|$)/.exec(path);
  return match ? Number(match[1]) : null;
}

/** Issues split into those of each layer (by index) and the rest. */
export function issuesByLayer(issues: readonly SpecIssue[]): { layers: Map<number, SpecIssue[]>; other: SpecIssue[] } {
  const layers = new Map<number, SpecIssue[]>();
  const other: SpecIssue[] = [];
  for (const issue of issues) {
    const index = layerIndexOf(issue.path);
    if (index === null) other.push(issue);
    else layers.set(index, [...(layers.get(index) ?? []), issue]);
  }
  return { layers, other };
}

/** Every layer's name: its own, or `type_N` counted per type as Keras (and inferShapes) name them. */
export function layerNames(layers: readonly Layer[]): string[] {
  const counts = new Map<string, number>();
  return layers.map((layer) => {
    const count = (counts.get(layer.type) ?? 0) + 1;
    counts.set(layer.type, count);
    return layer.name ?? `${layer.type}_${count}`;
  });
}
