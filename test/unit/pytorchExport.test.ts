// The PyTorch export against a real PyTorch (Debian's python3-torch, which .ci/run installs):
// the exported network, given Trainbench's weights, gives Trainbench's outputs on the probe
// batch; seed N initialises as Trainbench's seed N does; weights go to torch and back as
// safetensors bit for bit. Skips, saying why, where no Python has torch.
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Spec, inferShapes, type SpecInput } from '@contract';
import { registerWasmGradientKernels } from '../../src-main/engine/backend/wasmGradients';
import { loadPresets } from '../../src-main/engine/presets';
import { builtinData } from '../../src-main/engine/training/builtinData';
import { Network } from '../../src-main/engine/training/network';
import { mulberry32, shuffleInPlace, type TrainingData } from '../../src-main/engine/training/trainingData';
import { pytorchExportFiles, writeExportFiles } from '../../src-main/engine/export/pytorchExport';
import { ExportRefused } from '../../src-main/engine/export/pytorchScript';
import { encodeNpz } from '../../src-main/engine/export/npz';
import { parseNpy, readNpz } from '../../src-main/engine/datasets';
import { decodeSafetensors } from '../../src-main/engine/runs/safetensors';
import { imageData } from '../support/data';

/** An interpreter with torch and numpy: Debian's first (the python3 on PATH may be another), or why there is none. */
function torchPython(): { python: string } | { missing: string } {
  for (const python of ['/usr/bin/python3', 'python3']) {
    const r = spawnSync(python, ['-c', 'import torch, numpy'], { encoding: 'utf8' });
    if (r.status === 0) return { python };
  }
  return { missing: 'no Python with torch and numpy (/usr/bin/python3 or python3 on PATH): apt-get install -y python3-torch' };
}

const found = torchPython();
if ('missing' in found) console.warn(`skipping the PyTorch export checks: ${found.missing}`);
const withTorch = 'python' in found ? describe : describe.skip;

const ORIGIN = { source: 'test', data: 'test data', trainbenchVersion: 'test' };
const dirs: string[] = [];

beforeAll(async () => {
  registerWasmGradientKernels(tf);
  await tf.setBackend('wasm');
  await tf.ready();
});
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

type Tensors = Map<string, { shape: number[]; data: Float32Array }>;

function tensorsOf(net: Network): Tensors {
  const out: Tensors = new Map();
  for (const layer of net.layers) for (const { role, variable } of layer.variables) out.set(`${layer.name}/${role}`, { shape: variable.shape, data: variable.dataSync() as Float32Array });
  return out;
}

/** Trainbench's probe batch (trainer.ts makeProbe): the first probeSize rows of a seeded permutation. */
function probeBatch(spec: Spec, data: TrainingData): { x: Float32Array; shape: number[] } {
  const count = Math.min(spec.monitor.probeSize, data.train.count);
  const order = shuffleInPlace(Int32Array.from({ length: data.train.count }, (_, i) => i), mulberry32(spec.training.seed ^ 0x9e37));
  const size = data.inputShape.reduce((a, b) => a * b, 1);
  const x = new Float32Array(count * size);
  const y = data.task === 'classification' ? new Int32Array(count) : new Float32Array(count * data.outputs);
  data.train.fill(order.subarray(0, count), x, y);
  return { x, shape: [count, ...data.inputShape] };
}

const maxAbsDiff = (a: Float32Array, b: Float32Array): number => {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
  return worst;
};

interface Compared {
  outputDiff: number;
  initDiff: number | null;
  roundTrip: boolean;
}

/**
 * Exports `spec` with `weights`, runs the script's network on the probe batch in torch, and
 * compares with tfjs's output; also compares the script's seed initialisation with `initial`.
 */
