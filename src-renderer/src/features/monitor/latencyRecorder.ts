/**
 * Measures, for the benchmark, how long a step takes from its end in the engine to its point
 * on screen. Off unless the page was opened with `?bench=1`.
 *
 * The engine stamps each step with ms since the job started (StepPoint.time) and sends the
 * job's first train.status (running) the moment it starts, before any step's work; the page
 * notes when that event arrives (RunData.startSeenAt) and takes it as the job's start. That
 * under-states a latency by the event's one-way trip, which the benchmark adds back as half
 * a measured round trip. (The answer to train.start is no anchor: it leaves the engine after
 * the first step's synchronous work.) A point counts as on screen once the frame that drew it
 * has been handed to the compositor: a message posted from the drawing frame arrives after it.
 */
import type { RunData } from './runData';

export const benchMode = typeof window !== 'undefined' && new URLSearchParams(window.location.search).has('bench');

const drawnUpTo = new WeakMap<RunData, number>();
const samples: number[] = [];
let recording = false;

export const clock = (): number => performance.timeOrigin + performance.now();

/** Called after a chart drew `count` points of `run`. */
export function pointsDrawn(run: RunData, count: number): void {
  const anchor = run.startSeenAt || run.respondedAt;
  if (!recording || run.synthetic || anchor === 0) return;
  const from = drawnUpTo.get(run) ?? 0;
  if (count <= from) return;
  drawnUpTo.set(run, count);
  const channel = new MessageChannel();
  channel.port1.onmessage = () => {
    const now = clock();
    for (let i = from; i < count; i++) samples.push(now - (anchor + run.times.at(i)));
    channel.port1.close();
  };
  channel.port2.postMessage(null);
}

const arrivals: number[] = [];

/** Called as an update's points arrive: the part of the latency before the page has them. */
export function pointsArrived(run: RunData, times: readonly number[]): void {
  const anchor = run.startSeenAt || run.respondedAt;
  if (!recording || run.synthetic || anchor === 0) return;
  const now = clock();
  for (const t of times) arrivals.push(now - (anchor + t));
}

export function arrivalSamples(): number[] {
  return arrivals.slice();
}

/** Starts recording (dropping earlier samples); points already drawn are not counted. */
export function startLatency(runs: RunData[]): void {
  samples.length = 0;
  arrivals.length = 0;
  for (const run of runs) drawnUpTo.set(run, run.count);
  recording = true;
}

export function stopLatency(): number[] {
  recording = false;
  return samples.slice();
}
