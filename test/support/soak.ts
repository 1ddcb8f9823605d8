/**
 * A soak run (issue 9): one small spec trained for many epochs while the engine's memory and
 * latency are sampled from outside, through `engine.memory`. Used by the soak test (seconds)
 * and by `npm run bench -- soak` (minutes), which prints the samples as a table over time.
 */
import type { EngineMemory, EventOf, Spec } from '@contract';
import type { EngineHost } from '../../src-main/host/engineHost';

export interface SoakSample {
  seconds: number;
  steps: number;
  epochs: number;
  numTensors: number;
  rssMB: number;
  heapMB: number;
  /** Round trip of this engine.memory request while training, in ms. */
  requestMs: number;
  /** 95th percentile of the gaps between train.update events since the last sample, in ms. */
  updateGapP95Ms: number;
}

const MB = 1024 * 1024;

function percentile(values: number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
}

/** Trains `spec` (with epochs enough to outlast `seconds`) and samples every `everyMs`; stops the job at the end. */
export async function soak(host: EngineHost, spec: Spec, seconds: number, everyMs: number, onSample: (s: SoakSample) => void = () => undefined): Promise<SoakSample[]> {
  let steps = 0;
  let epochs = 0;
  let lastUpdate = 0;
  let gaps: number[] = [];
  let ended: string | null = null;
  const off = host.onEvent((channel, payload) => {
    if (channel === 'train.update') {
      const update = payload as EventOf<'train.update'>;
      steps += update.points.length;
      epochs += update.epochs.length;
      const now = performance.now();
      if (lastUpdate > 0) gaps.push(now - lastUpdate);
      lastUpdate = now;
    } else if (channel === 'train.status') {
      const status = payload as EventOf<'train.status'>;
      if (status.status !== 'running' && status.status !== 'paused') ended = `${status.status}${status.error ? `: ${status.error}` : ''}`;
    }
  });
  const samples: SoakSample[] = [];
  const { jobId } = (await host.request('train.start', { spec })) as { jobId: string };
  const started = performance.now();
  try {
    while (performance.now() - started < seconds * 1000) {
      await new Promise((r) => setTimeout(r, everyMs));
      if (ended) throw new Error(`the soak job ended early (${ended})`);
      const asked = performance.now();
      const memory = (await host.request('engine.memory', {})) as EngineMemory;
      const sample: SoakSample = {
        seconds: Math.round((performance.now() - started) / 100) / 10,
        steps,
        epochs,
        numTensors: memory.numTensors,
        rssMB: Math.round((memory.rssBytes / MB) * 10) / 10,
        heapMB: Math.round((memory.heapUsedBytes / MB) * 10) / 10,
        requestMs: Math.round((performance.now() - asked) * 10) / 10,
        updateGapP95Ms: Math.round(percentile(gaps, 0.95) * 10) / 10,
      };
      gaps = [];
      samples.push(sample);
      onSample(sample);
    }
  } finally {
    off();
    await host.request('train.stop', { jobId }).catch(() => undefined);
  }
  return samples;
}

export interface SoakVerdict {
  /** Median tensor count of the last quarter of samples minus that of the second quarter (after warm-up). */
  tensorGrowth: number;
  /** RSS of the last sample minus the least RSS seen after warm-up, in MB. */
  rssGrowthMB: number;
  /** Median engine.memory round trip, first half and second half after warm-up, in ms. */
  requestMs: [number, number];
  /** Median of the update-gap p95s, first half and second half after warm-up, in ms. */
  updateGapMs: [number, number];
}

/** Compares late samples with early ones; the first quarter is warm-up (JIT, wasm heap growth). */
export function soakVerdict(samples: SoakSample[]): SoakVerdict {
  const q = Math.max(1, Math.floor(samples.length / 4));
  const warm = samples.slice(q);
  const half = Math.max(1, Math.floor(warm.length / 2));
  const [early, late] = [warm.slice(0, half), warm.slice(half)];
  const median = (xs: number[]): number => percentile(xs, 0.5);
  return {
    tensorGrowth: median(samples.slice(-q).map((s) => s.numTensors)) - median(samples.slice(q, 2 * q).map((s) => s.numTensors)),
    rssGrowthMB: Math.round((samples.at(-1)!.rssMB - Math.min(...warm.map((s) => s.rssMB))) * 10) / 10,
    requestMs: [median(early.map((s) => s.requestMs)), median(late.map((s) => s.requestMs))],
    updateGapMs: [median(early.map((s) => s.updateGapP95Ms)), median(late.map((s) => s.updateGapP95Ms))],
  };
}