function compare(spec: Spec, data: TrainingData, initial: Tensors | null, weights: Tensors, expected: Float32Array, probe: { x: Float32Array; shape: number[] }): Compared {
  const dir = mkdtempSync(join(tmpdir(), 'tb-torch-'));
  dirs.push(dir);
  writeExportFiles(dir, pytorchExportFiles(spec, data, ORIGIN, { tensors: weights, label: 'test' }));
  writeFileSync(join(dir, 'probe.npz'), encodeNpz([{ name: 'x', shape: probe.shape, values: probe.x }]));
  const driver = `
import sys, numpy as np, torch
sys.path.insert(0, ".")
import train
net = train.Network()
net.load_trainbench(train.read_weights("weights.npz"))
net.eval()
with torch.no_grad():
    out = net(torch.from_numpy(np.load("probe.npz")["x"])).numpy()
np.save("out.npy", out.astype(np.float32))
train.save_safetensors("roundtrip.safetensors", net.trainbench_tensors(), {"step": 0})
if ${initial ? 'True' : 'False'}:
    fresh = train.Network()
    fresh.initialise(${spec.training.seed})
    train.save_safetensors("init.safetensors", fresh.trainbench_tensors(), {})
`;
  const r = spawnSync((found as { python: string }).python, ['-c', driver], { cwd: dir, encoding: 'utf8', timeout: 120_000 });
  if (r.status !== 0) throw new Error(`the exported network failed in torch (${r.status}): ${r.stderr}`);
  const out = parseNpy('out.npy', new Uint8Array(readFileSync(join(dir, 'out.npy'))));
  const outputDiff = maxAbsDiff(out.values as Float32Array, expected);
  const back = decodeSafetensors(new Uint8Array(readFileSync(join(dir, 'roundtrip.safetensors')))).tensors;
  let roundTrip = back.size === weights.size;
  for (const [name, t] of weights) {
    const got = back.get(name);
    roundTrip &&= !!got && JSON.stringify(got.shape) === JSON.stringify(t.shape) && Buffer.from(got.data.buffer, got.data.byteOffset, got.data.byteLength).equals(Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength));
  }
  let initDiff: number | null = null;
  if (initial) {
    const init = decodeSafetensors(new Uint8Array(readFileSync(join(dir, 'init.safetensors')))).tensors;
    initDiff = 0;
    for (const [name, t] of initial) initDiff = Math.max(initDiff, maxAbsDiff(init.get(name)!.data, t.data));
  }
  return { outputDiff, initDiff, roundTrip };
}

/**
 * Builds the spec's network in tfjs from its seed, keeps those weights, then moves every weight
 * by a seeded amount (biases and batch-norm statistics start at 0 and 1, which would hide a
 * layout error), and runs the probe batch in inference mode.
 */
function trainbenchSide(spec: Spec, data: TrainingData): { initial: Tensors; weights: Tensors; expected: Float32Array; probe: { x: Float32Array; shape: number[] } } {
  const report = inferShapes(spec, { inputShape: data.inputShape, task: data.task, outputs: data.outputs });
  const net = Network.build(spec, report);
  try {
    const initial = tensorsOf(net);
    const random = mulberry32(7);
    for (const layer of net.layers) {
      for (const { role, variable } of layer.variables) {
        const values = Float32Array.from(variable.dataSync() as Float32Array, (v) => (role === 'movingVariance' ? v + random() : v + (random() - 0.5) * 0.2));
        tf.tidy(() => variable.assign(tf.tensor(values, variable.shape)));
      }
    }
    const weights = tensorsOf(net);
    const probe = probeBatch(spec, data);
    const expected = tf.tidy(() => net.forward(tf.tensor(probe.x, probe.shape), { training: false }).dataSync() as Float32Array);
    return { initial, weights, expected, probe };
  } finally {
    net.dispose();
  }
}

/** Every layer of the palette and each initialiser, on small images. */
const PALETTE: SpecInput = {
  version: 1,
  name: 'palette',
  dataset: { kind: 'builtin', name: 'abs' },
  model: {
    layers: [
      { type: 'conv2d', filters: 4, kernelSize: 3, strides: 2, padding: 'same', activation: 'leakyRelu', alpha: 0.2, kernelInitializer: 'glorotNormal', biasInitializer: { type: 'randomUniform', min: -0.1, max: 0.1 } },
      { type: 'batchNormalization', momentum: 0.9 },
      { type: 'averagePooling2d', poolSize: 2, strides: 1, padding: 'same' },
      { type: 'maxPooling2d', poolSize: 3, strides: 2, padding: 'same' },
      { type: 'activation', activation: 'elu' },
      { type: 'conv2d', filters: 5, kernelSize: [2, 1], activation: 'selu', kernelInitializer: 'heUniform', biasInitializer: { type: 'randomNormal', stddev: 0.1 } },
      { type: 'averagePooling2d', poolSize: 1 },
      { type: 'flatten' },
      { type: 'dense', units: 8, activation: 'gelu', kernelInitializer: 'lecunNormal' },
      { type: 'dropout', rate: 0.3 },
      { type: 'dense', units: 6, activation: 'swish', kernelInitializer: 'glorotUniform', useBias: false },
      { type: 'batchNormalization' },
      { type: 'activation', activation: 'tanh' },
      { type: 'dense', units: 5, activation: 'softplus', kernelInitializer: { type: 'randomNormal', mean: 0.1, stddev: 0.3 } },
      { type: 'dense', units: 4, activation: 'sigmoid', kernelInitializer: 'heNormal' },
      { type: 'dense', units: 3, activation: 'linear' },
      { type: 'activation', activation: 'softmax' },
    ],
  },
  training: { optimizer: { type: 'momentum', learningRate: 0.05, nesterov: true }, loss: { type: 'sparseCategoricalCrossentropy' }, batchSize: 16, epochs: 2, seed: 5 },
  monitor: { probeSize: 32 },
};

