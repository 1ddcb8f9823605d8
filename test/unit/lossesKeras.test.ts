/**
 * Losses as Keras computes them, and specs that are wrong but trainable (issue 16): cross-
 * entropy on an output that is no softmax scales it to sum 1 first (Keras's
 * categorical_crossentropy with from_logits=False), and one sigmoid or linear unit regressing
 * the 0/1 label of a 2-class set with MSE or MAE trains, with a warning instead of a refusal.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { Spec, type SpecInput, type RunFinal, type JobStatus } from '@contract';
import { inferShapes } from '@contract/specShapes';
import { computeLoss } from '../../src-main/engine/training/losses';
import { builtinData } from '../../src-main/engine/training/builtinData';
import { Trainer } from '../../src-main/engine/training/trainer';
import { lossMismatch } from '../../src-main/engine/diagnosis/detectors/lossMismatch';
import { registerWasmGradientKernels } from '../../src-main/engine/backend/wasmGradients';

beforeAll(async () => {
  registerWasmGradientKernels(tf);
  await tf.setBackend('wasm');
  await tf.ready();
});

const classes = { task: 'classification' as const, outputs: 2 };

describe('categorical cross-entropy on probabilities (fromLogits false)', () => {
  it('scales an output that does not sum to 1 before the log, as Keras does', () => {
    // Rows sum to 0.4 and 1.2: Keras takes 0.2/0.4 = 0.5 and 0.3/1.2 = 0.25 as the probabilities.
    const prediction = tf.tensor2d([[0.2, 0.2], [0.9, 0.3]]);
    const labels = tf.tensor1d([0, 1], 'int32');
    for (const type of ['sparseCategoricalCrossentropy', 'categoricalCrossentropy'] as const) {
      const loss = computeLoss({ type, fromLogits: false }, prediction, labels, classes);
      expect(loss.dataSync()[0]).toBeCloseTo((-Math.log(0.5) - Math.log(0.25)) / 2, 5);
      loss.dispose();
    }
    // Only clipping (before): −log 0.2 and −log 0.3, a different and reachable-by-cheating loss.
    tf.dispose([prediction, labels]);
  });

  it('leaves a softmax output as it is', () => {
    const logits = tf.tensor2d([[2, -1, 0.5], [0, 0, 3]]);
    const labels = tf.tensor1d([0, 2], 'int32');
    const probabilities = tf.softmax(logits);
    const fromProbabilities = computeLoss({ type: 'sparseCategoricalCrossentropy', fromLogits: false }, probabilities, labels, { task: 'classification', outputs: 3 });
    const fromLogits = computeLoss({ type: 'sparseCategoricalCrossentropy', fromLogits: true }, logits, labels, { task: 'classification', outputs: 3 });
    expect(fromProbabilities.dataSync()[0]).toBeCloseTo(fromLogits.dataSync()[0]!, 5);
    tf.dispose([logits, labels, probabilities, fromProbabilities, fromLogits]);
  });

  it('no longer reaches a loss near 0 by pushing every class up: sigmoid outputs all near 1 give log(classes)', () => {
    const prediction = tf.fill([4, 10], 0.999);
    const labels = tf.tensor1d([0, 3, 5, 9], 'int32');
    const loss = computeLoss({ type: 'sparseCategoricalCrossentropy', fromLogits: false }, prediction, labels, { task: 'classification', outputs: 10 });
    expect(loss.dataSync()[0]).toBeCloseTo(Math.log(10), 4);
    tf.dispose([prediction, labels, loss]);
  });
});

describe('one output unit on 2-class labels with MSE or MAE', () => {
  const spec = (activation: 'sigmoid' | 'linear', loss: 'mse' | 'mae'): Spec =>
    Spec.parse({
      version: 1,
      dataset: { kind: 'builtin', name: 'circles' },
      model: { layers: [{ type: 'dense', units: 8, activation: 'tanh' }, { type: 'dense', units: 1, activation }] },
      training: { optimizer: { type: 'adam', learningRate: 0.05 }, loss: { type: loss }, batchSize: 32, epochs: 8 },
      monitor: { probeEvery: 10, probeSize: 64 },
    } satisfies SpecInput);

  it.each([['sigmoid', 'mse'], ['linear', 'mae']] as const)('%s output with %s is accepted, warned about and trains', async (activation, loss) => {
    const s = spec(activation, loss);
    const data = builtinData(s);
    expect(data.task).toBe('classification');
    expect(data.outputs).toBe(2);
    expect(inferShapes(s, { inputShape: data.inputShape, task: data.task, outputs: data.outputs }).issues).toEqual([]);

    const warning = lossMismatch(s, { task: 'classification', outputs: 2 });
    expect(warning?.severity).toBe('warning');
    expect(warning?.message).toContain('2 classes, as 0/1 targets of 1 output unit');

    const statuses: { status: JobStatus; final?: RunFinal }[] = [];
    const losses: (number | null)[] = [];
    const trainer = new Trainer('job-binary-unit', s, data, 'wasm', {
      onStep: () => undefined,
      onEpoch: (summary) => losses.push(summary.loss),
      onProbe: () => undefined,
      onSnapshot: () => undefined,
      onNonFinite: () => undefined,
      onStatus: (status, final) => statuses.push({ status, ...(final ? { final } : {}) }),
    });
    await trainer.run();
    expect(statuses.at(-1)!.status).toBe('done');
    expect(losses).toHaveLength(8);
    expect(losses.every((l) => l !== null && Number.isFinite(l))).toBe(true);
    expect(losses.at(-1)!).toBeLessThan(losses[0]!);
    // Accuracy of one unit is judged at 0.5.
    expect(statuses.at(-1)!.final?.accuracy).toBeGreaterThan(0.5);
  }, 60_000);
});
