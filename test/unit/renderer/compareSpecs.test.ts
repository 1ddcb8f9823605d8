/** The Compare screen's pure parts: specs from presets and path=value lines, and the loss axis. */
import { describe, expect, it } from 'vitest';
import { parseSpec, type Spec } from '@contract';
import { applyChanges, changeLines, compareSpecs, CURRENT_SPEC } from '@renderer/features/compare/compareSpecs';
import { axisFraction, lossAxis, type SeedPoint } from '@renderer/features/seeds/seedOutcomes';
import reluAbs from '../../../resources/presets/relu-abs.json';

const preset = parseSpec(reluAbs).spec!;
const resolve = (source: string): Spec | null => (source === 'relu-abs' ? structuredClone(preset) : source === CURRENT_SPEC ? { ...structuredClone(preset), name: 'mine' } : null);

describe('compareSpecs', () => {
  it('applies the shared changes to every spec and each spec its own, labelled by them', () => {
    const result = compareSpecs(
      [
        { source: 'relu-abs', changes: '' },
        { source: 'relu-abs', changes: 'model.layers.0.activation=elu' },
        { source: CURRENT_SPEC, changes: 'model.layers.0.activation=tanh; training.optimizer.learningRate=0.003' },
      ],
      'training.epochs=30',
      resolve,
    );
    if ('error' in result) throw new Error(result.error);
    expect(result.specs.map((s) => s.letter)).toEqual(['A', 'B', 'C']);
    expect(result.specs.map((s) => s.label)).toEqual(['relu-abs', 'relu-abs model.layers.0.activation=elu', 'mine (Model screen) model.layers.0.activation=tanh training.optimizer.learningRate=0.003']);
    expect(result.specs.map((s) => s.spec.training.epochs)).toEqual([30, 30, 30]);
    expect(result.specs.map((s) => s.spec.model.layers[0]!.type === 'dense' && s.spec.model.layers[0]!.activation)).toEqual(['relu', 'elu', 'tanh']);
    expect(result.specs[2]!.spec.training.optimizer.learningRate).toBe(0.003);
    // The preset itself is untouched.
    expect(preset.training.epochs).toBe(1500);
  });

  it('names the spec and the line of every problem', () => {
    const two = (changes: string, source = 'relu-abs'): string => {
      const result = compareSpecs([{ source: 'relu-abs', changes: '' }, { source, changes }], '', resolve);
      return 'error' in result ? result.error : 'no error';
    };
    expect(two('model.layers.0.activation')).toBe('spec B: "model.layers.0.activation" is not path=value (e.g. model.layers.0.activation=elu)');
    expect(two('model.layers.0.units=0')).toMatch(/^spec B: model\.layers\.0\.units: /);
    expect(two('', 'nope')).toBe('spec B: no preset named "nope"');
    expect(compareSpecs([{ source: 'relu-abs', changes: '' }], '', resolve)).toEqual({ error: 'pick 2 to 4 specs, not 1' });
  });

  it('reads values as JSON where they are JSON', () => {
    expect(changeLines(' a=1 ;\n\n b=x ')).toEqual(['a=1', 'b=x']);
    const changed = applyChanges({ a: { b: 1 } }, ['a.b=[1, 2]', 'a.c=true', 'a.d=elu'], 'spec A');
    expect(changed).toEqual({ raw: { a: { b: [1, 2], c: true, d: 'elu' } } });
  });
});

describe('lossAxis', () => {
  const point = (finalLoss: number | null): SeedPoint => ({ seed: 1, finalLoss, success: null, findings: [], colour: '#000000', label: 'x' });
  it('goes logarithmic when the losses span more than a factor of 20, and is shared by the groups', () => {
    const axis = lossAxis([[point(0.001), point(null)], [point(0.08)]])!;
    expect(axis.log).toBe(true);
    expect(axisFraction(axis, 0.001)).toBeGreaterThan(0);
    expect(axisFraction(axis, 0.08)).toBeLessThan(1);
    expect(axisFraction(axis, Math.sqrt(0.001 * 0.08))).toBeCloseTo(0.5, 6);
    const linear = lossAxis([[point(0.05), point(0.08)]])!;
    expect(linear.log).toBe(false);
    expect(axisFraction(linear, 0.05)).toBeLessThan(axisFraction(linear, 0.08));
    expect(lossAxis([[point(null)]])).toBeNull();
  });
});
