/**
 * Data-parallel training steps (dataParallel.ts, replica.ts) on real tfjs with the built kernel
 * worker (out/main/kernelWorker.js, from `npm run build`): which specs split, the parts' sum
 * against the whole batch's gradient, the same float32 numbers whether the parts run on the
 * worker or one after another here, a reproducible and leak-free trainer, malformed replica
 * messages named, and a failing worker costing nothing but the threads.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Spec, type SpecInput } from '@contract';
import { inferShapes } from '@contract/specShapes';
import { KernelThreads, registerWasmGradientKernels, splitWasmKernels } from '../../src-main/engine/backend/wasmGradients';
import { ThreadFailure } from '../../src-main/engine/backend/wasm/batchSplit';
import { DataParallel, dataParallelPlan } from '../../src-main/engine/training/dataParallel';
import { Network } from '../../src-main/engine/training/network';
import { partGradients, runReplicaTask } from '../../src-main/engine/training/replica';
import { Trainer } from '../../src-main/engine/training/trainer';
import { imageData } from '../support/data';
import { ROOT } from '../support/engine';

const WORKER = join(ROOT, 'out', 'main', 'kernelWorker.js');
let threads: KernelThreads;

beforeAll(async () => {
  if (!existsSync(WORKER)) throw new Error(`${WORKER} is missing: run \`npm run build\` first (npm test does)`);
  registerWasmGradientKernels(tf);
  await tf.setBackend('wasm');
  await tf.ready();
  threads = await KernelThreads.start(WORKER, 1);
  splitWasmKernels(tf, threads);
});
afterAll(async () => {
  await threads?.terminate();
});

const CNN: SpecInput['model']['layers'] = [
  { type: 'conv2d', filters: 8, kernelSize: 3, padding: 'same', activation: 'relu' },
  { type: 'maxPooling2d', poolSize: 2 },
  { type: 'conv2d', filters: 16, kernelSize: 3, padding: 'same', activation: 'relu' },
  { type: 'maxPooling2d', poolSize: 2 },
  { type: 'flatten' },
  { type: 'dense', units: 10 },
];

function spec(layers: SpecInput['model']['layers'], batchSize = 64, epochs = 1): Spec {
  return Spec.parse({
    version: 1,
    dataset: { kind: 'builtin', name: 'mnist' },
    model: { layers },
    training: { optimizer: { type: 'adam', learningRate: 0.001 }, loss: { type: 'sparseCategoricalCrossentropy', fromLogits: true }, batchSize, epochs, seed: 3 },
    monitor: { probeEvery: 5, probeSize: 16 },
  });
}

const data = imageData(256, [28, 28, 1], 10, 1);
const target = { task: 'classification' as const, outputs: 10 };

function setup(layers = CNN, batch = 64): { s: Spec; network: Network; dp: DataParallel } {
  const s = spec(layers, batch);
  const report = inferShapes(s, { inputShape: data.inputShape, task: 'classification', outputs: 10 });
  const network = Network.build(s, report);
  const dp = DataParallel.create(network, s, report, target, data.inputShape, batch);
  if (!dp) throw new Error('data parallelism did not apply to the test CNN');
  return { s, network, dp };
}

/** [loss, accuracy, every gradient] of one data-parallel step, read back. */
function stepValues(dp: DataParallel, indices: Int32Array, network: Network): Float32Array[] {
  return tf.tidy(() => {
    const parts = dp.gradients(data.train, indices, 7);
    if (!parts) throw new Error('the batch did not split');
    return [parts.loss.dataSync() as Float32Array, parts.accuracy.dataSync() as Float32Array, ...network.trainableVariables().map((v) => parts.grads[v.name]!.dataSync() as Float32Array)];
  });
}

