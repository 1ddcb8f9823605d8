/**
 * Models trained outside Trainbench, read as a spec's layers and a snapshot's weights (by
 * `layer/role`, Trainbench's snapshot names): a tfjs layers model (model.json + its .bin
 * files, as `model.save()` and tensorflowjs_converter write them), or a safetensors file with
 * a Trainbench spec naming the architecture. Every error names the file and the field at fault.
 */
import * as tf from '@tensorflow/tfjs';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, join, normalize, sep } from 'node:path';
import { z } from 'zod';
import { ContractError, Spec, type LayerInput } from '@contract';
import { readSnapshotWeights } from './snapshotReader';
import { KERAS_WEIGHT, TopologyError, mapKerasTopology, type MappedLayer } from './kerasLayers';

export type Weights = Map<string, { shape: number[]; data: Float32Array }>;

export interface OutsideModel {
  /** A name to show: the topology's model name, or the file's. */
  name: string;
  /** The file it was read from (model.json, or the safetensors file). */
  file: string;
  /** The layers, input first; for a spec file its whole model. */
  layers: LayerInput[];
  /** A spec file's own spec, which says its normalisation and training; null for tfjs models. */
  spec: Spec | null;
  weights: Weights;
}

/** Largest model.json read: topologies are small; a weights file is not a model.json. */
const MAX_MODEL_JSON = 64 * 1024 ** 2;

const WeightEntry = z.object({
  name: z.string().min(1),
  shape: z.array(z.number().int().nonnegative()),
  dtype: z.enum(['float32', 'int32', 'bool', 'string', 'complex64']),
  quantization: z.object({ dtype: z.enum(['uint8', 'uint16', 'float16']), scale: z.number().optional(), min: z.number().optional() }).passthrough().optional(),
}).passthrough();

/** A tfjs model.json: the fields read; anything else (format, generatedBy, signature…) is let through. */
const ModelJson = z
  .object({
    modelTopology: z.record(z.string(), z.unknown()),
    format: z.string().optional(),
    weightsManifest: z.array(z.object({ paths: z.array(z.string().min(1)).min(1), weights: z.array(WeightEntry) }).passthrough()).min(1),
  })
  .passthrough();

const BYTES: Record<string, number> = { float32: 4, int32: 4, bool: 1, complex64: 8, uint8: 1, uint16: 2, float16: 2 };

const refused = (message: string, path?: string): ContractError => new ContractError({ code: 'invalid-payload', message, ...(path ? { issues: [{ path, message }] } : {}) });

function readJson(path: string, what: string): unknown {
  if (!existsSync(path)) throw new ContractError({ code: 'not-found', message: `${path}: no such file (${what})`, issues: [{ path: 'path', message: 'not found' }] });
  if (!statSync(path).isFile()) throw refused(`${path}: is a folder, not the ${what}`);
  if (statSync(path).size > MAX_MODEL_JSON) throw refused(`${path}: ${statSync(path).size} bytes, too large for a ${what}`);
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as unknown;
  } catch (error) {
    throw refused(`${path}: cannot be read as JSON (${(error as Error).message})`);
  }
}

const zodField = (error: z.ZodError): { field: string; message: string } => {
  const first = error.issues[0];
  return { field: first?.path.map(String).join('.') || '(top level)', message: first?.message ?? 'invalid' };
};

/** Strips what Keras and converters add to a weight's name: a `:0` suffix. */
const plainName = (name: string): string => name.replace(/:\d+$/, '');

/** The manifest entry holding `layer`'s `suffix` weight: named `layer/suffix`, possibly under a model's scope. */
function findWeight(entries: Map<string, Float32ArrayLike>, kerasName: string, suffix: string): { name: string; value: Float32ArrayLike } | null {
  const exact = `${kerasName}/${suffix}`;
  const direct = entries.get(exact);
  if (direct) return { name: exact, value: direct };
  for (const [name, value] of entries) if (name.endsWith(`/${exact}`)) return { name, value };
  return null;
}
interface Float32ArrayLike {
  shape: number[];
  data: Float32Array;
}

