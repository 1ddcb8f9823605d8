/**
 * Models from elsewhere on the Inspect views. The fixtures are saved by tfjs itself
 * (`model.save` through a save handler that writes model.json + weights.bin as tfjs's file
 * and browser-download handlers lay them out), opened with a dataset, and every activation
 * the inspector reports equals the layer's output in `model.predict` (≤ 1e-5). A table of
 * malformed models names the file and the field at fault.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatasetRef, InspectRun } from '@contract';
import { InspectOpenModelRequest } from '@contract';
import { Inspector } from '../../src-main/engine/inspect/inspector';
import { loadDataset } from '../../src-main/engine/datasets';
import { mapKerasTopology } from '../../src-main/engine/inspect/kerasLayers';
import { encodeSafetensors } from '../../src-main/engine/runs/safetensors';
import { sampleIndices } from '../../src-main/engine/inspect/activations';
import { registerWasmGradientKernels } from '../../src-main/engine/backend/wasmGradients';

let root: string;
const inspector = new Inspector();
const ABS: DatasetRef = { kind: 'builtin', name: 'abs', size: 300, seed: 3 };
const MNIST: DatasetRef = { kind: 'builtin', name: 'mnist' };

beforeAll(async () => {
  registerWasmGradientKernels(tf);
  await tf.setBackend('wasm');
  await tf.ready();
  root = mkdtempSync(join(tmpdir(), 'trainbench-outside-test-'));
});
afterAll(() => {
  inspector.dispose();
  rmSync(root, { recursive: true, force: true });
});

/** Saves `model` into `<root>/<name>/` exactly as tfjs's file:// handler does: model.json + weights.bin. */
async function saveByTfjs(model: tf.LayersModel, name: string): Promise<string> {
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      const data = artifacts.weightData;
      const bytes = new Uint8Array(Array.isArray(data) ? tf.io.CompositeArrayBuffer.join(data) : (data ?? new ArrayBuffer(0)));
      writeFileSync(join(dir, 'weights.bin'), bytes);
      writeFileSync(
        join(dir, 'model.json'),
        JSON.stringify({
          modelTopology: artifacts.modelTopology,
          format: 'layers-model',
          generatedBy: `TensorFlow.js tfjs-layers v${tf.version.tfjs}`,
          convertedBy: null,
          weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs }],
        }),
      );
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  return join(dir, 'model.json');
}

/** Every layer's output of `model.predict` on the dataset's training inputs, by Keras layer name. */
async function layerOutputs(model: tf.LayersModel, ref: DatasetRef, indices: Int32Array, normalize: (v: number) => number = (v) => v): Promise<Map<string, { values: Float32Array; units: number }>> {
  const ds = await loadDataset(ref as never);
  const n = indices.length;
  const size = ds.inputShape.reduce((a, b) => a * b, 1);
  const x = new Float32Array(n * size);
  indices.forEach((index, row) => {
    for (let i = 0; i < size; i++) x[row * size + i] = normalize(Number(ds.splits.train.x[index * size + i]));
  });
  const probe = tf.model({ inputs: model.inputs, outputs: model.layers.map((l) => l.output as tf.SymbolicTensor) });
  const outputs = tf.tidy(() => [probe.predict(tf.tensor(x, [n, ...ds.inputShape])) as tf.Tensor | tf.Tensor[]].flat().map((t) => ({ values: t.dataSync() as Float32Array, units: t.shape.at(-1)! })));
  return new Map(model.layers.map((l, i) => [l.name, outputs[i]!]));
}

/** The inspector's layer name for a Keras layer (the mapped spec keeps the name when it is valid). */
const layerOf = (run: InspectRun, kerasName: string): string => run.layers.find((l) => l.name === kerasName)!.name;

/**
 * Checks a layer's per-unit means and its last unit's top/bottom values against predict's
 * outputs on the samples `indices` (the inspector's own pick when `sample` is given).
 */
