import { describe, expect, it } from 'vitest';
import type { NonFiniteReport, ProbeResult, RunFinal, Snapshot, StepPoint } from '@contract';
import { Finding } from '@contract/findings';
import { Diagnosis } from '../../../src-main/engine/diagnosis/diagnosis';
import { mulberry32 } from '../../../src-main/engine/training/trainingData';
import { absData, digitsData, digitsMlp, epoch, healthyLoss, noise, point, probe, probeLayer, reluAbs, series, setup } from './fixtures';

const final = (steps: number, epochs: number): RunFinal => ({ steps, epochs, loss: null, accuracy: null, valLoss: null, valAccuracy: null, seconds: 1, samplesPerSecond: 1, success: null });

function record(diagnosis: Diagnosis): { events: { finding: Finding; change: 'new' | 'update' }[] } {
  const events: { finding: Finding; change: 'new' | 'update' }[] = [];
  diagnosis.subscribe((finding, change) => events.push({ finding: Finding.parse(finding), change }));
  return { events };
}

const problems = (findings: Finding[]): Finding[] => findings.filter((f) => f.severity !== 'info');

/** Probes of every layer of a job with healthy, seeded active fractions. */
function healthyProbe(job: ReturnType<typeof setup>['job'], step: number, epochNo: number, seed: number): ProbeResult {
  const random = mulberry32(seed);
  return probe(
    step,
    job.layers.map((l) => probeLayer(l.index, l.name, l.activation, Array.from({ length: l.outputShape[l.outputShape.length - 1] ?? 1 }, () => 0.2 + 0.6 * random()))),
    epochNo,
  );
}

