/**
 * A Keras/tfjs layers topology (the `modelTopology` of a tfjs model.json) read as Trainbench
 * spec layers: a Sequential model, or a Functional one whose layers form a chain. Pure: no
 * tfjs, no files. Layers or options the palette has no equivalent for are refused by class and
 * name, all of them at once, never changed silently.
 */
import type { Activation, LayerInput } from '@contract';

/** One spec layer and the Keras layer it came from: its weights are named after `kerasName`. */
export interface MappedLayer {
  layer: LayerInput;
  kerasName: string;
  kerasClass: string;
}

export interface MappedTopology {
  /** The model's name in its topology, when it has one. */
  name: string | null;
  /** The input shape without the batch axis, from InputLayer or the first layer's batch_input_shape. */
  inputShape: number[];
  layers: MappedLayer[];
}

/** Raised with every problem found, each naming the layer; `issues` for the UI's list. */
export class TopologyError extends Error {
  constructor(
    readonly issues: { path: string; message: string }[],
    file: string,
  ) {
    super(`${file}: ${issues.map((i) => i.message).join('; ')}`);
    this.name = 'TopologyError';
  }
}

type Config = Record<string, unknown>;
interface KerasLayer {
  class_name: string;
  config: Config;
  name?: string;
  inbound_nodes?: unknown;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Keras's activation names (tfjs's camel-case ones too) → the palette's; others are refused. */
const ACTIVATIONS: Record<string, Activation> = {
  linear: 'linear',
  relu: 'relu',
  elu: 'elu',
  selu: 'selu',
  tanh: 'tanh',
  sigmoid: 'sigmoid',
  softplus: 'softplus',
  softmax: 'softmax',
  swish: 'swish',
  silu: 'swish',
  // Keras's and tfjs's 'gelu' are the exact x·Φ(x), as ours (tfjs's tanh form is 'gelu_new').
  gelu: 'gelu',
  leaky_relu: 'leakyRelu',
  leakyRelu: 'leakyRelu',
};
/** Keras 3's leaky_relu activation function's default negative slope. */
const KERAS_LEAKY_SLOPE = 0.2;

const NAME = /^[A-Za-z][A-Za-z0-9_]*$/;

/** A Keras name as a spec layer name (letters, digits and _, ≤ 64), unique among `taken`. */
function specName(kerasName: string, taken: Set<string>): string {
  let base = kerasName.replace(/[^A-Za-z0-9_]/g, '_');
  if (!/^[A-Za-z]/.test(base)) base = `l_${base}`;
  base = base.slice(0, 60);
  let name = base;
  for (let n = 2; taken.has(name) || !NAME.test(name); n++) name = `${base}_${n}`;
  taken.add(name);
  return name;
}

/** The Keras model config inside a model.json's modelTopology (tfjs writes it bare, Keras under model_config). */
function modelConfig(topology: unknown): { class_name: string; config: unknown } | null {
  if (!isObject(topology)) return null;
  const inner = isObject(topology['model_config']) ? topology['model_config'] : topology;
  return typeof inner['class_name'] === 'string' ? { class_name: inner['class_name'], config: inner['config'] } : null;
}

/** Names of the layers feeding a Functional layer, from either node format (Keras 2 arrays, Keras 3 keras_history). */
function inboundNames(nodes: unknown): string[] {
  const names: string[] = [];
  const walk = (v: unknown, depth: number): void => {
    if (depth > 8) return;
    if (Array.isArray(v)) {
      // [name, nodeIndex, tensorIndex, kwargs?]: a Keras 2 / tfjs inbound connection.
      if (typeof v[0] === 'string' && typeof v[1] === 'number') names.push(v[0]);
      else for (const item of v) walk(item, depth + 1);
    } else if (isObject(v)) {
      const history = isObject(v['config']) ? v['config']['keras_history'] : undefined;
      if (Array.isArray(history) && typeof history[0] === 'string') names.push(history[0]);
      else for (const item of Object.values(v)) walk(item, depth + 1);
    }
  };
  walk(nodes, 0);
  return names;
}

