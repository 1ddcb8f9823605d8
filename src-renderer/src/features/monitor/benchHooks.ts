/**
 * Hooks for bench/monitor-frames.mjs, installed only when the page is opened with `?bench=1`:
 * synthetic runs of any length fed through the same RunData path as the engine's events, a
 * synthetic live run streamed at the engine's update rate, and the latency recorder.
 */
import { mulberry32 } from '@contract';
import { markRaw } from 'vue';
import type { EventOf, JobInfo, ProbeLayer, StepPoint } from '@contract';
import { RunData } from './runData';
import { runColour } from './colours';
import { arrivalSamples, startLatency, stopLatency } from './latencyRecorder';

export interface BenchTarget {
  adopt(runs: RunData[], live?: RunData | null): void;
  bump(): void;
  runs(): RunData[];
  current(): RunData | null;
  /** Round trip of a small request to the engine, ms. */
  ping(): Promise<number>;
}

const UNITS = [16, 16, 1];

function syntheticJob(id: string): JobInfo {
  return {
    jobId: id,
    backend: 'cpu',
    layers: [
      { index: 0, name: 'dense_1', type: 'dense', activation: 'relu', outputShape: [16], params: 48 },
      { index: 1, name: 'dense_2', type: 'dense', activation: 'tanh', outputShape: [16], params: 272 },
      { index: 2, name: 'dense_3', type: 'dense', activation: 'linear', outputShape: [1], params: 17 },
    ],
    parameterLayers: ['dense_1', 'dense_2', 'dense_3'],
    trainCount: 32_000,
    valCount: 0,
    batchSize: 32,
    stepsPerEpoch: 1000,
    epochs: 1000,
    totalParams: 337,
    startedAt: Date.now(),
  };
}

/** A deterministic pseudo-random stream: the app's one PRNG. */
const random = mulberry32;

/** A loss curve with a plateau and a kick-in, noise, and norms that drift: something to look at. */
function pointAt(step: number, seed: number, noise: () => number, into: StepPoint): StepPoint {
  const kick = 2000 + seed * 900;
  const base = step < kick ? 2.3 - step * 1e-5 : 0.08 + 2.2 * Math.exp(-(step - kick) / (4000 + seed * 500));
  into.step = step;
  into.epoch = Math.floor(step / 1000);
  into.loss = base * (1 + 0.25 * (noise() - 0.5));
  into.accuracy = Math.min(1, Math.max(0, 1 - base / 2.4 + 0.05 * (noise() - 0.5)));
  into.gradNorm = 0.5 + noise();
  for (let l = 0; l < 3; l++) {
    into.layerGradNorms[l] = (0.1 + noise()) / (l + 1);
    into.layerWeightNorms[l] = 3 + l + step * 1e-5;
    into.layerUpdateRatios[l] = 1e-3 * (0.3 + noise()) * Math.exp(-step / 50_000);
  }
  into.time = step * 3;
  return into;
}

function syntheticProbe(step: number, noise: () => number): EventOf<'train.update'>['probes'][number] {
  const layers: ProbeLayer[] = UNITS.map((units, index) => {
    const active = new Float32Array(units);
    const saturated = new Float32Array(units);
    const mean = new Float32Array(units);
    const std = new Float32Array(units);
    for (let u = 0; u < units; u++) {
      active[u] = index === 0 && u < 3 ? 0 : noise();
      saturated[u] = index === 1 && u < 4 ? 0.97 : noise() * 0.5;
      mean[u] = noise() - 0.5;
      std[u] = noise();
    }
    return { index, name: `dense_${index + 1}`, activation: ['relu', 'tanh', 'linear'][index]!, units, active, saturated, mean, std, nonFinite: 0 };
  });
  return { step, epoch: Math.floor(step / 1000), layers, surface: null };
}

function emptyPoint(): StepPoint {
  return { step: 0, epoch: 0, loss: 0, accuracy: 0, gradNorm: 0, layerGradNorms: [0, 0, 0], layerWeightNorms: [0, 0, 0], layerUpdateRatios: [0, 0, 0], time: 0 };
}

/** A finished synthetic run of `points` steps. */
function makeRun(index: number, points: number, probeEvery: number): RunData {
  const run = markRaw(new RunData(`synthetic-${index}`, index, index + 1, runColour(index), `synthetic ${index + 1}`, true));
  run.setJob(syntheticJob(`synthetic-${index}`));
  const noise = random(index + 1);
  const point = emptyPoint();
  for (let s = 0; s < points; s++) {
    run.addPoint(pointAt(s, index, noise, point));
    if (s % probeEvery === 0) run.addProbe(syntheticProbe(s, noise)!);
  }
  run.status = 'done';
  return run;
}

export function installBenchHooks(target: BenchTarget): void {
  let streaming = false;
  const api = {
    /** Adds `count` finished synthetic runs of `points` steps each to the overlay. */
    addSyntheticRuns(count: number, points: number): number {
      const list: RunData[] = [];
      const start = target.runs().length;
      for (let i = 0; i < count; i++) list.push(makeRun(start + i, points, 500));
      target.adopt(list);
      return target.runs().length;
    },
    /**
     * Streams a synthetic live run, as the engine would: `perUpdate` steps per update, `rate`
     * updates a second, a probe every `probeEvery` updates, until it holds `points` steps.
     */
    streamSynthetic(options: { startAt: number; points: number; perUpdate: number; rate: number; probeEvery: number }): Promise<number> {
      const index = target.runs().length;
      const run = markRaw(new RunData(`synthetic-live-${index}`, index, index + 1, runColour(index), `synthetic live`, true));
      run.setJob(syntheticJob(`synthetic-live-${index}`));
      run.status = 'running';
      const noise = random(99);
      const point = emptyPoint();
      for (let s = 0; s < options.startAt; s++) run.addPoint(pointAt(s, index, noise, point));
      target.adopt([], run);
      streaming = true;
      let step = options.startAt;
      let updates = 0;
      return new Promise((resolve) => {
        const timer = setInterval(() => {
          if (!streaming || step >= options.points) {
            clearInterval(timer);
            run.status = 'done';
            target.bump();
            resolve(run.count);
            return;
          }
          const points: StepPoint[] = [];
          for (let k = 0; k < options.perUpdate && step < options.points; k++, step++) points.push(pointAt(step, index, noise, emptyPoint()));
          updates++;
          const probes = updates % options.probeEvery === 0 ? [syntheticProbe(step, noise)] : [];
          run.append({ jobId: run.id, points, epochs: [], probes });
          target.bump();
        }, 1000 / options.rate);
      });
    },
    stopStreaming(): void {
      streaming = false;
    },
    startLatency(): void {
      startLatency(target.runs());
    },
    stopLatency(): number[] {
      return stopLatency();
    },
    /** Latency of the same points to their arrival in the page, before drawing. */
    arrivals(): number[] {
      return arrivalSamples();
    },
    ping: () => target.ping(),
    counts: () => target.runs().map((r) => r.count),
  };
  (window as unknown as Record<string, unknown>)['__trainbenchBench'] = api;
}