async function agrees(run: InspectRun, expected: Map<string, { values: Float32Array; units: number }>, kerasName: string, indices: Int32Array, sample?: number): Promise<void> {
  const name = layerOf(run, kerasName);
  const { values, units } = expected.get(kerasName)!;
  const positions = values.length / units / indices.length;
  const view = await inspector.inspectLayer('', run.runId, 0, name, sample);
  expect(view.units.mean.length, kerasName).toBe(units);
  for (let u = 0; u < units; u++) {
    let sum = 0;
    for (let i = u; i < values.length; i += units) sum += values[i]!;
    expect(Math.abs(view.units.mean[u]! - sum / (values.length / units)), `${kerasName} unit ${u}`).toBeLessThanOrEqual(1e-5);
  }
  const unit = await inspector.inspectUnit('', run.runId, 0, name, units - 1, sample, 32);
  expect(unit.samples).toBe(indices.length);
  const rowOf = new Map(Array.from(indices, (index, row) => [index, row]));
  for (const s of [...unit.top, ...unit.bottom]) {
    let best = -Infinity;
    const row = rowOf.get(s.index)!;
    for (let p = 0; p < positions; p++) best = Math.max(best, values[(row * positions + p) * units + units - 1]!);
    expect(Math.abs(s.value - best), `${kerasName} sample ${s.index}`).toBeLessThanOrEqual(1e-5);
  }
}

describe('a tfjs layers model saved by tfjs itself', () => {
  it('an MLP on the abs points: every unit of every layer as model.predict computes it, and its dead units', async () => {
    const model = tf.sequential({ name: 'abs_mlp' });
    model.add(tf.layers.dense({ inputShape: [2], units: 6, activation: 'relu', biasInitializer: tf.initializers.randomUniform({ minval: -1, maxval: 1, seed: 2 }), kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }) }));
    model.add(tf.layers.dense({ units: 4, activation: 'tanh' }));
    model.add(tf.layers.dropout({ rate: 0.3 }));
    model.add(tf.layers.dense({ units: 1 }));
    // One unit made dead: it never fires on this data (its bias far below any input's reach).
    const [kernel, bias] = model.layers[0]!.getWeights();
    const b = bias!.arraySync() as number[];
    b[5] = -100;
    model.layers[0]!.setWeights([kernel!, tf.tensor(b)]);
    const path = await saveByTfjs(model, 'abs-mlp');
    const run = await inspector.openModel(InspectOpenModelRequest.parse({ model: { kind: 'tfjs', path }, dataset: ABS }));

    expect(run.status).toBe('trained elsewhere');
    expect(run.outside?.file).toBe(path);
    expect(run.snapshots).toEqual([{ step: 0, epoch: 0 }]);
    expect(run.dataset.kind).toBe('points');
    expect(run.layers.map((l) => [l.type, l.activation])).toEqual([
      ['input', 'linear'],
      ['dense', 'relu'],
      ['dense', 'tanh'],
      ['dropout', 'linear'],
      ['dense', 'linear'],
    ]);
    const all = sampleIndices(run.dataset.count);
    const expected = await layerOutputs(model, ABS, all);
    for (const layer of model.layers) await agrees(run, expected, layer.name, all);

    const first = await inspector.inspectLayer('', run.runId, 0, model.layers[0]!.name);
    expect(first.units.active[5]).toBe(0);
    const dead = await inspector.inspectUnit('', run.runId, 0, model.layers[0]!.name, 5);
    expect(dead.histogram.zeros).toBe(300);
    expect(dead.diedAt).toBe(0);
    // The 2-D input plane works too.
    const surface = await inspector.inspectSurface('', run.runId, 0);
    expect(surface.units).toBe(6);
    model.dispose();
  });

  it('a CNN on MNIST (conv, batch norm, pooling, flatten, leaky ReLU, softmax): activations as model.predict, filters as images', async () => {
    const model = tf.sequential();
    model.add(tf.layers.conv2d({ inputShape: [28, 28, 1], filters: 3, kernelSize: 3, activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed: 4 }) }));
    model.add(tf.layers.batchNormalization());
    model.add(tf.layers.maxPooling2d({ poolSize: 2 }));
    model.add(tf.layers.flatten());
    model.add(tf.layers.dense({ units: 8, kernelInitializer: tf.initializers.glorotUniform({ seed: 5 }) }));
    model.add(tf.layers.leakyReLU({ alpha: 0.1 }));
    model.add(tf.layers.dense({ units: 10, activation: 'softmax', kernelInitializer: tf.initializers.glorotUniform({ seed: 6 }) }));
    // Batch-norm statistics other than 0 and 1, so that they are read from the file.
    const bn = model.layers[1]!;
    bn.setWeights([tf.tensor([1.5, 0.5, 2]), tf.tensor([0.1, -0.2, 0.3]), tf.tensor([0.05, 0.1, 0.2]), tf.tensor([0.2, 0.5, 1.5])]);
    const path = await saveByTfjs(model, 'mnist-cnn');
    const run = await inspector.openModel(InspectOpenModelRequest.parse({ model: { kind: 'tfjs', path }, dataset: MNIST, normalization: 'divide255' }));
    expect(run.dataset.kind).toBe('image');
    expect(run.layers.find((l) => l.type === 'conv2d')?.weightImages).toBe(true);
    // 8,000 training digits: the inspector's own pick of 200 keeps the test short on wasm.
    const picked = sampleIndices(run.dataset.count, 200);
    const expected = await layerOutputs(model, MNIST, picked, (v) => v / 255);
    for (const layer of model.layers) await agrees(run, expected, layer.name, picked, 200);
    const conv = await inspector.inspectLayer('', run.runId, 0, model.layers[0]!.name, 200);
    expect(conv.images?.count).toBe(3);
    const unit = await inspector.inspectUnit('', run.runId, 0, model.layers[0]!.name, 0, 200, 4);
    expect(unit.top[0]?.image?.width).toBe(28);
    model.dispose();
  });
});

