/**
 * The findings lifecycle and the cause chain (issue 16) at the level of a whole Diagnosis:
 * findings resolve (with the step) once their evidence stops holding, and a finding names the
 * finding it follows from, so the Train screen shows one card per root cause.
 */
import { describe, expect, it } from 'vitest';
import { causeGroups, firstSuggestion, type NonFiniteReport, type RunFinal } from '@contract';
import { Finding } from '@contract/findings';
import { Diagnosis, staticChecks } from '../../../src-main/engine/diagnosis/diagnosis';
import { causeOf } from '../../../src-main/engine/diagnosis/lifecycle';
import { digitsData, digitsMlp, epoch, point, probe, probeLayer, setup } from './fixtures';

const final = (steps: number, epochs: number, loss: number | null = null): RunFinal => ({ steps, epochs, loss, accuracy: null, valLoss: null, valAccuracy: null, seconds: 1, samplesPerSecond: 1, success: null });

function record(diagnosis: Diagnosis): { finding: Finding; change: 'new' | 'update' }[] {
  const events: { finding: Finding; change: 'new' | 'update' }[] = [];
  diagnosis.subscribe((finding, change) => events.push({ finding: Finding.parse(finding), change }));
  return events;
}

describe('findings lifecycle', () => {
  it('overfitting is active while validation loss stays up, and resolved at the step it is back at its best', () => {
    const { spec, job } = setup(digitsMlp, digitsData, 6400);
    const diagnosis = new Diagnosis(spec, job);
    const events = record(diagnosis);
    const stepsPerEpoch = job.stepsPerEpoch;
    // A sustained rise from epoch 3 to 9, then validation falls below its old best.
    const val = [1.0, 0.6, 0.5, 0.48, 0.52, 0.55, 0.6, 0.62, 0.64, 0.66, 0.5, 0.45, 0.42, 0.4];
    const train = [1.0, 0.5, 0.35, 0.25, 0.18, 0.12, 0.08, 0.06, 0.05, 0.045, 0.04, 0.035, 0.03, 0.028];
    for (let e = 0; e < val.length; e++) {
      for (let s = 0; s < stepsPerEpoch; s += 10) diagnosis.onStep(point(e * stepsPerEpoch + s, { loss: train[e]! }, 2, stepsPerEpoch));
      diagnosis.onEpoch({ ...epoch(e, train[e]!, val[e]!, 0.9), step: (e + 1) * stepsPerEpoch - 1 });
    }
    diagnosis.finish(final(val.length * stepsPerEpoch, val.length, 0.028));
    const over = events.filter((e) => e.finding.code === 'overfitting');
    expect(over[0]?.change).toBe('new');
    expect(over[0]!.finding.state).toBe('active');
    const last = diagnosis.findings().find((f) => f.code === 'overfitting')!;
    expect(last.state).toBe('resolved');
    expect(last.resolvedStep).toBeGreaterThanOrEqual(10 * stepsPerEpoch - 1);
    expect(last.resolution).toMatch(/validation loss was back to 0\.45 at epoch 12/);
    // A resolved finding is no root that still holds: its card is folded.
    expect(causeGroups(diagnosis.findings()).find((g) => g.root.code === 'overfitting')?.active).toBe(false);
  });
});