function readLayers(topology: unknown, issues: { path: string; message: string }[]): { name: string | null; layers: KerasLayer[] } | null {
  const model = modelConfig(topology);
  if (!model) {
    issues.push({ path: 'modelTopology', message: 'modelTopology has no model config (class_name and config): not a tfjs layers model (a graph model from tensorflowjs_converter cannot be inspected)' });
    return null;
  }
  const config = model.config;
  // Keras ≤ 2.2 wrote a Sequential's config as the bare list of layers.
  const list = Array.isArray(config) ? config : isObject(config) ? config['layers'] : undefined;
  const name = isObject(config) && typeof config['name'] === 'string' ? config['name'] : null;
  if (!Array.isArray(list) || list.length === 0) {
    issues.push({ path: 'modelTopology.config.layers', message: 'modelTopology.config.layers is missing or empty' });
    return null;
  }
  const layers: KerasLayer[] = [];
  list.forEach((entry, i) => {
    if (!isObject(entry) || typeof entry['class_name'] !== 'string' || !isObject(entry['config'])) {
      issues.push({ path: `modelTopology.config.layers.${i}`, message: `modelTopology.config.layers[${i}] is not a layer (no class_name and config)` });
      return;
    }
    layers.push(entry as unknown as KerasLayer);
  });
  if (model.class_name === 'Sequential') return { name, layers };
  if (model.class_name !== 'Model' && model.class_name !== 'Functional') {
    issues.push({ path: 'modelTopology.class_name', message: `unsupported model class ${model.class_name}: only Sequential models and Functional models whose layers form a chain are read` });
    return null;
  }
  // A Functional model is read when each layer takes exactly the layer before it.
  layers.forEach((layer, i) => {
    const own = layer.name ?? (layer.config['name'] as string | undefined) ?? `#${i}`;
    const inbound = inboundNames(layer.inbound_nodes);
    const previous = i > 0 ? (layers[i - 1]!.name ?? (layers[i - 1]!.config['name'] as string)) : null;
    const ok = i === 0 ? inbound.length === 0 : inbound.length === 1 && inbound[0] === previous;
    if (!ok) {
      issues.push({
        path: `modelTopology.config.layers.${i}`,
        message: `the Functional model is not a chain: layer ${layer.class_name} '${own}' takes ${inbound.length === 0 ? 'no input' : inbound.map((n) => `'${n}'`).join(', ')}${previous ? `, not just '${previous}'` : ''} (only layer-after-layer models are read)`,
      });
    }
  });
  return { name, layers };
}

const pairOf = (v: unknown): [number, number] | null => {
  if (typeof v === 'number' && Number.isInteger(v)) return [v, v];
  if (Array.isArray(v) && v.length === 2 && v.every((d) => typeof d === 'number' && Number.isInteger(d))) return [v[0] as number, v[1] as number];
  return null;
};

/** A batch shape's dimensions after the batch axis, when all are known. */
function shapeOf(config: Config): number[] | null | undefined {
  const batch = config['batch_input_shape'] ?? config['batch_shape'];
  let dims: unknown;
  if (Array.isArray(batch)) dims = batch.slice(1);
  else if (Array.isArray(config['input_shape'])) dims = config['input_shape'];
  else return undefined;
  const list = dims as unknown[];
  return list.every((d) => typeof d === 'number' && Number.isInteger(d) && d > 0) ? (list as number[]) : null;
}

/**
 * Maps a model.json's modelTopology to spec layers. Throws a TopologyError naming every layer
 * (class and name) or option that cannot be read; `file` names the model.json in messages.
 */