describe('a Keras model as tensorflowjs_converter writes it', () => {
  it('Keras topology under model_config, weights under the model scope, two shards, a uint8-quantized kernel', async () => {
    const dir = join(root, 'converted');
    mkdirSync(dir, { recursive: true });
    // Quantized as the converter's --quantize_uint8 does: value = q · scale + min.
    const scale = 0.01;
    const min = -1.2;
    const q = Uint8Array.from([0, 40, 80, 120, 160, 200, 240, 255]);
    const bias = Float32Array.from([0.3, -0.1, 0.05, -80]);
    const out = Float32Array.from([1, -1, 0.5, 2]);
    const bytes = Buffer.concat([Buffer.from(q), Buffer.from(bias.buffer), Buffer.from(out.buffer), Buffer.from(Float32Array.of(0.25).buffer)]);
    // The converter splits weights into shards at a byte count, not at a tensor boundary.
    writeFileSync(join(dir, 'group1-shard1of2.bin'), bytes.subarray(0, 20));
    writeFileSync(join(dir, 'group1-shard2of2.bin'), bytes.subarray(20));
    const modelJson = {
      format: 'layers-model',
      generatedBy: 'keras v2.15.0',
      convertedBy: 'TensorFlow.js Converter v4.22.0',
      modelTopology: {
        keras_version: '2.15.0',
        backend: 'tensorflow',
        model_config: {
          class_name: 'Sequential',
          config: {
            name: 'sequential',
            layers: [
              { class_name: 'InputLayer', config: { batch_input_shape: [null, 2], dtype: 'float32', sparse: false, ragged: false, name: 'dense_input' } },
              { class_name: 'Dense', config: { name: 'dense', trainable: true, dtype: 'float32', units: 4, activation: 'relu', use_bias: true } },
              { class_name: 'Dense', config: { name: 'dense_1', trainable: true, dtype: 'float32', units: 1, activation: 'linear', use_bias: true } },
            ],
          },
        },
        training_config: { loss: 'mse' },
      },
      weightsManifest: [
        {
          paths: ['group1-shard1of2.bin', 'group1-shard2of2.bin'],
          weights: [
            { name: 'sequential/dense/kernel', shape: [2, 4], dtype: 'float32', quantization: { dtype: 'uint8', scale, min, original_dtype: 'float32' } },
            { name: 'sequential/dense/bias', shape: [4], dtype: 'float32' },
            { name: 'sequential/dense_1/kernel', shape: [4, 1], dtype: 'float32' },
            { name: 'sequential/dense_1/bias', shape: [1], dtype: 'float32' },
          ],
        },
      ],
    };
    writeFileSync(join(dir, 'model.json'), JSON.stringify(modelJson));
    const run = await inspector.openModel({ model: { kind: 'tfjs', path: join(dir, 'model.json') }, dataset: ABS });
    expect(run.layers.map((l) => l.name)).toEqual(['dense_input', 'dense', 'dense_1']);
    const view = await inspector.inspectLayer('', run.runId, 0, 'dense');
    expect(view.units.active[3]).toBe(0);
    const ds = await loadDataset(ABS as never);
    const x = ds.splits.train.x;
    const kernel = Array.from(q, (v) => v * scale + min);
    for (let u = 0; u < 4; u++) {
      let sum = 0;
      for (let i = 0; i < 300; i++) sum += Math.max(0, x[2 * i]! * kernel[u]! + x[2 * i + 1]! * kernel[4 + u]! + bias[u]!);
      expect(Math.abs(view.units.mean[u]! - sum / 300)).toBeLessThanOrEqual(1e-5);
    }
  });
});

