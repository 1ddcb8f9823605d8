import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { Finding, GradcheckReport, Spec, type Activation, type SpecInput } from '@contract';
import { registerWasmGradientKernels } from '../../../src-main/engine/backend/wasmGradients';
import { runGradientCheck } from '../../../src-main/engine/diagnosis/gradcheck';
import { central, oneSided } from '../../../src-main/engine/diagnosis/gradcheckDifference';
import type { NetLayer } from '../../../src-main/engine/training/network';
import { absData, imageData } from '../../support/data';
import { formatGradcheck, gradcheckExitCode } from '../../../src-main/host/gradcheckTable';

beforeAll(async () => {
  registerWasmGradientKernels(tf);
  await tf.setBackend('wasm');
  await tf.ready();
});

const summary = (report: GradcheckReport): string[] =>
  report.layers.map((l) => `${l.name} ${l.checked} checked, ${l.skipped} skipped, max ${l.maxRelError?.toExponential(2)} ${l.passed === true ? 'pass' : 'FAIL'}`);

/** Every layer with weights was compared on some parameters and passed. */
function expectAllPass(report: GradcheckReport): void {
  expect(GradcheckReport.parse(report)).toBeTruthy();
  expect(report.passed, summary(report).join('\n')).toBe(true);
  expect(report.findings).toEqual([]);
  for (const layer of report.layers) {
    expect(layer.checked, `${layer.name} had no parameter compared`).toBeGreaterThan(0);
    expect(layer.passed, summary(report).join('\n')).toBe(true);
    expect(layer.maxRelError!).toBeLessThanOrEqual(report.tolerance);
  }
}

/** x ↦ x forward, with a backward that returns `factor`·dy instead of dy. */
function brokenIdentity(factor: number): (x: tf.Tensor) => tf.Tensor {
  return tf.customGrad((x, save) => {
    (save as tf.GradSaveFunc)([x as tf.Tensor]);
    return { value: tf.clone(x as tf.Tensor), gradFunc: (dy) => tf.mul(dy, factor) };
  }) as (x: tf.Tensor) => tf.Tensor;
}

const ACTIVATIONS: Activation[] = ['linear', 'relu', 'leakyRelu', 'elu', 'selu', 'tanh', 'sigmoid', 'softplus', 'swish', 'gelu'];

