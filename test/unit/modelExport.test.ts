import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { Spec, type Snapshot, type SpecInput } from '@contract';
import { Network } from '../../src-main/engine/training/network';
import { inferShapes } from '@contract';
import { exportFinalModel, folderModelHandler } from '../../src-main/engine/runs/modelExport';
import { registerWasmGradientKernels } from '../../src-main/engine/backend/wasmGradients';

beforeAll(async () => {
  registerWasmGradientKernels(tf);
  await tf.setBackend('wasm');
  await tf.ready();
});

/** Our own network's weights as a snapshot, and its predictions on `x`. */
async function ourNetwork(spec: Spec, inputShape: number[], x: tf.Tensor): Promise<{ snapshot: Snapshot; predictions: Float32Array }> {
  const network = Network.build(spec, inferShapes(spec, { inputShape, task: 'classification', outputs: 3 }));
  const tensors: Snapshot['tensors'] = [];
  for (const layer of network.layers) {
    for (const { role, variable } of layer.variables) {
      // Moving statistics away from 0 and 1, so that a mix-up between them shows.
      const data = (await variable.data()) as Float32Array;
      if (role === 'movingMean') data.fill(0.25);
      if (role === 'movingVariance') data.fill(2);
      if (role === 'movingMean' || role === 'movingVariance') variable.assign(tf.tensor(data, variable.shape));
      tensors.push({ layer: layer.name, role, shape: variable.shape, data });
    }
  }
  const out = tf.tidy(() => network.forward(x, { training: false }));
  const predictions = (await out.data()) as Float32Array;
  out.dispose();
  network.dispose();
  return { snapshot: { jobId: 'job-1', step: 12, epoch: 1, tensors }, predictions };
}

const cases: { title: string; spec: SpecInput; inputShape: number[] }[] = [
  {
    title: 'an MLP with leakyRelu, dropout and gelu',
    inputShape: [2],
    spec: {
      version: 1,
      name: 'mlp',
      dataset: { kind: 'builtin', name: 'abs' },
      model: { layers: [{ type: 'dense', units: 5, activation: 'leakyRelu', alpha: 0.2 }, { type: 'dropout', rate: 0.3 }, { type: 'dense', units: 4, activation: 'gelu' }, { type: 'dense', units: 3, activation: 'softmax' }] },
    },
  },
  {
    title: 'a CNN with batch normalisation and pooling',
    inputShape: [6, 6, 1],
    spec: {
      version: 1,
      name: 'cnn',
      dataset: { kind: 'builtin', name: 'abs' },
      model: {
        layers: [
          { type: 'input', shape: [6, 6, 1] },
          { type: 'conv2d', filters: 2, kernelSize: 3, padding: 'same', activation: 'relu' },
          { type: 'batchNormalization' },
          { type: 'maxPooling2d', poolSize: 2 },
          { type: 'flatten' },
          { type: 'dense', units: 3, activation: 'tanh' },
        ],
      },
    },
  },
];

describe('model export in tfjs layers format', () => {
  for (const { title, spec: input, inputShape } of cases) {
    it(`${title}: loads back with tf.loadLayersModel and predicts as our network does`, async () => {
      const spec = Spec.parse(input);
      const x = tf.randomUniform([4, ...inputShape], -1, 1, 'float32', 7);
      const { snapshot, predictions } = await ourNetwork(spec, inputShape, x);
      const runDir = mkdtempSync(join(tmpdir(), 'tb-model-'));
      const outcome = await exportFinalModel(runDir, spec, inputShape, snapshot);
      expect(outcome).toEqual({ written: true, path: 'model/model.json', reason: null });
      expect(readdirSync(runDir)).toEqual(['model']);
      expect(readdirSync(join(runDir, 'model')).sort()).toEqual(['model.json', 'weights.bin']);
      const json = JSON.parse(readFileSync(join(runDir, 'model', 'model.json'), 'utf8')) as { format: string; weightsManifest: { paths: string[] }[] };
      expect(json.format).toBe('layers-model');
      expect(json.weightsManifest[0]!.paths).toEqual(['weights.bin']);

      const loaded = await tf.loadLayersModel(folderModelHandler(join(runDir, 'model')));
      const theirs = loaded.predict(x) as tf.Tensor;
      const values = (await theirs.data()) as Float32Array;
      expect(values.length).toBe(predictions.length);
      for (let i = 0; i < values.length; i++) expect(values[i]).toBeCloseTo(predictions[i]!, 5);
      theirs.dispose();
      loaded.dispose();
      x.dispose();
    });
  }

  it('writes no model when a weight is NaN, and says which', async () => {
    const spec = Spec.parse(cases[0]!.spec);
    const x = tf.zeros([1, 2]);
    const { snapshot } = await ourNetwork(spec, [2], x);
    x.dispose();
    snapshot.tensors[2]!.data[1] = Number.NaN;
    const runDir = mkdtempSync(join(tmpdir(), 'tb-model-'));
    const before = tf.memory().numTensors;
    const outcome = await exportFinalModel(runDir, spec, [2], snapshot);
    expect(outcome.written).toBe(false);
    expect(outcome.reason).toMatch(/step 12 .*dense_2\/kernel holds NaN/);
    expect(existsSync(join(runDir, 'model'))).toBe(false);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('leaves no tensor behind after a successful export', async () => {
    const spec = Spec.parse(cases[1]!.spec);
    const x = tf.zeros([1, 6, 6, 1]);
    const { snapshot } = await ourNetwork(spec, [6, 6, 1], x);
    x.dispose();
    const before = tf.memory().numTensors;
    await exportFinalModel(mkdtempSync(join(tmpdir(), 'tb-model-')), spec, [6, 6, 1], snapshot);
    expect(tf.memory().numTensors).toBe(before);
  });
});