describe('a safetensors file with a Trainbench spec', () => {
  it('opens over the spec’s own dataset, the same views', async () => {
    const dir = join(root, 'st');
    mkdirSync(dir, { recursive: true });
    const spec = { version: 1, name: 'from-pytorch', dataset: ABS, model: { layers: [{ type: 'dense', name: 'hidden', units: 3, activation: 'relu' }, { type: 'dense', name: 'out', units: 1 }] }, training: { loss: { type: 'mse' } } };
    writeFileSync(join(dir, 'spec.json'), JSON.stringify(spec));
    const kernel = Float32Array.from([1, -1, 0.5, 0.5, 1, -2]);
    writeFileSync(
      join(dir, 'weights.safetensors'),
      encodeSafetensors([
        { name: 'hidden/kernel', shape: [2, 3], data: kernel },
        { name: 'hidden/bias', shape: [3], data: Float32Array.from([0, 0, -50]) },
        { name: 'out/kernel', shape: [3, 1], data: Float32Array.from([1, 1, 1]) },
        { name: 'out/bias', shape: [1], data: Float32Array.from([0]) },
      ]),
    );
    const run = await inspector.openModel(InspectOpenModelRequest.parse({ model: { kind: 'safetensors', path: join(dir, 'weights.safetensors'), specPath: join(dir, 'spec.json') } }));
    expect(run.name).toBe('from-pytorch');
    expect(run.dataset.count).toBe(300);
    const layer = await inspector.inspectLayer('', run.runId, 0, 'hidden');
    expect(layer.units.active[2]).toBe(0);
    expect(layer.weights.find((w) => w.role === 'kernel')?.shape).toEqual([2, 3]);
    const ds = await loadDataset(ABS as never);
    const x = ds.splits.train.x;
    let sum = 0;
    for (let i = 0; i < 300; i++) sum += Math.max(0, x[2 * i]! * kernel[0]! + x[2 * i + 1]! * kernel[3]!);
    expect(Math.abs(layer.units.mean[0]! - sum / 300)).toBeLessThanOrEqual(1e-5);
  });
});

