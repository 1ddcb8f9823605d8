/**
 * The final model of a run in tfjs's layers format (`model/model.json` + `model/weights.bin`,
 * what `tf.loadLayersModel` reads and what tensorflowjs_converter turns into Keras). Our
 * network is plain ops over our own variables, so the export rebuilds the same network as a
 * tf.Sequential from the spec, gives it the snapshot's weights, and lets tfjs serialise it:
 * the topology and manifest are tfjs's own, never hand-written guesses.
 */
import * as tf from '@tensorflow/tfjs';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { inferShapes, type Activation, type Layer, type Snapshot, type Spec } from '@contract';

/** What became of the model at the end of a run; recorded in run.json as `model`. */
export interface ModelOutcome {
  written: boolean;
  /** Relative to the run folder, when written. */
  path: string | null;
  /** Why it was not written (NaN weights, a layer tfjs cannot express, a disk error). */
  reason: string | null;
}

/** tfjs's names for our activations; leakyRelu has no name there and becomes a LeakyReLU layer. */
type TfjsActivation = 'linear' | 'relu' | 'elu' | 'selu' | 'tanh' | 'sigmoid' | 'softplus' | 'softmax' | 'swish' | 'gelu';
const TFJS_ACTIVATION: Record<Exclude<Activation, 'leakyRelu'>, TfjsActivation> = {
  linear: 'linear',
  relu: 'relu',
  elu: 'elu',
  selu: 'selu',
  tanh: 'tanh',
  sigmoid: 'sigmoid',
  softplus: 'softplus',
  softmax: 'softmax',
  swish: 'swish',
  gelu: 'gelu',
};

/** Our variable roles as tfjs names the weights (the part after the layer's name). */
const ROLE_OF_TFJS_WEIGHT: Record<string, string> = {
  kernel: 'kernel',
  bias: 'bias',
  gamma: 'gamma',
  beta: 'beta',
  moving_mean: 'movingMean',
  moving_variance: 'movingVariance',
};

const pair = (v: number | [number, number]): [number, number] => (Array.isArray(v) ? v : [v, v]);

/** The tf.layers equivalents of one spec layer (two when a leakyRelu follows a dense or conv). */
function tfLayers(layer: Layer, name: string, inputShape: number[] | undefined): tf.layers.Layer[] {
  const first = inputShape ? { inputShape } : {};
  const act = (activation: Activation): TfjsActivation => (activation === 'leakyRelu' ? 'linear' : TFJS_ACTIVATION[activation]);
  const leaky = (activation: Activation, alpha: number): tf.layers.Layer[] => (activation === 'leakyRelu' ? [tf.layers.leakyReLU({ alpha, name: `${name}_leaky_relu` })] : []);
  switch (layer.type) {
    case 'input':
      return [tf.layers.inputLayer({ inputShape: layer.shape, name })];
    case 'dense':
      return [tf.layers.dense({ ...first, units: layer.units, activation: act(layer.activation), useBias: layer.useBias, name }), ...leaky(layer.activation, layer.alpha)];
    case 'conv2d':
      return [
        tf.layers.conv2d({ ...first, filters: layer.filters, kernelSize: pair(layer.kernelSize), strides: pair(layer.strides), padding: layer.padding, activation: act(layer.activation), useBias: layer.useBias, name }),
        ...leaky(layer.activation, layer.alpha),
      ];
    case 'maxPooling2d':
      return [tf.layers.maxPooling2d({ ...first, poolSize: pair(layer.poolSize), strides: pair(layer.strides ?? layer.poolSize), padding: layer.padding, name })];
    case 'averagePooling2d':
      return [tf.layers.averagePooling2d({ ...first, poolSize: pair(layer.poolSize), strides: pair(layer.strides ?? layer.poolSize), padding: layer.padding, name })];
    case 'flatten':
      return [tf.layers.flatten({ ...first, name })];
    case 'dropout':
      return [tf.layers.dropout({ ...first, rate: layer.rate, name })];
    case 'batchNormalization':
      return [tf.layers.batchNormalization({ ...first, axis: -1, momentum: layer.momentum, epsilon: layer.epsilon, name })];
    case 'activation':
      return layer.activation === 'leakyRelu' ? [tf.layers.leakyReLU({ ...first, alpha: layer.alpha, name })] : [tf.layers.activation({ ...first, activation: act(layer.activation), name })];
  }
}

/** The weights of a snapshot by `layer/role`, activations left out. */
export function snapshotWeights(snapshot: Snapshot): Map<string, { shape: number[]; data: Float32Array }> {
  const weights = new Map<string, { shape: number[]; data: Float32Array }>();
  for (const t of snapshot.tensors) if (t.role !== 'activation') weights.set(`${t.layer}/${t.role}`, { shape: t.shape, data: t.data });
  return weights;
}

/** The first weight holding a NaN or Inf, described for a person; null when all are finite. */
export function nonFiniteWeight(weights: Map<string, { data: Float32Array }>): string | null {
  for (const [name, { data }] of weights) {
    for (let i = 0; i < data.length; i++) {
      if (!Number.isFinite(data[i]!)) return `${name} holds ${Number.isNaN(data[i]!) ? 'NaN' : 'Inf'} (at flat index ${i})`;
    }
  }
  return null;
}