export function mapKerasTopology(topology: unknown, file = 'model.json'): MappedTopology {
  const issues: { path: string; message: string }[] = [];
  const read = readLayers(topology, issues);
  if (!read) throw new TopologyError(issues, file);
  const taken = new Set<string>();
  const layers: MappedLayer[] = [];
  let inputShape: number[] | null = null;

  read.layers.forEach(({ class_name: kerasClass, config }, i) => {
    const kerasName = typeof config['name'] === 'string' ? config['name'] : `${kerasClass}_${i}`;
    const label = `${kerasClass} '${kerasName}'`;
    const path = `modelTopology.config.layers.${i}`;
    const refuse = (why: string): void => void issues.push({ path, message: `${label}: ${why}` });
    const shape = shapeOf(config);
    if (shape === null) refuse('its input shape has unknown dimensions (every dimension after the batch axis must be a positive number)');
    if (shape && inputShape === null && i <= 1) inputShape = shape;
    const dataFormat = config['data_format'];
    if (dataFormat !== undefined && dataFormat !== null && dataFormat !== 'channels_last') refuse(`data_format ${String(dataFormat)} (only channels_last is read)`);

    const activation = (key = 'activation'): { activation: Activation; alpha?: number } | null => {
      const raw = config[key];
      const name = raw === undefined || raw === null ? 'linear' : typeof raw === 'string' ? raw : isObject(raw) && typeof raw['class_name'] === 'string' ? raw['class_name'] : String(raw);
      const mapped = ACTIVATIONS[name];
      if (!mapped) {
        refuse(`unsupported activation '${name}' (supported: ${[...new Set(Object.keys(ACTIVATIONS))].join(', ')})`);
        return null;
      }
      return mapped === 'leakyRelu' ? { activation: mapped, alpha: KERAS_LEAKY_SLOPE } : { activation: mapped };
    };
    const name = specName(kerasName, taken);
    const push = (layer: LayerInput): void => void layers.push({ layer, kerasName, kerasClass });

    switch (kerasClass) {
      case 'InputLayer':
        if (shape) push({ type: 'input', name, shape });
        else if (shape === undefined) refuse('no batch_input_shape');
        return;
      case 'Dense': {
        const units = config['units'];
        const act = activation();
        if (typeof units !== 'number' || !Number.isInteger(units) || units < 1) return refuse('units is not a positive integer');
        if (act) push({ type: 'dense', name, units, ...act, useBias: config['use_bias'] !== false });
        return;
      }
      case 'Conv2D': {
        const filters = config['filters'];
        const kernelSize = pairOf(config['kernel_size']);
        const strides = pairOf(config['strides'] ?? 1);
        const dilation = pairOf(config['dilation_rate'] ?? 1);
        const padding = config['padding'] ?? 'valid';
        const act = activation();
        if (typeof filters !== 'number' || !Number.isInteger(filters) || filters < 1) return refuse('filters is not a positive integer');
        if (!kernelSize || !strides) return refuse('kernel_size or strides is not one or two integers');
        if (!dilation || dilation[0] !== 1 || dilation[1] !== 1) return refuse(`dilation_rate ${JSON.stringify(config['dilation_rate'])} (only 1 is read)`);
        if (config['groups'] !== undefined && config['groups'] !== 1) return refuse(`groups ${String(config['groups'])} (only 1 is read)`);
        if (padding !== 'valid' && padding !== 'same') return refuse(`padding ${String(padding)} (valid or same are read)`);
        if (act) push({ type: 'conv2d', name, filters, kernelSize, strides, padding, ...act, useBias: config['use_bias'] !== false });
        return;
      }
      case 'MaxPooling2D':
      case 'AveragePooling2D':
      case 'MaxPool2D':
      case 'AvgPool2D':
      case 'AveragePool2D': {
        const poolSize = pairOf(config['pool_size'] ?? 2);
        const strides = config['strides'] === undefined || config['strides'] === null ? undefined : pairOf(config['strides']);
        const padding = config['padding'] ?? 'valid';
        if (!poolSize || strides === null) return refuse('pool_size or strides is not one or two integers');
        if (padding !== 'valid' && padding !== 'same') return refuse(`padding ${String(padding)} (valid or same are read)`);
        push({ type: kerasClass.startsWith('Max') ? 'maxPooling2d' : 'averagePooling2d', name, poolSize, ...(strides ? { strides } : {}), padding });
        return;
      }
      case 'Flatten':
        push({ type: 'flatten', name });
        return;
      case 'Dropout': {
        const rate = typeof config['rate'] === 'number' ? config['rate'] : 0.5;
        // Inspection runs the network in inference mode, where dropout passes its input on.
        push({ type: 'dropout', name, rate: Math.min(Math.max(rate, 0), 0.99) });
        return;
      }
      case 'Activation': {
        const act = activation();
        if (act) push({ type: 'activation', name, ...act });
        return;
      }
      case 'ReLU': {
        const bounded = (config['max_value'] ?? null) !== null || (Number(config['negative_slope'] ?? 0) !== 0) || (Number(config['threshold'] ?? 0) !== 0);
        if (bounded) return refuse('a ReLU with max_value, negative_slope or threshold (only the plain ReLU is read)');
        push({ type: 'activation', name, activation: 'relu' });
        return;
      }
      case 'LeakyReLU': {
        const alpha = Number(config['alpha'] ?? config['negative_slope'] ?? 0.3);
        if (!(alpha >= 0 && alpha <= 1)) return refuse(`alpha ${alpha} (0 to 1 is read)`);
        push({ type: 'activation', name, activation: 'leakyRelu', alpha });
        return;
      }
      case 'ELU':
        if (Number(config['alpha'] ?? 1) !== 1) return refuse(`alpha ${String(config['alpha'])} (only 1 is read)`);
        push({ type: 'activation', name, activation: 'elu' });
        return;
      case 'Softmax': {
        const axis = config['axis'] ?? -1;
        if (axis !== -1 && !(Array.isArray(axis) && axis.length === 1 && axis[0] === -1)) return refuse(`axis ${JSON.stringify(axis)} (only the last axis is read)`);
        push({ type: 'activation', name, activation: 'softmax' });
        return;
      }
      case 'BatchNormalization': {
        const axis = config['axis'] ?? -1;
        const last = Array.isArray(axis) ? axis.length === 1 && (axis[0] === -1 || axis[0] === 3 || axis[0] === 1) : axis === -1 || axis === 3 || axis === 1;
        // Axis 1 and 3 are the last axis of dense and image inputs only; checked against the shape below.
        if (!last) return refuse(`axis ${JSON.stringify(axis)} (only the channels, the last axis, are read)`);
        const epsilon = typeof config['epsilon'] === 'number' ? config['epsilon'] : 1e-3;
        const momentum = typeof config['momentum'] === 'number' ? config['momentum'] : 0.99;
        push({ type: 'batchNormalization', name, momentum, epsilon });
        return;
      }
      default:
        issues.push({ path, message: `unsupported layer ${label}` });
    }
  });
  if (!inputShape) issues.push({ path: 'modelTopology.config.layers.0', message: 'the model does not say its input shape (no InputLayer and no batch_input_shape on its first layer)' });
  if (issues.length > 0) throw new TopologyError(issues, file);
  if (layers[0]?.layer.type !== 'input') layers.unshift({ layer: { type: 'input', name: specName('input', taken), shape: inputShape! }, kerasName: 'input', kerasClass: 'InputLayer' });
  return { name: read.name, inputShape: inputShape!, layers };
}

/** Keras's weight names for a spec layer's variable roles, in the order the layer holds them. */
export const KERAS_WEIGHT: Record<string, string> = { kernel: 'kernel', bias: 'bias', gamma: 'gamma', beta: 'beta', movingMean: 'moving_mean', movingVariance: 'moving_variance' };