describe('refused, naming the file and the field', () => {
  let good: string;
  let manifestOf: () => Record<string, unknown>;
  beforeAll(async () => {
    const model = tf.sequential();
    model.add(tf.layers.dense({ inputShape: [2], units: 3, activation: 'relu' }));
    model.add(tf.layers.dense({ units: 1 }));
    good = await saveByTfjs(model, 'good');
    model.dispose();
    manifestOf = () => JSON.parse(readFileSync(good, 'utf8')) as Record<string, unknown>;
  });

  /** Writes a variant of the good model into its own folder (weights.bin copied unless `bin` says otherwise). */
  function variant(name: string, json: unknown, bin: Uint8Array | null = readFileSync(join(good, '..', 'weights.bin'))): string {
    const dir = join(root, name);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'model.json'), typeof json === 'string' ? json : JSON.stringify(json));
    if (bin) writeFileSync(join(dir, 'weights.bin'), bin);
    return join(dir, 'model.json');
  }

  const cases: { name: string; make: () => Promise<string> | string; error: RegExp; dataset?: DatasetRef }[] = [
    { name: 'not JSON', make: () => variant('bad-json', '{"modelTopology": '), error: /bad-json\/model\.json: cannot be read as JSON/ },
    { name: 'no weightsManifest', make: () => variant('no-manifest', { ...manifestOf(), weightsManifest: undefined }), error: /no-manifest\/model\.json: weightsManifest: / },
    { name: 'weights.bin missing', make: () => variant('no-bin', manifestOf(), null), error: /no-bin\/weights\.bin: missing: .*no-bin\/model\.json names it in weightsManifest\.0\.paths\.0/ },
    { name: 'weights.bin one float short', make: () => variant('short-bin', manifestOf(), readFileSync(join(good, '..', 'weights.bin')).subarray(4)), error: /weights\.bin: 48 bytes, but .*short-bin\/model\.json's weightsManifest\.0\.weights \(4 weights: .*\) need 52/ },
    {
      name: 'a weight path outside the folder',
      make: () => {
        const json = manifestOf() as { weightsManifest: { paths: string[] }[] };
        json.weightsManifest[0]!.paths = ['../good/weights.bin'];
        return variant('escape', json);
      },
      error: /weightsManifest\.0\.paths\.0 "\.\.\/good\/weights\.bin" is outside the model's folder/,
    },
    {
      name: 'a graph model',
      make: () => variant('graph', { ...manifestOf(), format: 'graph-model' }),
      error: /format is "graph-model"; only tfjs layers models/,
    },
    {
      name: 'an LSTM, named',
      make: async () => {
        const model = tf.sequential();
        model.add(tf.layers.lstm({ inputShape: [4, 2], units: 3, name: 'lstm_1' }));
        model.add(tf.layers.dense({ units: 1, activation: 'relu6', name: 'head' }));
        const path = await saveByTfjs(model, 'lstm');
        model.dispose();
        return path;
      },
      error: /lstm\/model\.json: unsupported layer LSTM 'lstm_1'; Dense 'head': unsupported activation 'relu6'/,
    },
    {
      name: 'input shape that does not fit the data',
      make: async () => {
        const model = tf.sequential();
        model.add(tf.layers.dense({ inputShape: [3], units: 2, name: 'wide' }));
        const path = await saveByTfjs(model, 'wrong-shape');
        model.dispose();
        return path;
      },
      error: /wrong-shape\/model\.json: the model does not fit .*inputs \[2\]/,
    },
    { name: 'no such file', make: () => join(root, 'nowhere', 'model.json'), error: /nowhere\/model\.json: no such file/ },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const path = await c.make();
      await expect(inspector.openModel(InspectOpenModelRequest.parse({ model: { kind: 'tfjs', path }, dataset: c.dataset ?? ABS }))).rejects.toThrow(c.error);
    });
  }

  it('a weight the manifest does not hold is named with what it holds', () => {
    const json = manifestOf() as { weightsManifest: { weights: { name: string }[] }[] };
    const renamed = json.weightsManifest[0]!.weights.map((w) => ({ ...w, name: w.name.replace('/bias', '/offset') }));
    json.weightsManifest[0]!.weights = renamed;
    const path = variant('renamed', json);
    return expect(inspector.openModel({ model: { kind: 'tfjs', path }, dataset: ABS })).rejects.toThrow(/renamed\/model\.json: weightsManifest: Dense '.*' has no bias \(no weight named ".*\/bias"\); its weights are /);
  });

  it('a safetensors file missing a tensor the spec needs', async () => {
    const dir = join(root, 'st-missing');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'spec.json'), JSON.stringify({ version: 1, dataset: ABS, model: { layers: [{ type: 'dense', name: 'h', units: 2 }] } }));
    writeFileSync(join(dir, 'w.safetensors'), encodeSafetensors([{ name: 'h/kernel', shape: [2, 2], data: new Float32Array(4) }]));
    await expect(inspector.openModel({ model: { kind: 'safetensors', path: join(dir, 'w.safetensors'), specPath: join(dir, 'spec.json') } })).rejects.toThrow(/no tensor "h\/bias"/);
    writeFileSync(join(dir, 'bad-spec.json'), JSON.stringify({ version: 1, dataset: ABS, model: { layers: [{ type: 'lstm', units: 2 }] } }));
    await expect(inspector.openModel({ model: { kind: 'safetensors', path: join(dir, 'w.safetensors'), specPath: join(dir, 'bad-spec.json') } })).rejects.toThrow(/bad-spec\.json: model\.layers\.0\.type: /);
  });
});

