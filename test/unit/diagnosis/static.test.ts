import { describe, expect, it } from 'vitest';
import { Spec, type SpecInput } from '@contract';
import { Finding } from '@contract/findings';
import { staticChecks, type StaticData } from '../../../src-main/engine/diagnosis/diagnosis';
import { lossMismatch } from '../../../src-main/engine/diagnosis/detectors/lossMismatch';
import { unnormalizedInput } from '../../../src-main/engine/diagnosis/detectors/unnormalizedInput';
import { DEFAULT_THRESHOLDS as T } from '../../../src-main/engine/diagnosis/thresholds';
import { preset } from '../../support/presets';

const mnist: StaticData = { task: 'classification', outputs: 10, inputShape: [28, 28, 1], valueRange: { min: 0, max: 255 } };
const abs: StaticData = { task: 'regression', outputs: 1, inputShape: [2], valueRange: { min: -1, max: 1 } };

const classifier = (output: SpecInput['model']['layers'][number], loss: NonNullable<SpecInput['training']>['loss'], normalization: SpecInput['normalization'] = 'divide255'): Spec =>
  Spec.parse({ version: 1, dataset: { kind: 'builtin', name: 'mnist' }, normalization, model: { layers: [{ type: 'flatten' }, { type: 'dense', units: 16, activation: 'relu' }, output] }, training: { loss } });

describe('static checks on the presets', () => {
  it('mnist-relu-nan: MSE on class labels and raw 0–255 inputs, before training', () => {
    const findings = staticChecks(preset('mnist-relu-nan'), mnist);
    for (const f of findings) expect(Finding.parse(f)).toEqual(f);
    expect(findings.map((f) => [f.code, f.severity])).toEqual([
      ['loss-mismatch', 'warning'],
      ['unnormalized-input', 'warning'],
    ]);
    expect(findings[0]!.message).toMatch(/^MSE is used on class labels \(10 classes, as one-hot targets\)/);
    expect(findings[0]!.suggestions[0]!.set).toEqual({ 'training.loss': { type: 'sparseCategoricalCrossentropy', fromLogits: true } });
    expect(findings[1]!.message).toContain('range from 0 to 255 and are fed as they are');
    expect(findings[1]!.suggestions[0]).toEqual({ label: 'Scale inputs to 0–1 (÷255)', set: { normalization: 'divide255' } });
  });

  it('mnist-sigmoid-mse: MSE on class labels through saturating sigmoids', () => {
    const findings = staticChecks(preset('mnist-sigmoid-mse'), mnist);
    expect(findings.map((f) => f.code)).toEqual(['loss-mismatch']);
    expect(findings[0]!.message).toContain('where the sigmoid output saturates the gradient all but vanishes');
    expect(findings[0]!.suggestions[0]!.set).toEqual({ 'training.loss': { type: 'sparseCategoricalCrossentropy', fromLogits: true }, 'model.layers.2.activation': 'linear' });
  });

  it('raises nothing on the sound presets', () => {
    expect(staticChecks(preset('mnist-mlp'), mnist)).toEqual([]);
    expect(staticChecks(preset('mnist-cnn'), mnist)).toEqual([]);
    expect(staticChecks(preset('deep-cnn-plateau'), mnist)).toEqual([]);
    expect(staticChecks(preset('relu-abs'), abs)).toEqual([]);
    expect(staticChecks(preset('xor'), { task: 'classification', outputs: 2, inputShape: [2], valueRange: { min: -1, max: 1 } })).toEqual([]);
  });
});

describe('loss-mismatch', () => {
  it('cross-entropy on an output that is not a probability is an error', () => {
    const f = lossMismatch(classifier({ type: 'dense', units: 10, activation: 'relu' }, { type: 'sparseCategoricalCrossentropy' }), mnist)!;
    expect(f).toMatchObject({ code: 'loss-mismatch', severity: 'error' });
    expect(f.message).toContain("output layer's activation is relu, not softmax");
    expect(f.suggestions[0]!.set).toEqual({ 'training.loss': { type: 'sparseCategoricalCrossentropy', fromLogits: true }, 'model.layers.2.activation': 'linear' });
    expect(lossMismatch(classifier({ type: 'dense', units: 10, activation: 'sigmoid' }, { type: 'categoricalCrossentropy' }), mnist)!.severity).toBe('warning');
  });

  it('a softmax output with a binary loss is an error', () => {
    const two: StaticData = { ...mnist, outputs: 2 };
    const f = lossMismatch(classifier({ type: 'dense', units: 2, activation: 'softmax' }, { type: 'binaryCrossentropy' }), two)!;
    expect(f).toMatchObject({ code: 'loss-mismatch', severity: 'error' });
    expect(f.message).toContain('softmax over 2 units and the loss is binary cross-entropy');
  });

  it('a softmax applied twice, binary cross-entropy on a linear output, cross-entropy on a regression target', () => {
    expect(lossMismatch(classifier({ type: 'dense', units: 10, activation: 'softmax' }, { type: 'sparseCategoricalCrossentropy', fromLogits: true }), mnist)!.suggestions[0]!.set).toEqual({ 'model.layers.2.activation': 'linear' });
    const two: StaticData = { ...mnist, outputs: 2 };
    expect(lossMismatch(classifier({ type: 'dense', units: 1 }, { type: 'binaryCrossentropy' }), two)!.severity).toBe('error');
    const reg = Spec.parse({ version: 1, dataset: { kind: 'builtin', name: 'abs' }, model: { layers: [{ type: 'dense', units: 1 }] }, training: { loss: { type: 'sparseCategoricalCrossentropy' } } });
    expect(lossMismatch(reg, abs)!.message).toContain('needs class labels');
  });

  it('is not raised on losses that fit', () => {
    expect(lossMismatch(classifier({ type: 'dense', units: 10, activation: 'softmax' }, { type: 'sparseCategoricalCrossentropy' }), mnist)).toBeNull();
    expect(lossMismatch(classifier({ type: 'dense', units: 10 }, { type: 'categoricalCrossentropy', fromLogits: true }), mnist)).toBeNull();
    expect(lossMismatch(classifier({ type: 'dense', units: 1, activation: 'sigmoid' }, { type: 'binaryCrossentropy' }), { ...mnist, outputs: 2 })).toBeNull();
    expect(lossMismatch(Spec.parse({ version: 1, dataset: { kind: 'builtin', name: 'abs' }, model: { layers: [{ type: 'dense', units: 1 }] }, training: { loss: { type: 'mae' } } }), abs)).toBeNull();
  });
});