/** The roles a spec layer's network holds, in order: what Network.build gives it. */
function roles(layer: LayerInput): string[] {
  if (layer.type === 'dense' || layer.type === 'conv2d') return layer.useBias === false ? ['kernel'] : ['kernel', 'bias'];
  if (layer.type === 'batchNormalization') return ['gamma', 'beta', 'movingMean', 'movingVariance'];
  return [];
}

/** Reads a tfjs layers model: model.json at `path`, its weight files beside it. */
export function readTfjsModel(path: string): OutsideModel {
  const parsed = ModelJson.safeParse(readJson(path, 'tfjs model.json'));
  if (!parsed.success) {
    const { field, message } = zodField(parsed.error);
    throw refused(`${path}: ${field}: ${message} (a tfjs layers model.json has modelTopology and weightsManifest [{paths, weights}])`, field);
  }
  const json = parsed.data;
  if (json.format !== undefined && json.format !== 'layers-model') throw refused(`${path}: format is "${json.format}"; only tfjs layers models ("layers-model") can be inspected`, 'format');

  let mapped: ReturnType<typeof mapKerasTopology>;
  try {
    mapped = mapKerasTopology(json.modelTopology, path);
  } catch (error) {
    if (error instanceof TopologyError) throw new ContractError({ code: 'invalid-payload', message: error.message, issues: error.issues });
    throw error;
  }

  // Each group's files, concatenated, hold that group's weights in order (tfjs's layout).
  const root = dirname(path);
  const entries = new Map<string, Float32ArrayLike>();
  json.weightsManifest.forEach((group, g) => {
    const buffers: Buffer[] = [];
    group.paths.forEach((file, p) => {
      const field = `weightsManifest.${g}.paths.${p}`;
      const full = normalize(join(root, file));
      if (isAbsolute(file) || !(full === root || full.startsWith(root + sep))) throw refused(`${path}: ${field} "${file}" is outside the model's folder`, field);
      if (!existsSync(full) || !statSync(full).isFile()) throw new ContractError({ code: 'not-found', message: `${full}: missing: ${path} names it in ${field}; put the weights file beside model.json`, issues: [{ path: field, message: 'not found' }] });
      buffers.push(readFileSync(full));
    });
    const expected = group.weights.reduce((sum, w) => sum + w.shape.reduce((a, b) => a * b, 1) * BYTES[w.quantization?.dtype ?? w.dtype]!, 0);
    const actual = buffers.reduce((sum, b) => sum + b.length, 0);
    if (actual !== expected) {
      throw refused(`${group.paths.join(' + ')}: ${actual} bytes, but ${path}'s weightsManifest.${g}.weights (${group.weights.length} weights: ${group.weights.map((w) => `${w.name} [${w.shape.join(', ')}] ${w.quantization?.dtype ?? w.dtype}`).join(', ')}) need ${expected}`, `weightsManifest.${g}`);
    }
    for (const w of group.weights) if (w.dtype === 'string' || w.dtype === 'complex64') throw refused(`${path}: weightsManifest.${g}.weights "${w.name}" is ${w.dtype}; weights are numbers`, `weightsManifest.${g}.weights`);
    const joined = Buffer.concat(buffers);
    const decoded = tf.io.decodeWeights(joined.buffer.slice(joined.byteOffset, joined.byteOffset + joined.byteLength), group.weights as tf.io.WeightsManifestEntry[]);
    try {
      for (const [name, tensor] of Object.entries(decoded)) entries.set(plainName(name), { shape: tensor.shape, data: Float32Array.from(tensor.dataSync() as ArrayLike<number>) });
    } finally {
      tf.dispose(decoded);
    }
  });

  const weights: Weights = new Map();
  const missing: string[] = [];
  for (const { layer, kerasName, kerasClass } of mapped.layers as MappedLayer[]) {
    const norm = layer.type === 'batchNormalization';
    for (const role of roles(layer)) {
      const found = findWeight(entries, kerasName, KERAS_WEIGHT[role]!);
      if (found) weights.set(`${layer.name}/${role}`, found.value);
      // A BatchNormalization with center or scale off has no beta or gamma: they are 0 and 1.
      else if (norm && (role === 'gamma' || role === 'beta')) weights.set(`${layer.name}/${role}`, { shape: [], data: new Float32Array(0) });
      else missing.push(`${kerasClass} '${kerasName}' has no ${KERAS_WEIGHT[role]} (no weight named "${kerasName}/${KERAS_WEIGHT[role]}")`);
    }
  }
  if (missing.length > 0) throw refused(`${path}: weightsManifest: ${missing.join('; ')}; its weights are ${[...entries.keys()].join(', ') || 'none'}`, 'weightsManifest');
  // Fill a BatchNormalization's absent gamma/beta with the shape of its moving mean.
  for (const layer of mapped.layers) {
    if (layer.layer.type !== 'batchNormalization') continue;
    const mean = weights.get(`${layer.layer.name}/movingMean`)!;
    for (const [role, value] of [['gamma', 1], ['beta', 0]] as const) {
      const key = `${layer.layer.name}/${role}`;
      if (weights.get(key)!.data.length === 0) weights.set(key, { shape: mean.shape, data: new Float32Array(mean.data.length).fill(value) });
    }
  }
  const base = path.split(/[\\/]/).slice(-2, -1)[0] ?? 'model';
  return { name: mapped.name ?? base, file: path, layers: mapped.layers.map((l) => l.layer), spec: null, weights };
}