describe('Diagnosis on a synthetic stream', () => {
  it('a plateau at ln 10 for 500 steps, then a fall: one plateau finding with its start, end and drop', () => {
    const { spec, job } = setup(
      {
        ...digitsMlp,
        model: { layers: [{ type: 'flatten' }, { type: 'dense', units: 16, activation: 'relu', kernelInitializer: { type: 'randomNormal', stddev: 0.01 } }, { type: 'dense', units: 10, kernelInitializer: { type: 'randomNormal', stddev: 0.01 } }] },
      },
      digitsData,
      6400,
    );
    const diagnosis = new Diagnosis(spec, job);
    const { events } = record(diagnosis);
    const jitter = noise(11, 0.002);
    for (let i = 0; i < 1500; i++) {
      const loss = i < 500 ? 2.303 * jitter() : 0.3 + 2.003 * Math.exp(-(i - 500) / 150);
      diagnosis.onStep(point(i, { loss, accuracy: i < 500 ? 0.1 : Math.min(0.95, 0.1 + (2.303 - loss)) }, 2, 100));
      if ((i + 1) % 50 === 0) diagnosis.onProbe(healthyProbe(job, i + 1, Math.floor(i / 100), i));
      if ((i + 1) % 100 === 0) diagnosis.onEpoch(epoch(Math.floor(i / 100), loss, loss * 1.05));
    }
    diagnosis.finish(final(1500, 15));
    const plateaus = diagnosis.findings().filter((f) => f.code === 'plateau');
    expect(plateaus).toHaveLength(1);
    const f = plateaus[0]!;
    expect(f.evidence['start']).toBe(0);
    expect(f.evidence['end']).toBeGreaterThanOrEqual(499);
    expect(f.evidence['end']).toBeLessThanOrEqual(520);
    expect(f.evidence['drop']).toBeGreaterThan(1.95);
    expect(f.evidence['lossAfter']).toBeLessThan(0.35);
    expect(f.message).toContain('then learning kicked in');
    // Raised while it lasted, then completed when learning resumed and at the end: never twice as new.
    const plateauEvents = events.filter((e) => e.finding.code === 'plateau');
    expect(plateauEvents[0]!.change).toBe('new');
    expect(plateauEvents[0]!.finding.evidence['end']).toBeNull();
    expect(plateauEvents[0]!.finding.step).toBe(0);
    expect(plateauEvents.slice(1).every((e) => e.change === 'update')).toBe(true);
    expect(plateauEvents.length).toBeLessThanOrEqual(3);
    expect(problems(diagnosis.findings()).map((x) => x.code)).toEqual(['plateau']);
  });

  it('a healthy decreasing curve raises no warning and no error', () => {
    for (const seed of [1, 2, 3]) {
      const { spec, job } = setup(digitsMlp, digitsData, 6400);
      const diagnosis = new Diagnosis(spec, job);
      const points = healthyLoss(1500, seed, 0.5);
      const random = mulberry32(seed);
      points.forEach((p, i) => {
        diagnosis.onStep(p);
        if ((i + 1) % 50 === 0) diagnosis.onProbe(healthyProbe(job, i + 1, p.epoch, seed * 10_000 + i));
        if ((i + 1) % 100 === 0) diagnosis.onEpoch(epoch(p.epoch, p.loss!, 0.1 + 2 * Math.exp(-i / 200)));
        if ((i + 1) % 500 === 0) {
          const tensors: Snapshot['tensors'] = [];
          for (const l of job.layers.filter((x) => x.type === 'dense')) {
            const units = l.outputShape[0]!;
            const inputs = l.name === 'dense_1' ? 784 : 32;
            tensors.push({ layer: l.name, role: 'kernel', shape: [inputs, units], data: Float32Array.from({ length: inputs * units }, () => random() - 0.5) });
            tensors.push({ layer: l.name, role: 'bias', shape: [units], data: Float32Array.from({ length: units }, () => 0.1 * (random() - 0.5)) });
          }
          diagnosis.onSnapshot({ jobId: 'job', step: i + 1, epoch: p.epoch, tensors });
        }
      });
      diagnosis.finish(final(1500, 15));
      expect(problems(diagnosis.findings()), `seed ${seed}`).toEqual([]);
    }
  });

  it('dead units: raised once with the units and since when, updated when more die, not repeated', () => {
    const { spec, job } = setup(reluAbs, absData);
    const diagnosis = new Diagnosis(spec, job);
    const { events } = record(diagnosis);
    for (let i = 0; i < 1000; i++) {
      diagnosis.onStep(point(i, { loss: 0.3 * Math.exp(-i / 300) + 0.02 }));
      if ((i + 1) % 25 === 0) {
        const step = i + 1;
        diagnosis.onProbe(probe(step, [probeLayer(0, 'dense_1', 'relu', [0.5, step >= 340 ? 0 : 0.4, step >= 700 ? 0 : 0.6]), probeLayer(1, 'dense_2', 'linear', [0.9])]));
      }
    }
    diagnosis.finish(final(1000, 1000));
    const dead = events.filter((e) => e.finding.code === 'dead-units');
    expect(dead.map((e) => [e.change, e.finding.units])).toEqual([
      ['new', [1]],
      ['update', [1, 2]],
    ]);
    expect(dead[0]!.finding.message).toContain('1 of 3 ReLUs in dense_1 (unit 1) outputs 0 on all of the 1000 probe samples, since step 350');
    expect(dead[1]!.finding.message).toContain('2 of 3 ReLUs in dense_1 (units 1 and 2) output 0');
    expect(diagnosis.findings().filter((f) => f.code === 'dead-units')).toHaveLength(1);
  });

  it('at the end, says when units named earlier have all recovered', () => {
    const { spec, job } = setup(reluAbs, absData);
    const diagnosis = new Diagnosis(spec, job);
    const { events } = record(diagnosis);
    for (let i = 0; i < 300; i++) {
      diagnosis.onStep(point(i, { loss: 0.3 * Math.exp(-i / 100) + 0.02 }));
      if ((i + 1) % 25 === 0) diagnosis.onProbe(probe(i + 1, [probeLayer(0, 'dense_1', 'relu', [0.5, i < 150 ? 0 : 0.3, 0.6])]));
    }
    diagnosis.finish(final(300, 300));
    const dead = events.filter((e) => e.finding.code === 'dead-units');
    // Resolved once unit 1 has been active on two probes in a row (from the probe at step 175), then told at the end.
    expect(dead.map((e) => [e.change, e.finding.severity, e.finding.state, e.finding.resolvedStep])).toEqual([
      ['new', 'warning', 'active', undefined],
      ['update', 'warning', 'resolved', 175],
      ['update', 'info', 'resolved', 175],
    ]);
    expect(dead[1]!.finding.resolution).toBe('the units were active again from step 175 on');
    expect(dead[2]!.finding.evidence['recoveredBy']).toBe(300);
    expect(dead[2]!.finding.message).toMatch(/By the end of training \(step 300\) none of them was dead any more\.$/);
  });

  it('duplicate units from snapshots and from the probe surface', () => {
    const { spec, job } = setup(reluAbs, absData);
    const diagnosis = new Diagnosis(spec, job);
    const kernel = Float32Array.from([1, 0.3, 1.01, 0, 1, 0.01]); // units 0 and 2 point the same way
    const bias = Float32Array.from([0.2, -0.1, 0.2]);
    const weights = (step: number): Snapshot => ({
      jobId: 'job',
      step,
      epoch: step,
      tensors: [
        { layer: 'dense_1', role: 'kernel', shape: [2, 3], data: kernel },
        { layer: 'dense_1', role: 'bias', shape: [3], data: bias },
        { layer: 'dense_2', role: 'kernel', shape: [3, 1], data: Float32Array.from([1, 1, 1]) },
        { layer: 'dense_1', role: 'activation', shape: [4, 3], data: new Float32Array(12) },
      ],
    });
    diagnosis.onSnapshot(weights(100));
    expect(diagnosis.findings()).toEqual([]);
    const surface = { size: 2, extent: [-1, 1, -1, 1] as [number, number, number, number], outputs: 1, output: new Float32Array(4), unitsLayer: 'dense_1', units: 3, unitOutput: new Float32Array(12), kernel, bias };
    diagnosis.onProbe({ step: 125, epoch: 125, layers: [], surface });
    const f = diagnosis.findings()[0]!;
    expect(f).toMatchObject({ code: 'duplicate-units', layer: 'dense_1', units: [0, 2], step: 100, severity: 'warning' });
  });

  it('non-finite: names step, layer and tensor, and what grew before', () => {
    const { spec, job } = setup({ ...digitsMlp, normalization: 'none', training: { ...digitsMlp.training, loss: { type: 'mse' }, optimizer: { type: 'sgd', learningRate: 0.01 } } }, digitsData, 6400);
    const diagnosis = new Diagnosis(spec, job);
    const { events } = record(diagnosis);
    for (let i = 0; i < 5; i++) diagnosis.onStep(point(i, { loss: 0.1 * 10 ** i, accuracy: 0.1, gradNorm: 10 ** (2 * i) }));
    const report: NonFiniteReport = { jobId: 'job', step: 5, epoch: 0, layer: 'dense_1', tensor: 'activation', kind: 'NaN', gradNormHistory: [1, 100, 1e4, 1e6, 1e8], lossHistory: [0.1, 1, 10, 100, 1000] };
    diagnosis.onNonFinite(report);
    diagnosis.onStep(point(5, { loss: null, gradNorm: null, accuracy: null, layerGradNorms: [null, null] }));
    diagnosis.finish(final(6, 1));
    const nf = events.filter((e) => e.finding.code === 'non-finite');
    expect(nf).toHaveLength(1);
    const f = nf[0]!.finding;
    expect(f).toMatchObject({ severity: 'error', step: 5, layer: 'dense_1', evidence: { tensor: 'activation', kind: 'NaN', layer: 'dense_1' } });
    expect(f.message).toContain('NaN appeared at step 5 (epoch 1), first in the output of dense_1');
    expect(f.message).toContain('the gradient norm grew from 1 to 1e8 over the 5 steps before');
    const fields = f.suggestions.flatMap((s) => Object.keys(s.set));
    expect(fields).toEqual(expect.arrayContaining(['normalization', 'training.optimizer.learningRate', 'training.clipNorm', 'training.loss']));
  });

  it('a run blowing up: exploding-gradient, then diverging-loss, each raised once', () => {
    const { spec, job } = setup({ ...digitsMlp, training: { ...digitsMlp.training, optimizer: { type: 'sgd', learningRate: 0.5 } } }, digitsData, 6400);
    const diagnosis = new Diagnosis(spec, job);
    const { events } = record(diagnosis);
    for (let i = 0; i < 300; i++) {
      const up = Math.max(0, i - 200);
      diagnosis.onStep(point(i, { loss: i < 200 ? 2.3 * Math.exp(-i / 50) + 0.2 : 0.2 * 1.05 ** up, accuracy: 0.5, gradNorm: i < 200 ? 1 : 1.1 ** up }, 2, 100));
    }
    const codes = events.map((e) => `${e.change} ${e.finding.code}`);
    expect(codes).toEqual(['new diverging-loss', 'new exploding-gradient']);
    const exploding = events[1]!.finding;
    expect(exploding.evidence['factor']).toBeGreaterThan(1e3);
  });

  it('a NaN loss with no report still ends in a non-finite finding', () => {
    const { spec, job } = setup(reluAbs, absData);
    const diagnosis = new Diagnosis(spec, job);
    diagnosis.onStep(point(0));
    diagnosis.onStep(point(1, { loss: null }));
    diagnosis.finish(final(2, 2));
    expect(diagnosis.findings().map((f) => [f.code, f.step])).toEqual([['non-finite', 1]]);
  });

  it('stops listening when disposed and ignores input after finish', () => {
    const { spec, job } = setup(reluAbs, absData);
    const diagnosis = new Diagnosis(spec, job);
    const seen: Finding[] = [];
    const subscription = diagnosis.subscribe((f) => seen.push(f));
    subscription.dispose();
    diagnosis.onNonFinite({ jobId: 'j', step: 1, epoch: 0, layer: null, tensor: 'loss', kind: 'NaN', gradNormHistory: [], lossHistory: [] });
    expect(seen).toEqual([]);
    diagnosis.finish(final(1, 1));
    diagnosis.onNonFinite({ jobId: 'j', step: 2, epoch: 0, layer: 'dense_1', tensor: 'weight', kind: 'Inf', gradNormHistory: [], lossHistory: [] });
    expect(diagnosis.findings()).toHaveLength(1);
  });

  it('costs a few microseconds a step', () => {
    const { spec, job } = setup(
      { ...digitsMlp, model: { layers: [{ type: 'flatten' }, ...Array.from({ length: 6 }, () => ({ type: 'dense' as const, units: 64, activation: 'relu' as const })), { type: 'dense', units: 10 }] } },
      digitsData,
      6400,
    );
    const diagnosis = new Diagnosis(spec, job);
    const points: StepPoint[] = series(20_000, (i) => ({ loss: 2 * Math.exp(-i / 3000) + 0.1, layerGradNorms: Array.from({ length: 7 }, () => 0.5) }), 7, 100);
    const probes = points.filter((_, i) => (i + 1) % 50 === 0).map((p) => healthyProbe(job, p.step + 1, p.epoch, p.step));
    const started = performance.now();
    const cpu = process.cpuUsage();
    points.forEach((p, i) => {
      diagnosis.onStep(p);
      if ((i + 1) % 50 === 0) diagnosis.onProbe(probes[(i + 1) / 50 - 1]!);
    });
    const used = process.cpuUsage(cpu);
    const perStepMs = (used.user + used.system) / 1000 / points.length;
    expect(diagnosis.cost.calls).toBe(20_000 + 400);
    expect(diagnosis.cost.ms).toBeLessThanOrEqual(performance.now() - started);
    // About 10 µs a step on an idle core. A training step takes milliseconds, and 5 % of even
    // 1 ms is 50 µs; CPU time (not wall time) so that other processes on the machine do not count.
    expect(perStepMs).toBeLessThan(0.05);
  });
});