withTorch('PyTorch export (python3-torch)', () => {
  const presets = new Map(loadPresets().map((p) => [p.name, p.spec]));

  for (const name of ['relu-abs', 'mnist-mlp', 'mnist-cnn']) {
    it(`${name}: the same weights give the same outputs on the probe batch, and weights round-trip`, () => {
      const spec = presets.get(name)!;
      const data = builtinData(spec);
      const side = trainbenchSide(spec, data);
      // The MLP's initialisation is the CNN's code path, 2 million values slower in Python.
      const result = compare(spec, data, name === 'mnist-mlp' ? null : side.initial, side.weights, side.expected, side.probe);
      expect(result.outputDiff).toBeLessThanOrEqual(1e-4);
      expect(result.roundTrip).toBe(true);
      if (result.initDiff !== null) expect(result.initDiff).toBeLessThanOrEqual(1e-6);
    }, 180_000);
  }

  it('every palette layer and initialiser: outputs and the seed initialisation match', () => {
    const spec = Spec.parse(PALETTE);
    const data = imageData(48, [9, 9, 2], 3, 1);
    const side = trainbenchSide(spec, data);
    const result = compare(spec, data, side.initial, side.weights, side.expected, side.probe);
    expect(result.outputDiff).toBeLessThanOrEqual(1e-4);
    expect(result.initDiff).toBeLessThanOrEqual(1e-6);
    expect(result.roundTrip).toBe(true);
  }, 120_000);

  it('the exported script trains and reports one JSON document (relu-abs, 30 epochs)', () => {
    const spec = presets.get('relu-abs')!;
    const dir = mkdtempSync(join(tmpdir(), 'tb-torch-'));
    dirs.push(dir);
    writeExportFiles(dir, pytorchExportFiles(spec, builtinData(spec), ORIGIN));
    const r = spawnSync((found as { python: string }).python, [join(dir, 'train.py'), '--epochs', '30', '--seed', '3', '--json', '--save-safetensors', join(dir, 'out.safetensors')], { encoding: 'utf8', timeout: 120_000 });
    expect(r.status, r.stderr).toBe(0);
    const result = JSON.parse(r.stdout) as { seed: number; epochs: number; steps: number; loss: number; success: boolean };
    expect(result).toMatchObject({ seed: 3, epochs: 30, steps: 30, success: false });
    expect(Number.isFinite(result.loss)).toBe(true);
    expect(r.stderr).toContain('epoch 30/30');
    const saved = decodeSafetensors(new Uint8Array(readFileSync(join(dir, 'out.safetensors'))));
    expect([...saved.tensors.keys()].sort()).toEqual(['dense_1/bias', 'dense_1/kernel', 'dense_2/bias', 'dense_2/kernel']);
    expect(saved.metadata).toMatchObject({ step: '30', epoch: '29' });
  }, 120_000);
});

describe('PyTorch export without PyTorch', () => {
  const base = Spec.parse({ version: 1, dataset: { kind: 'builtin', name: 'xor' }, model: { layers: [{ type: 'dense', units: 2, activation: 'softmax' }] } });
  const data = builtinData(base);
  for (const type of ['rmsprop', 'adamax', 'adagrad', 'adadelta'] as const) {
    it(`refuses ${type} by name, saying how tfjs and torch differ`, () => {
      const spec = Spec.parse({ ...base, training: { ...base.training, optimizer: { type } } });
      let error: unknown;
      try {
        pytorchExportFiles(spec, data, ORIGIN);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(ExportRefused);
      expect((error as Error).message).toMatch(new RegExp(`^training\\.optimizer "${type}": tfjs `));
    });
  }

  it('data.npz holds the samples as training sees them, readable by our own npz reader', async () => {
    const spec = loadPresets().find((p) => p.name === 'mnist-cnn')!.spec;
    const mnist = builtinData(spec);
    const files = pytorchExportFiles(spec, mnist, ORIGIN);
    const dir = mkdtempSync(join(tmpdir(), 'tb-torch-'));
    dirs.push(dir);
    writeExportFiles(dir, files);
    const arrays = await readNpz(join(dir, 'data.npz'));
    expect([...arrays.keys()].sort()).toEqual(['x_test', 'x_train', 'y_test', 'y_train']);
    expect(arrays.get('x_train')!.shape).toEqual([8000, 28, 28, 1]);
    expect(arrays.get('y_test')!.descr).toBe('<i4');
    const x = new Float32Array(784);
    const y = new Int32Array(1);
    mnist.test!.fill([5], x, y);
    expect(Array.from((arrays.get('x_test')!.values as Float32Array).subarray(5 * 784, 6 * 784))).toEqual(Array.from(x));
    expect(arrays.get('y_test')!.values[5]).toBe(y[0]);
  });
});