describe('unnormalized-input', () => {
  const spec = (normalization: SpecInput['normalization']) => classifier({ type: 'dense', units: 10 }, { type: 'sparseCategoricalCrossentropy', fromLogits: true }, normalization);

  it('is raised on raw pixels and on values far from unit scale', () => {
    expect(unnormalizedInput(spec('none'), { min: 0, max: 255 }, T)).toMatchObject({ code: 'unnormalized-input', severity: 'warning', evidence: { min: 0, max: 255, maxAbs: 255 } });
    const big = unnormalizedInput(spec('none'), { min: -3000, max: 5000 }, T)!;
    expect(big.suggestions[0]!.set).toEqual({ normalization: 'standardize' });
    expect(unnormalizedInput(spec('divide255'), { min: 0, max: 65535 }, T)!.message).toContain('after divide255 still reach 0 to 257');
    expect(unnormalizedInput(spec('none'), { min: 0, max: 0.001 }, T)).toMatchObject({ severity: 'info' });
  });

  it('is not raised on unit-range inputs, pixels ÷255, or standardised inputs', () => {
    expect(unnormalizedInput(spec('none'), { min: -1, max: 1 }, T)).toBeNull();
    expect(unnormalizedInput(spec('divide255'), { min: 0, max: 255 }, T)).toBeNull();
    expect(unnormalizedInput(spec('standardize'), { min: 0, max: 1e6 }, T)).toBeNull();
    expect(unnormalizedInput(spec('none'), { min: 0, max: 0 }, T)).toBeNull();
  });
});

describe('regression targets the output activation cannot reach', () => {
  const regressor = (activation: 'sigmoid' | 'tanh' | 'relu' | 'linear'): Spec =>
    Spec.parse({ version: 1, dataset: { kind: 'builtin', name: 'abs' }, model: { layers: [{ type: 'dense', units: 5, activation: 'sigmoid' }, { type: 'dense', units: 1, activation }] }, training: { loss: { type: 'mse' } } });

  it('so48221692: targets 3 to 103 under a sigmoid output are named, with a linear output as the fix', () => {
    const f = lossMismatch(regressor('sigmoid'), { ...abs, targetRange: { min: 3, max: 103 } })!;
    expect(Finding.parse(f)).toEqual(f);
    expect(f).toMatchObject({ code: 'loss-mismatch', severity: 'warning', evidence: { targetRange: [3, 103], outputMin: 0, outputMax: 1 } });
    expect(f.message).toMatch(/^The regression targets range from 3 to 103, but the output's sigmoid can only reach 0 to 1: for the targets above it/);
    expect(f.suggestions).toEqual([{ label: 'Use a linear output', set: { 'model.layers.1.activation': 'linear' } }]);
  });

  it('names negative targets under a relu output, and both sides under tanh', () => {
    expect(lossMismatch(regressor('relu'), { ...abs, targetRange: { min: -2, max: 5 } })!.message).toContain("the output's relu can only reach 0 and above: for the targets below it");
    expect(lossMismatch(regressor('tanh'), { ...abs, targetRange: { min: -4, max: 4 } })!.message).toContain('on both sides');
  });

  it('is quiet where the targets are reachable (within 1 % of their spread), unknown, or the output is linear', () => {
    expect(lossMismatch(regressor('sigmoid'), { ...abs, targetRange: { min: 0, max: 1 } })).toBeNull();
    expect(lossMismatch(regressor('sigmoid'), { ...abs, targetRange: { min: -0.005, max: 1.005 } })).toBeNull();
    expect(lossMismatch(regressor('relu'), { ...abs, targetRange: { min: 0, max: 50 } })).toBeNull();
    expect(lossMismatch(regressor('sigmoid'), abs)).toBeNull();
    expect(lossMismatch(regressor('linear'), { ...abs, targetRange: { min: 3, max: 103 } })).toBeNull();
  });
});