describe('data-parallel training steps', () => {
  it('applies to conv nets with work enough per weight, and says why not otherwise', () => {
    const plan = (layers: SpecInput['model']['layers'], batch: number, count = 2): { parts: number; reason: string | null } => {
      const s = spec(layers, batch);
      return dataParallelPlan(s, inferShapes(s, { inputShape: [28, 28, 1], task: 'classification', outputs: 10 }), batch, count);
    };
    expect(plan(CNN, 64)).toEqual({ parts: 2, reason: null });
    expect(plan(CNN, 64, 4)).toEqual({ parts: 4, reason: null });
    expect(plan(CNN, 64, 1)).toEqual({ parts: 1, reason: 'one thread' });
    expect(plan(CNN, 2).reason).toMatch(/too small/);
    expect(plan([{ type: 'flatten' }, { type: 'dense', units: 1000, activation: 'relu' }, { type: 'dense', units: 10 }], 128).reason).toMatch(/work per weight/);
    expect(plan([{ type: 'batchNormalization' }, ...CNN], 64).reason).toMatch(/batch normalisation/);
  });

  it('adds the parts into the whole batch’s loss and gradient, the same numbers on the worker or here', () => {
    const { s, network, dp } = setup();
    const indices = Int32Array.from({ length: 63 }, (_, i) => (i * 37) % 256); // uneven parts: 31 + 32
    const onWorker = stepValues(dp, indices, network);
    dp.mode = 'here';
    const here = stepValues(dp, indices, network);
    dp.mode = 'auto';
    expect(dp.parallelSteps).toBe(1);
    expect(dp.sequentialSteps).toBe(1);
    here.forEach((values, i) => expect(Array.from(values)).toEqual(Array.from(onWorker[i]!)));
    const whole = tf.tidy(() => {
      const x = new Float32Array(indices.length * 784);
      const y = new Int32Array(indices.length);
      data.train.fill(indices, x, y);
      const result = partGradients(network, s, target, network.trainableVariables(), tf.tensor(x, [indices.length, 28, 28, 1]), tf.tensor1d(y, 'int32'), 7);
      return [result.loss.dataSync() as Float32Array, result.accuracy.dataSync() as Float32Array, ...network.trainableVariables().map((v) => result.grads[v.name]!.dataSync() as Float32Array)];
    });
    whole.forEach((values, i) => {
      const scale = Math.max(...Array.from(values, Math.abs));
      values.forEach((v, j) => expect(Math.abs(v - onWorker[i]![j]!)).toBeLessThanOrEqual(1e-5 * scale + 1e-7));
    });
    expect(onWorker[2]!.some((v) => v !== 0)).toBe(true);
    dp.dispose();
    network.dispose();
  });

  it('splits regression targets too (MSE on two outputs), on the whole batch’s gradient to rounding', () => {
    const n = 40;
    const images = imageData(n, [28, 28, 1], 10, 4);
    const regression: typeof data = {
      name: 'regression',
      inputShape: [28, 28, 1],
      task: 'regression',
      outputs: 2,
      train: {
        count: n,
        fill(indices, x, y) {
          const labels = new Int32Array(indices.length);
          images.train.fill(indices, x, labels);
          for (let k = 0; k < indices.length; k++) (y[2 * k] = labels[k]! / 10), (y[2 * k + 1] = x[k * 784 + 300]!);
        },
      },
    };
    const s = Spec.parse({ ...spec(CNN.slice(0, -1).concat([{ type: 'dense', units: 2 }]), 40), training: { ...spec(CNN, 40).training, loss: { type: 'mse' } } });
    const report = inferShapes(s, { inputShape: [28, 28, 1], task: 'regression', outputs: 2 });
    const network = Network.build(s, report);
    const regressionTarget = { task: 'regression' as const, outputs: 2 };
    const dp = DataParallel.create(network, s, report, regressionTarget, [28, 28, 1], 40);
    expect(dp).not.toBeNull();
    const indices = Int32Array.from({ length: n }, (_, i) => i);
    const [split, whole] = tf.tidy(() => {
      const parts = dp!.gradients(regression.train, indices, 0)!;
      const x = new Float32Array(n * 784);
      const y = new Float32Array(n * 2);
      regression.train.fill(indices, x, y);
      const one = partGradients(network, s, regressionTarget, network.trainableVariables(), tf.tensor(x, [n, 28, 28, 1]), tf.tensor2d(y, [n, 2]), 0);
      const read = (g: typeof parts): number[] => [g.loss.dataSync()[0]!, g.accuracy.dataSync()[0]!, ...network.trainableVariables().flatMap((v) => Array.from(g.grads[v.name]!.dataSync()))];
      return [read(parts), read(one)];
    });
    expect(split[1]).toBeNaN();
    const scale = Math.max(...whole.map((v) => (Number.isNaN(v) ? 0 : Math.abs(v))));
    whole.forEach((v, i) => (Number.isNaN(v) ? expect(split[i]).toBeNaN() : expect(Math.abs(v - split[i]!)).toBeLessThanOrEqual(1e-5 * scale + 1e-7)));
    dp!.dispose();
    network.dispose();
  });

  it('trains reproducibly, on the one-thread losses to rounding (dropout included), without leaking tensors', async () => {
    const layers: SpecInput['model']['layers'] = [...CNN.slice(0, 4), { type: 'dropout', rate: 0.25 }, ...CNN.slice(4)];
    const run = async (mode: DataParallel['mode'] = 'auto'): Promise<{ losses: (number | null)[]; tensors: number[]; parallel: number }> => {
      const losses: (number | null)[] = [];
      const tensors: number[] = [];
      const trainer = new Trainer('dp', spec(layers, 64, 3), data, 'wasm', {
        onStep: (p) => losses.push(p.loss),
        onEpoch: () => tensors.push(tf.memory().numTensors),
        onProbe: () => undefined,
        onSnapshot: () => undefined,
        onNonFinite: () => undefined,
        onStatus: () => undefined,
      });
      const dp = (trainer as unknown as { parallel: DataParallel | null }).parallel;
      if (dp) dp.mode = mode;
      await trainer.run();
      return { losses, tensors, parallel: (dp?.parallelSteps ?? 0) + (dp?.sequentialSteps ?? 0) };
    };
    const a = await run('workers');
    const b = await run('here');
    expect(a.parallel).toBe(12);
    expect(a.losses).toHaveLength(12);
    expect(b.losses).toEqual(a.losses);
    expect(a.losses.at(-1)!).toBeLessThan(a.losses[0]!);
    expect(a.tensors[2]).toBe(a.tensors[1]);
    // One thread, whole batches: the same dropout masks, so the same losses to rounding.
    DataParallel.enabled = false;
    try {
      const whole = await run();
      expect(whole.parallel).toBe(0);
      whole.losses.forEach((loss, i) => expect(Math.abs(loss! - a.losses[i]!)).toBeLessThanOrEqual(1e-4 * Math.abs(loss!)));
    } finally {
      DataParallel.enabled = true;
    }
  }, 60_000);

  it('names what is wrong with a malformed replica message', () => {
    expect(() => runReplicaTask({ op: 'step', id: 1, step: -1, begin: 0, total: 8, n: 4 }, {}, new Float32Array(0))).toThrow(/step/);
    expect(() => runReplicaTask({ op: 'launch' }, {}, new Float32Array(0))).toThrow(/op/);
    expect(() => runReplicaTask({ op: 'step', id: 424242, step: 0, begin: 4, total: 8, n: 4 }, {}, new Float32Array(0))).toThrow('replica 424242 does not exist');
  });

  it('a failing worker turns the threads off with its reason; the step is computed here', () => {
    const { network, dp } = setup();
    const indices = Int32Array.from({ length: 64 }, (_, i) => i);
    const before = stepValues(dp, indices, network);
    // A step for a replica the worker does not have: the worker answers with its error.
    expect(() => threads.parallel([{ task: { kind: 'replica', message: { op: 'step', id: 999_999, step: 0, begin: 1, total: 2, n: 1 } }, inputs: [], outElements: 0 }], () => undefined)).toThrow(ThreadFailure);
    expect(threads.failure).toMatch(/replica 999999 does not exist/);
    expect(tf.tidy(() => (dp.gradients(data.train, indices, 7) === null ? tf.scalar(0) : tf.scalar(1))).dataSync()[0]).toBe(0);
    expect(before[2]!.length).toBeGreaterThan(0);
    network.dispose();
  });
});