/**
 * Builds the spec's network as a tf.Sequential holding the given weights. The caller disposes
 * the model. Throws, naming the layer, when a weight is missing or has another shape.
 */
export function buildLayersModel(spec: Spec, inputShape: number[], weights: Map<string, { shape: number[]; data: Float32Array }>): tf.Sequential {
  const report = inferShapes(spec, { inputShape, task: 'regression', outputs: 1 });
  // Only the layers matter here; the loss-to-task checks need the dataset, which trained already.
  const issues = report.issues.filter((i) => i.path.startsWith('model.'));
  if (issues.length > 0) throw new Error(`the spec cannot be built: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`);
  const model = tf.sequential({ name: (spec.name ?? 'model').replace(/[^A-Za-z0-9_]/g, '_') });
  try {
    report.layers.forEach((shape, i) => {
      const layer = spec.model.layers[shape.index]!;
      const hasInput = spec.model.layers[0]?.type === 'input';
      const created = tfLayers(layer, shape.name, i === 0 && !hasInput ? inputShape : undefined);
      for (const l of created) model.add(l);
      const main = created[0]!;
      if (main.weights.length === 0) return;
      const values = main.weights.map((w) => {
        const suffix = w.originalName.slice(w.originalName.lastIndexOf('/') + 1);
        const key = `${shape.name}/${ROLE_OF_TFJS_WEIGHT[suffix] ?? suffix}`;
        const value = weights.get(key);
        if (!value) throw new Error(`the snapshot has no weight "${key}"`);
        if (value.shape.join(',') !== w.shape.join(',')) throw new Error(`weight "${key}" is [${value.shape.join(', ')}] in the snapshot but [${w.shape.join(', ')}] in the model`);
        return tf.tensor(value.data, value.shape, 'float32');
      });
      main.setWeights(values);
      for (const v of values) v.dispose();
    });
  } catch (error) {
    model.dispose();
    throw error;
  }
  return model;
}

/** Joins tfjs's weight data, which may come as one buffer or several. */
function weightBytes(data: tf.io.WeightData | undefined): Uint8Array {
  if (!data) return new Uint8Array(0);
  return new Uint8Array(Array.isArray(data) ? tf.io.CompositeArrayBuffer.join(data) : data);
}

/**
 * Saves a model as `<dir>/model.json` + `<dir>/weights.bin`, as tfjs-node's file:// handler
 * would, into a temporary folder first, renamed into place: the model is whole or absent.
 */
export async function saveLayersModel(model: tf.LayersModel, dir: string): Promise<void> {
  const temporary = `${dir}.tmp-${process.pid}`;
  rmSync(temporary, { recursive: true, force: true });
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      mkdirSync(temporary, { recursive: true });
      const json = {
        modelTopology: artifacts.modelTopology,
        format: 'layers-model',
        generatedBy: `TensorFlow.js tfjs-layers v${tf.version.tfjs}`,
        convertedBy: null,
        weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs ?? [] }],
      };
      writeFileSync(join(temporary, 'weights.bin'), weightBytes(artifacts.weightData));
      writeFileSync(join(temporary, 'model.json'), JSON.stringify(json));
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  if (existsSync(dir)) rmSync(dir, { recursive: true, force: true });
  renameSync(temporary, dir);
}

/** An IOHandler reading a model saved by {@link saveLayersModel}: for tf.loadLayersModel in plain Node. */
export function folderModelHandler(dir: string): tf.io.IOHandler {
  return {
    load: async () => {
      const file = join(dir, 'model.json');
      const json = JSON.parse(readFileSync(file, 'utf8')) as { modelTopology?: object; weightsManifest?: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[] };
      if (!json.modelTopology || !Array.isArray(json.weightsManifest)) throw new Error(`${file}: not a tfjs layers model (no modelTopology or weightsManifest)`);
      const buffers = json.weightsManifest.flatMap((group) => group.paths.map((p) => readFileSync(join(dir, p))));
      const joined = Buffer.concat(buffers);
      return {
        modelTopology: json.modelTopology,
        weightSpecs: json.weightsManifest.flatMap((group) => group.weights),
        weightData: joined.buffer.slice(joined.byteOffset, joined.byteOffset + joined.byteLength),
      };
    },
  };
}

/**
 * Writes a run's final model from its last snapshot into `<runDir>/model`, unless a weight
 * is not finite (a model of NaNs helps no one): then nothing is written and the outcome says why.
 */
export async function exportFinalModel(runDir: string, spec: Spec, inputShape: number[], snapshot: Snapshot): Promise<ModelOutcome> {
  const weights = snapshotWeights(snapshot);
  const bad = nonFiniteWeight(weights);
  if (bad) return { written: false, path: null, reason: `not written: the weights at step ${snapshot.step} are not finite (${bad})` };
  let model: tf.Sequential | null = null;
  try {
    model = buildLayersModel(spec, inputShape, weights);
    await saveLayersModel(model, join(runDir, 'model'));
    return { written: true, path: 'model/model.json', reason: null };
  } catch (error) {
    return { written: false, path: null, reason: `not written: ${error instanceof Error ? error.message : String(error)}` };
  } finally {
    model?.dispose();
  }
}
