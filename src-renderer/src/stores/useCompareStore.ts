import { defineStore } from 'pinia';
import { markRaw, ref, shallowRef } from 'vue';
import type { EventOf, NonFiniteReport, Spec } from '@contract';
import { useBridge } from '../bridge';
import { RunData } from '../features/monitor/runData';
import { runColour } from '../features/monitor/colours';
import { CURRENT_SPEC, MAX_SPECS, MIN_SPECS, compareSpecs, type CompareEntry } from '../features/compare/compareSpecs';
import { MAX_REPEAT, useSpecStore } from './useSpecStore';

export interface CompareColumn {
  letter: string;
  label: string;
  spec: Spec;
  /** One run per seed, in seed order; a seed has the same colour in every column. */
  runs: RunData[];
}

type FollowedEvent = 'train.update' | 'train.nonFinite' | 'train.status';

/**
 * The Compare screen's experiment: two to four specs trained on the same seeds, one job at a
 * time (seed by seed, every spec in turn, so that a stop leaves the seeds done paired). Runs
 * are plain RunData outside Vue's reactivity; `revision` moves whenever any of them changes.
 */
export const useCompareStore = defineStore('compare', () => {
  const bridge = useBridge();
  const entries = ref<CompareEntry[]>([
    { source: 'relu-abs', changes: '' },
    { source: 'relu-abs', changes: 'model.layers.0.activation=elu' },
  ]);
  /** Changes applied to every spec (fewer epochs, say). */
  const shared = ref('');
  const seeds = ref(5);
  /** First seed; null: spec A's own. */
  const firstSeed = ref<number | null>(null);
  const columns = shallowRef<CompareColumn[]>([]);
  const status = ref<'idle' | 'running' | 'done' | 'stopped' | 'failed'>('idle');
  const error = ref<string | null>(null);
  const revision = ref(0);
  /** "seed 2 of 5 · spec B" while running. */
  const progress = ref('');

  let current: RunData | null = null;
  let finish: (() => void) | null = null;
  let stopRequested = false;
  /** Why the engine refused a start (busy with the Train screen's run, say): the rest would be refused too. */
  let refused: string | null = null;
  let nextId = 1;
  // Events of a job can arrive before the response that names it.
  let pending: { channel: FollowedEvent; payload: { jobId: string } }[] = [];

  function apply(run: RunData, channel: FollowedEvent, payload: unknown): void {
    if (channel === 'train.update') run.append(payload as EventOf<'train.update'>);
    else if (channel === 'train.nonFinite') run.nonFinite = payload as NonFiniteReport;
    else {
      const event = payload as EventOf<'train.status'>;
      run.status = event.status;
      if (event.error) run.error = event.error;
      if (event.final) run.final = event.final;
      if (run.ended) finish?.();
    }
    run.revision++;
    revision.value++;
  }

  for (const channel of ['train.update', 'train.nonFinite', 'train.status'] as const) {
    bridge.on(channel, (payload) => {
      const run = current;
      if (!run) return;
      if (run.jobId === payload.jobId) apply(run, channel, payload);
      else if (run.status === 'starting') pending.push({ channel, payload });
    });
  }
  bridge.on('engine.status', (event) => {
    if (event.state !== 'crashed' || !current || current.ended) return;
    current.status = 'failed';
    current.error = event.message;
    finish?.();
    revision.value++;
  });

  /** Trains one spec on the run's seed to its end (or a failure); never throws. */
  async function train(spec: Spec, run: RunData, letter: string): Promise<void> {
    current = run;
    run.status = 'starting';
    pending = [];
    const ended = new Promise<void>((resolve) => (finish = resolve));
    try {
      const info = await bridge.request('train.start', { spec: { ...spec, training: { ...spec.training, seed: run.seed } } });
      run.setJob(info);
      if (run.status === 'starting') run.status = 'running';
      for (const event of pending) if (event.payload.jobId === info.jobId) apply(run, event.channel, event.payload);
      pending = [];
      if (stopRequested && !run.ended) void bridge.request('train.stop', { jobId: info.jobId }).catch(() => undefined);
      revision.value++;
      await ended;
    } catch (e) {
      run.status = 'failed';
      run.error = e instanceof Error ? e.message : String(e);
      if (!run.job) refused = `spec ${letter}, ${run.label}: the engine refused to start it: ${run.error}`;
      revision.value++;
    } finally {
      finish = null;
      pending = [];
    }
  }

  function resolveSource(source: string): Spec | null {
    const specs = useSpecStore();
    if (source === CURRENT_SPEC) return specs.spec ? (JSON.parse(JSON.stringify(specs.spec)) as Spec) : null;
    const preset = specs.presets.find((p) => p.name === source);
    return preset ? structuredClone(preset.spec) : null;
  }

  async function start(): Promise<void> {
    if (status.value === 'running') return;
    error.value = null;
    const built = compareSpecs(entries.value, shared.value, resolveSource);
    if ('error' in built) {
      error.value = built.error;
      return;
    }
    const n = Math.max(1, Math.min(MAX_REPEAT, Math.floor(seeds.value)));
    const first = firstSeed.value ?? built.specs[0]!.spec.training.seed;
    const seedList = Array.from({ length: n }, (_, i) => first + i);
    columns.value = built.specs.map((s) => ({
      ...s,
      runs: seedList.map((seed, i) => markRaw(new RunData(`compare-${nextId++}`, i, seed, runColour(i), `seed ${seed}`))),
    }));
    stopRequested = false;
    refused = null;
    status.value = 'running';
    revision.value++;
    for (const [i, seed] of seedList.entries()) {
      for (const column of columns.value) {
        if (stopRequested || refused) break;
        progress.value = `seed ${seed} (${i + 1} of ${n}) · spec ${column.letter}`;
        await train(column.spec, column.runs[i]!, column.letter);
      }
    }
    progress.value = '';
    // Seeds that never started leave the columns.
    for (const column of columns.value) column.runs = column.runs.filter((r) => r.status !== 'queued');
    const failed = columns.value.find((c) => c.runs.some((r) => r.status === 'failed'));
    const failedRun = failed?.runs.find((r) => r.status === 'failed');
    if (refused) error.value = refused;
    else if (failed && failedRun?.error) error.value = `spec ${failed.letter}, ${failedRun.label}: ${failedRun.error}`;
    status.value = refused ? 'failed' : stopRequested ? 'stopped' : 'done';
    current = null;
    revision.value++;
  }

  async function stop(): Promise<void> {
    stopRequested = true;
    const id = current?.jobId;
    if (id) await bridge.request('train.stop', { jobId: id }).catch(() => undefined);
  }

  function addEntry(): void {
    if (entries.value.length < MAX_SPECS) entries.value.push({ source: entries.value.at(-1)?.source ?? 'relu-abs', changes: '' });
  }
  function removeEntry(index: number): void {
    if (entries.value.length > MIN_SPECS) entries.value.splice(index, 1);
  }

  return { entries, shared, seeds, firstSeed, columns, status, error, revision, progress, start, stop, addEntry, removeEntry };
});
