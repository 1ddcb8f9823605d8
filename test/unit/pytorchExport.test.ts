// The PyTorch export against a real PyTorch (Debian's python3-torch, which .ci/run installs):
// the exported network, given Trainbench's weights, gives Trainbench's outputs on the probe
// batch; seed N initialises as Trainbench's seed N does; weights go to torch and back as
// safetensors bit for bit. Skips, saying why, where no Python has torch.
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Spec, type SpecInput } from '@contract';
import { registerWasmGradientKernels } from '../../src-main/engine/backend/wasmGradients';
import { loadPresets } from '../../src-main/engine/presets';
import { builtinData } from '../../src-main/engine/training/builtinData';
import { pytorchExportFiles, writeExportFiles } from '../../src-main/engine/export/pytorchExport';
import { ExportRefused } from '../../src-main/engine/export/pytorchScript';
import { readNpz } from '../../src-main/engine/datasets';
import { decodeSafetensors } from '../../src-main/engine/runs/safetensors';
import { imageData } from '../support/data';
import { TEST_ORIGIN, compareWithTorch, torchPython, trainbenchSide } from '../support/torchExport';

const found = torchPython();
if ('missing' in found) console.warn(`skipping the PyTorch export checks: ${found.missing}`);
const withTorch = 'python' in found ? describe : describe.skip;
const ORIGIN = TEST_ORIGIN;
const dirs: string[] = [];

beforeAll(async () => {
  registerWasmGradientKernels(tf);
  await tf.setBackend('wasm');
  await tf.ready();
});
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

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
      const result = compareWithTorch(spec, data, side, name !== 'mnist-mlp');
      expect(result.outputDiff).toBeLessThanOrEqual(1e-4);
      expect(result.roundTrip).toBe(true);
      if (result.initDiff !== null) expect(result.initDiff).toBeLessThanOrEqual(1e-6);
    }, 180_000);
  }

  it('every palette layer and initialiser: outputs and the seed initialisation match', () => {
    const spec = Spec.parse(PALETTE);
    const data = imageData(48, [9, 9, 2], 3, 1);
    const side = trainbenchSide(spec, data);
    const result = compareWithTorch(spec, data, side, true);
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