/** Reads a safetensors file of `layer/role` F32 tensors and the Trainbench spec (JSON) that names its architecture. */
export function readSafetensorsModel(path: string, specPath: string): OutsideModel {
  const parsed = Spec.safeParse(readJson(specPath, 'Trainbench spec'));
  if (!parsed.success) {
    const { field, message } = zodField(parsed.error);
    throw refused(`${specPath}: ${field}: ${message}`, field);
  }
  if (!existsSync(path) || !statSync(path).isFile()) throw new ContractError({ code: 'not-found', message: `${path}: no such file (the safetensors weights)`, issues: [{ path: 'path', message: 'not found' }] });
  let weights: Weights;
  try {
    weights = new Map(readSnapshotWeights(path).tensors);
  } catch (error) {
    throw refused((error as Error).message, 'path');
  }
  // Keras's names for a batch norm's statistics are accepted beside ours.
  for (const [name, value] of [...weights]) {
    const renamed = name.replace(/\/moving_mean$/, '/movingMean').replace(/\/moving_variance$/, '/movingVariance');
    if (renamed !== name && !weights.has(renamed)) weights.set(renamed, value);
  }
  const spec = parsed.data;
  return { name: spec.name ?? path.split(/[\\/]/).pop()!, file: path, layers: spec.model.layers, spec, weights };
}

/**
 * Files dropped on the page, written into `dir` and read as the model they make up: a
 * model.json with its .bin files, or a .safetensors file with a spec .json. Messages name the
 * dropped files by their own names, not the folder they were put in.
 */
export function readDroppedModel(dir: string, files: { name: string; data: Uint8Array }[]): OutsideModel {
  mkdirSync(dir, { recursive: true });
  for (const file of files) writeFileSync(join(dir, file.name), file.data);
  const names = files.map((f) => f.name);
  const jsons = names.filter((n) => /\.json$/i.test(n));
  const weights = names.filter((n) => /\.safetensors$/i.test(n));
  const dropped = names.join(', ');
  try {
    if (weights.length > 0) {
      if (weights.length > 1 || jsons.length !== 1) throw refused(`dropped ${dropped}: a safetensors model is one .safetensors file and the one Trainbench spec (.json) naming its architecture`, 'files');
      return { ...readSafetensorsModel(join(dir, weights[0]!), join(dir, jsons[0]!)), file: weights[0]! };
    }
    const model = jsons.find((n) => n === 'model.json') ?? (jsons.length === 1 ? jsons[0] : undefined);
    if (!model) throw refused(`dropped ${dropped}: no model.json among them (drop a tfjs model.json with its .bin files, or a .safetensors file with its spec .json)`, 'files');
    return { ...readTfjsModel(join(dir, model)), file: model };
  } catch (error) {
    if (!(error instanceof ContractError)) throw error;
    const plain = (text: string): string => text.split(dir + sep).join('');
    throw new ContractError({ code: error.code, message: plain(error.message), ...(error.issues ? { issues: error.issues.map((i) => ({ path: i.path, message: plain(i.message) })) } : {}) });
  }
}