describe('causes and consequences', () => {
  const explodingSpec = { ...digitsMlp, normalization: 'none' as const, training: { ...digitsMlp.training, loss: { type: 'mse' as const }, optimizer: { type: 'sgd' as const, learningRate: 0.01 } } };

  it('unnormalized input → exploding gradient → non-finite → dead units, one card with its consequences', () => {
    const { spec, job } = setup(explodingSpec, digitsData, 6400);
    const statics = staticChecks(spec, { ...digitsData, valueRange: { min: 0, max: 255 } });
    const diagnosis = new Diagnosis(spec, job, {}, statics);
    for (let i = 0; i < 5; i++) diagnosis.onStep(point(i, { loss: 0.1 * 10 ** i, accuracy: 0.1, gradNorm: 10 ** (2 * i) }));
    const report: NonFiniteReport = { jobId: 'job', step: 5, epoch: 0, layer: 'dense_1', tensor: 'activation', kind: 'NaN', gradNormHistory: [1, 100, 1e4, 1e6, 1e8], lossHistory: [0.1, 1, 10, 100, 1000] };
    diagnosis.onNonFinite(report);
    diagnosis.onStep(point(5, { loss: null, gradNorm: null, accuracy: null, layerGradNorms: [null, null] }));
    // The probe after the NaN finds every ReLU of dense_1 silent.
    diagnosis.onProbe(probe(6, [probeLayer(1, 'dense_1', 'relu', Array.from({ length: 32 }, () => 0)), probeLayer(2, 'dense_2', 'linear', Array.from({ length: 10 }, () => 0.5))], 0));
    diagnosis.finish(final(7, 1));

    const byCode = new Map(diagnosis.findings().map((f) => [f.code, f]));
    expect(byCode.get('exploding-gradient')?.causedBy).toBe('unnormalized-input|');
    expect(byCode.get('non-finite')?.causedBy).toBe('exploding-gradient|');
    expect(byCode.get('dead-units')).toBeDefined();
    const dead = byCode.get('dead-units')!;
    expect(dead.causedBy).toMatch(/^(non-finite|exploding-gradient)\|/);
    // Timing stated truthfully: not "the initial weights".
    expect(dead.message).not.toContain('initial weights');
    const groups = causeGroups(diagnosis.findings());
    const root = groups.find((g) => g.root.code === 'unnormalized-input')!;
    expect(root.consequences.map((f) => f.code)).toEqual(expect.arrayContaining(['exploding-gradient', 'non-finite']));
    expect(groups.some((g) => g.root.code === 'non-finite' || g.root.code === 'exploding-gradient')).toBe(false);
    // The first fix offered is the root cause's: scale the inputs.
    const first = firstSuggestion(diagnosis.findings());
    expect(first?.finding.code === 'unnormalized-input' || first?.finding.code === 'loss-mismatch').toBe(true);
  });

  it('without a static cause the explosion is the root and the NaN its consequence', () => {
    const { spec, job } = setup({ ...explodingSpec, normalization: 'divide255' }, digitsData, 6400);
    const diagnosis = new Diagnosis(spec, job);
    for (let i = 0; i < 5; i++) diagnosis.onStep(point(i, { loss: 0.1 * 10 ** i, accuracy: 0.1, gradNorm: 10 ** (2 * i) }));
    diagnosis.onNonFinite({ jobId: 'job', step: 5, epoch: 0, layer: null, tensor: 'loss', kind: 'Inf', gradNormHistory: [1, 100, 1e4, 1e6, 1e8], lossHistory: [0.1, 1, 10, 100, 1000] });
    diagnosis.onStep(point(5, { loss: null, gradNorm: null, accuracy: null, layerGradNorms: [null, null] }));
    diagnosis.finish(final(6, 1));
    const groups = causeGroups(diagnosis.findings());
    const exploding = groups.find((g) => g.root.code === 'exploding-gradient');
    expect(exploding?.consequences.map((f) => f.code)).toContain('non-finite');
    expect(exploding?.active).toBe(true);
  });
});

describe('causeOf', () => {
  const f = (code: Finding['code'], step: number, evidence: Record<string, unknown> = {}, layer = 'dense_1'): Finding => ({ code, severity: 'warning', step, epoch: 0, layer, message: code, evidence, suggestions: [] }) as Finding;
  const raised = (...list: Finding[]): Map<string, Finding> => new Map(list.map((x) => [`${x.code}|${x.layer ?? ''}`, x]));

  it('a whole dead layer causes the vanishing gradient the probe saw it after, within one probe interval', () => {
    // relu-abs seed 21: the gradient of dense_1 was 0 from step 9; the probe of step 25 found its 3 ReLUs dead.
    const dead = f('dead-units', 25, { deadFraction: 1 });
    const vanishing = f('vanishing-gradient', 9);
    expect(causeOf(vanishing, raised(dead, vanishing), 25)).toBe('dead-units|dense_1');
    // Without the probe interval, or past it, the dead units came too late to be the cause.
    expect(causeOf(vanishing, raised(dead, vanishing), 0)).toBeUndefined();
    expect(causeOf(f('vanishing-gradient', 9), raised(f('dead-units', 60, { deadFraction: 1 })), 25)).toBeUndefined();
    // A layer still half alive does not explain it.
    expect(causeOf(vanishing, raised(f('dead-units', 25, { deadFraction: 0.5 }), vanishing), 25)).toBeUndefined();
  });

  it('a series cause gets no such slack', () => {
    const exploding = f('exploding-gradient', 12, {}, '');
    expect(causeOf(f('non-finite', 10, {}, ''), raised(exploding), 25)).toBeUndefined();
    expect(causeOf(f('non-finite', 12, {}, ''), raised(exploding), 25)).toBe('exploding-gradient|');
  });
});