describe('gradient check', () => {
  it('difference quotients are exact on a parabola', () => {
    const f = (w: number): number => 3 * w * w - 2 * w + 1;
    expect(central(1.5, f(1.5), 0.5, f(0.5)).value).toBeCloseTo(4, 10);
    expect(oneSided(1, f(1), 1.25, f(1.25), 1.5, f(1.5)).value).toBeCloseTo(4, 10);
    expect(oneSided(1, f(1), 0.75, f(0.75), 0.5, f(0.5)).value).toBeCloseTo(4, 10);
  });

  it.each(ACTIVATIONS)('passes on dense layers with %s', async (activation) => {
    const spec = Spec.parse({
      version: 1,
      dataset: { kind: 'builtin', name: 'abs' },
      model: { layers: [{ type: 'dense', units: 6, activation }, { type: 'dense', units: 1 }] },
      training: { loss: { type: 'mse' } },
    } satisfies SpecInput);
    expectAllPass(await runGradientCheck(spec, absData(64)));
  });

  it('passes on conv2d, both poolings, batch normalisation, flatten, dropout and an activation layer, leaking no tensor', async () => {
    const spec = Spec.parse({
      version: 1,
      dataset: { kind: 'builtin', name: 'mnist' },
      model: {
        layers: [
          { type: 'conv2d', filters: 3, kernelSize: 3, activation: 'relu' },
          { type: 'maxPooling2d', poolSize: 2 },
          { type: 'batchNormalization' },
          { type: 'conv2d', filters: 2, kernelSize: 2, padding: 'same', activation: 'tanh' },
          { type: 'averagePooling2d', poolSize: 2 },
          { type: 'flatten' },
          { type: 'dropout', rate: 0.5 },
          { type: 'dense', units: 5 },
          { type: 'activation', activation: 'elu' },
          { type: 'dense', units: 3, activation: 'softmax' },
        ],
      },
      // Probabilities, not logits: the clip of the cross-entropy is a kink the check watches too.
      training: { loss: { type: 'sparseCategoricalCrossentropy', fromLogits: false } },
    } satisfies SpecInput);
    const before = tf.memory().numTensors;
    const report = await runGradientCheck(spec, imageData(16, [12, 12, 1]));
    expect(tf.memory().numTensors).toBe(before);
    expectAllPass(report);
    expect(report.layers.map((l) => l.type)).toEqual(['conv2d', 'batchNormalization', 'conv2d', 'dense', 'dense']);
    expect(report.layers[1]!.worst!.role).toMatch(/^(gamma|beta)$/);
  });

  it('passes with MAE, whose |x| is a kink', async () => {
    const spec = Spec.parse({
      version: 1,
      dataset: { kind: 'builtin', name: 'abs' },
      model: { layers: [{ type: 'dense', units: 4, activation: 'relu' }, { type: 'dense', units: 1 }] },
      training: { loss: { type: 'mae' } },
    } satisfies SpecInput);
    expectAllPass(await runGradientCheck(spec, absData(64)));
  });

  const broken = Spec.parse({
    version: 1,
    name: 'broken',
    dataset: { kind: 'builtin', name: 'abs' },
    model: { layers: [{ type: 'dense', units: 5, activation: 'tanh' }, { type: 'dense', units: 4, activation: 'relu' }, { type: 'dense', units: 1 }] },
    training: { loss: { type: 'mse' } },
  } satisfies SpecInput);

  it.each([
    ['twice the gradient', 2],
    ['the wrong sign', -1],
  ])('fails where a custom op returns %s, and only upstream of it', async (_label, factor) => {
    const op = brokenIdentity(factor);
    // Inserted after the second dense layer: its weights and the first layer's get the wrong gradient.
    const transform = (layer: NetLayer, output: tf.Tensor): tf.Tensor => (layer.name === 'dense_2' ? op(output) : output);
    const before = tf.memory().numTensors;
    const report = await runGradientCheck(broken, absData(64), { transform });
    expect(tf.memory().numTensors).toBe(before);
    expect(report.passed).toBe(false);
    const byName = Object.fromEntries(report.layers.map((l) => [l.name, l]));
    expect(byName['dense_1']!.passed, summary(report).join('\n')).toBe(false);
    expect(byName['dense_2']!.passed, summary(report).join('\n')).toBe(false);
    expect(byName['dense_3']!.passed, summary(report).join('\n')).toBe(true);
    // A 2× or sign error is a relative error of 1/2 to 2 where the gradient is well above noise.
    expect(byName['dense_2']!.maxRelError!).toBeGreaterThan(0.3);
    expect(report.findings.map((f) => [f.code, f.layer, f.severity])).toEqual([
      ['gradient-check-failed', 'dense_1', 'error'],
      ['gradient-check-failed', 'dense_2', 'error'],
    ]);
    const finding = Finding.parse(report.findings[1]);
    expect(finding.evidence['maxRelError']).toBe(byName['dense_2']!.maxRelError);
    expect(finding.evidence['tolerance']).toBe(report.tolerance);
    expect(finding.message).toMatch(/dense_2/);
    expect(GradcheckReport.parse(report).passed).toBe(false);
    // What `trainbench gradcheck` prints for it, and its exit code.
    const table = formatGradcheck(report);
    expect(table).toMatch(/dense_1\s+dense\s+15\s+\d+\s+\d+\s+\S+\s+\S+\s+FAIL/);
    expect(table).toMatch(/dense_3\s+dense\s+5\s+\d+\s+\d+\s+\S+\s+\S+\s+pass/);
    expect(table).toContain('FAILED in dense_1, dense_2');
    expect(table).toContain('[error] gradient-check-failed: Backprop and central-difference gradients disagree in dense_2');
    expect(gradcheckExitCode(report)).toBe(1);
  });

  it('passes on the same network without the broken op (the failure is the op, not the network)', async () => {
    const report = await runGradientCheck(broken, absData(64));
    expectAllPass(report);
    expect(gradcheckExitCode(report)).toBe(0);
    expect(formatGradcheck(report)).toContain('passed:');
  });

  it('is reproducible for a seed and reports progress up to the total', async () => {
    const seen: [number, number][] = [];
    const a = await runGradientCheck(broken, absData(64), { seed: 5, onProgress: (done, total) => seen.push([done, total]) });
    const b = await runGradientCheck(broken, absData(64), { seed: 5 });
    expect(a.layers.map((l) => l.worst)).toEqual(b.layers.map((l) => l.worst));
    expect(seen.length).toBeGreaterThanOrEqual(2);
    const total = seen[0]![1];
    // Six per variable, or all of a smaller one: kernels 2×5, 5×4, 4×1 and biases 5, 4, 1.
    expect(total).toBe(6 + 5 + 6 + 4 + 4 + 1);
    expect(seen[seen.length - 1]).toEqual([total, total]);
  });
});
