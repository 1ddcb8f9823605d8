/**
 * The engine's update batcher: between two flushes every step, epoch and probe is kept (a
 * dead-unit curve needs every probe), only the newest probe keeps its input-plane surface,
 * and each update says what the engine's memory was.
 */
import { describe, expect, it } from 'vitest';
import { parseEvent, type EventOf, type ProbeResult, type StepPoint, type Surface } from '@contract';
import { UpdateBatcher } from '../../src-main/engine/progressBatcher';
import { RateGate } from '../../src-main/engine/rateGate';

const point = (step: number): StepPoint => ({ step, epoch: 0, loss: 1, accuracy: null, gradNorm: 1, layerGradNorms: [], layerWeightNorms: [], layerUpdateRatios: [], time: step });
const surface: Surface = { size: 1, extent: [-1, 1, -1, 1], outputs: 1, output: new Float32Array(1), unitsLayer: null, units: 0, unitOutput: new Float32Array(0), kernel: new Float32Array(0), bias: new Float32Array(0) };
const probe = (step: number): ProbeResult => ({ step, epoch: 0, layers: [], surface });

describe('UpdateBatcher', () => {
  it('keeps every probe between flushes, the surface on the newest only, and reads the memory at each flush', () => {
    const sent: EventOf<'train.update'>[] = [];
    let tensors = 10;
    // An interval no test run reaches: only explicit flushes send.
    const batcher = new UpdateBatcher('job-1', (u) => sent.push(u), 1e9, () => ({ numTensors: tensors++, numBytes: 4096, rss: 1e8 }));
    batcher.step(point(0));
    batcher.flush();
    for (let s = 1; s <= 100; s++) {
      batcher.step(point(s));
      if (s % 25 === 0) batcher.probed(probe(s));
    }
    batcher.flush();
    batcher.flush(); // nothing pending: nothing sent
    expect(sent).toHaveLength(2);
    const update = sent[1]!;
    expect(update.points.map((p) => p.step)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
    expect(update.probes.map((p) => p.step)).toEqual([25, 50, 75, 100]);
    expect(update.probes.map((p) => p.surface !== null)).toEqual([false, false, false, true]);
    expect(sent.map((u) => u.memory?.numTensors)).toEqual([10, 11]);
    // What it sends passes the contract.
    expect(parseEvent('train.update', update).probes).toHaveLength(4);
  });
});

describe('RateGate', () => {
  it('lets one event through per interval, and always the ones that must go', () => {
    let now = 0;
    const gate = new RateGate(1000, () => now);
    const passed: number[] = [];
    for (now = 0; now <= 3000; now += 250) if (gate.pass()) passed.push(now);
    expect(passed).toEqual([0, 1000, 2000, 3000]);
    now = 3100;
    expect(gate.pass()).toBe(false);
    expect(gate.pass(true)).toBe(true);
    // The forced one restarts the interval.
    now = 4000;
    expect(gate.pass()).toBe(false);
    now = 4100;
    expect(gate.pass()).toBe(true);
  });
});