describe('files dropped on the page', () => {
  it('model.json + weights.bin open as by path; a missing file is named by its own name, not the folder it was put in', async () => {
    const model = tf.sequential();
    model.add(tf.layers.dense({ inputShape: [2], units: 3, activation: 'relu', name: 'h' }));
    model.add(tf.layers.dense({ units: 1 }));
    const path = await saveByTfjs(model, 'dropped');
    model.dispose();
    const json = new Uint8Array(readFileSync(path));
    const bin = new Uint8Array(readFileSync(join(path, '..', 'weights.bin')));
    const run = await inspector.openModel(InspectOpenModelRequest.parse({ model: { kind: 'files', files: [{ name: 'model.json', data: json }, { name: 'weights.bin', data: bin }] }, dataset: ABS }));
    expect(run.outside?.file).toBe('model.json');
    expect(run.layers.map((l) => l.name)).toContain('h');
    await expect(inspector.openModel(InspectOpenModelRequest.parse({ model: { kind: 'files', files: [{ name: 'model.json', data: json }] }, dataset: ABS }))).rejects.toThrow(/^weights\.bin: missing: model\.json names it in weightsManifest\.0\.paths\.0/);
    expect(InspectOpenModelRequest.safeParse({ model: { kind: 'files', files: [{ name: '../model.json', data: json }] } }).success).toBe(false);
  });
});

describe('over a dataset loaded on the Data screen', () => {
  it('takes the engine-held dataset by id, uploads included (they are not on disk)', async () => {
    const dataset = await loadDataset(ABS as never);
    const withLoaded = new Inspector((id) => (id === 'ds-1' ? { dataset, origin: { kind: 'upload', name: 'points.csv' } } : null));
    try {
      const model = tf.sequential();
      model.add(tf.layers.dense({ inputShape: [2], units: 2, activation: 'relu' }));
      model.add(tf.layers.dense({ units: 1 }));
      const path = await saveByTfjs(model, 'over-loaded');
      model.dispose();
      const run = await withLoaded.openModel({ model: { kind: 'tfjs', path }, dataset: { kind: 'loaded', id: 'ds-1' } });
      expect(run.dataset.count).toBe(300);
      expect(run.dataset.origin).toMatch(/loaded as/);
      const layer = run.layers.find((l) => l.type === 'dense')!;
      expect((await withLoaded.inspectLayer('', run.runId, 0, layer.name)).units.samples).toBe(300);
      await expect(withLoaded.openModel({ model: { kind: 'tfjs', path }, dataset: { kind: 'loaded', id: 'gone' } })).rejects.toThrow(/no dataset "gone" is loaded in this engine/);
    } finally {
      withLoaded.dispose();
    }
  });
});

describe('Keras topologies as tensorflowjs_converter writes them', () => {
  it('a Keras 2 functional chain under model_config, with an InputLayer', () => {
    const topology = {
      keras_version: '2.15.0',
      backend: 'tensorflow',
      model_config: {
        class_name: 'Functional',
        config: {
          name: 'model',
          layers: [
            { class_name: 'InputLayer', name: 'input_1', config: { batch_input_shape: [null, 784], dtype: 'float32', name: 'input_1' }, inbound_nodes: [] },
            { class_name: 'Dense', name: 'dense', config: { name: 'dense', units: 16, activation: 'selu', use_bias: true }, inbound_nodes: [[['input_1', 0, 0, {}]]] },
            { class_name: 'Dense', name: 'dense_1', config: { name: 'dense_1', units: 10, activation: 'softmax', use_bias: false }, inbound_nodes: [[['dense', 0, 0, {}]]] },
          ],
        },
      },
    };
    const mapped = mapKerasTopology(topology);
    expect(mapped.inputShape).toEqual([784]);
    expect(mapped.layers.map((l) => l.layer)).toEqual([
      { type: 'input', name: 'input_1', shape: [784] },
      { type: 'dense', name: 'dense', units: 16, activation: 'selu', useBias: true },
      { type: 'dense', name: 'dense_1', units: 10, activation: 'softmax', useBias: false },
    ]);
  });

  it('a functional model that is not a chain is refused, naming the layer', () => {
    const topology = {
      class_name: 'Functional',
      config: {
        layers: [
          { class_name: 'InputLayer', name: 'in', config: { batch_shape: [null, 2], name: 'in' }, inbound_nodes: [] },
          { class_name: 'Dense', name: 'a', config: { name: 'a', units: 2 }, inbound_nodes: [[['in', 0, 0, {}]]] },
          { class_name: 'Add', name: 'add', config: { name: 'add' }, inbound_nodes: [[['in', 0, 0, {}], ['a', 0, 0, {}]]] },
        ],
      },
    };
    expect(() => mapKerasTopology(topology)).toThrow(/layer Add 'add' takes 'in', 'a', not just 'a'.*unsupported layer Add 'add'/);
  });
});
