import { defineStore } from 'pinia';
import { computed, markRaw, ref, shallowRef } from 'vue';
import type { EventOf, HistogramSet, JobInfo, NonFiniteReport, ProbeResult, RunFinal, Spec } from '@contract';
import { useBridge } from '../bridge';
import { MAX_REPEAT, useSpecStore } from './useSpecStore';
import { RunData, type RunStatus } from '../features/monitor/runData';
import { runColour } from '../features/monitor/colours';
import { benchMode, clock, pointsArrived } from '../features/monitor/latencyRecorder';
import { installBenchHooks } from '../features/monitor/benchHooks';
import type { XAxis } from '../features/monitor/chartModels';

type TrainEvent = 'train.update' | 'train.histograms' | 'train.nonFinite' | 'train.status';

/**
 * The training the Train screen drives: one start runs N seeds one after another (the setup's
 * repeat count), each a run kept with its colour so that the monitor overlays them. Runs are
 * plain objects outside Vue's reactivity; `revision` moves whenever any of them changes.
 */
export const useTrainingStore = defineStore('training', () => {
  const bridge = useBridge();
  const runs = shallowRef<RunData[]>([]);
  const current = shallowRef<RunData | null>(null);
  const revision = ref(0);
  const status = ref<RunStatus | 'idle'>('idle');
  const error = ref<string | null>(null);
  const job = shallowRef<JobInfo | null>(null);
  const probe = shallowRef<ProbeResult | null>(null);
  const nonFinite = shallowRef<NonFiniteReport | null>(null);
  const final = shallowRef<RunFinal | null>(null);
  /** The run the per-layer panels show; null: the current one. */
  const selectedRunId = ref<string | null>(null);
  /** The run hovered in the legend: drawn on top, the others dimmed. */
  const highlighted = ref<string | null>(null);
  const smoothing = ref(0.6);
  const xAxis = ref<XAxis>('steps');
  const logScale = ref(true);

  const jobId = computed(() => job.value?.jobId ?? null);
  const active = computed(() => status.value === 'running' || status.value === 'paused' || status.value === 'starting');
  const selectedRun = computed<RunData | null>(() => {
    void revision.value;
    return runs.value.find((r) => r.id === selectedRunId.value) ?? current.value ?? runs.value.at(-1) ?? null;
  });
  const lastLoss = computed(() => {
    void revision.value;
    const run = current.value;
    if (!run || run.count === 0) return null;
    const v = run.loss.at(run.count - 1);
    return Number.isFinite(v) ? v : null;
  });
  const seedsDone = computed(() => {
    void revision.value;
    return runs.value.filter((r) => !r.synthetic && r.ended).length;
  });
  const seedsTotal = computed(() => {
    void revision.value;
    return runs.value.filter((r) => !r.synthetic).length;
  });

  let queue: { spec: Spec; runs: RunData[] } | null = null;
  let stopRequested = false;
  let nextRunId = 1;
  // The engine may report a job's first events before the response that names the job arrives.
  let pending: { channel: TrainEvent; payload: { jobId: string }; at: number }[] = [];

  function bump(): void {
    revision.value++;
  }

  function runOf(jobIdValue: string): RunData | null {
    const run = current.value;
    if (run?.jobId === jobIdValue) return run;
    return null;
  }

  function apply(run: RunData, channel: TrainEvent, payload: unknown): void {
    switch (channel) {
      case 'train.update': {
        const update = payload as EventOf<'train.update'>;
        if (benchMode) pointsArrived(run, update.points.map((p) => p.time));
        run.append(update);
        const latest = update.probes.at(-1);
        if (latest && run === current.value) probe.value = latest;
        break;
      }
      case 'train.histograms':
        run.addHistograms(payload as HistogramSet);
        break;
      case 'train.nonFinite':
        run.nonFinite = payload as NonFiniteReport;
        if (run === current.value) nonFinite.value = run.nonFinite;
        break;
      case 'train.status': {
        const event = payload as EventOf<'train.status'>;
        run.status = event.status;
        if (event.error) run.error = event.error;
        if (event.final) run.final = event.final;
        if (run === current.value) {
          if (event.error) error.value = event.error;
          if (event.final) final.value = event.final;
          status.value = event.status;
        }
        if (event.status === 'done' || event.status === 'stopped' || event.status === 'failed') ended(run);
        break;
      }
    }
    run.revision++;
    bump();
  }

  function onEvent(channel: TrainEvent, payload: { jobId: string }): void {
    const at = clock();
    const run = runOf(payload.jobId);
    if (run) {
      if (channel === 'train.status' && run.startSeenAt === 0) run.startSeenAt = at;
      apply(run, channel, payload);
    } else if (current.value && current.value.status === 'starting') pending.push({ channel, payload, at });
  }

  for (const channel of ['train.update', 'train.histograms', 'train.nonFinite', 'train.status'] as const) {
    bridge.on(channel, (payload) => onEvent(channel, payload));
  }
  bridge.on('engine.status', (event) => {
    if (event.state === 'crashed' && active.value) {
      const run = current.value;
      if (run) ((run.status = 'failed'), (run.error = event.message));
      status.value = 'failed';
      error.value = event.message;
      dropQueued();
      bump();
    }
  });

  /** Starts the spec, `repeat` seeds in a row from its seed (default: the set-up's repeat count). */
  async function start(spec: Spec, repeat?: number): Promise<void> {
    const n = Math.max(1, Math.min(MAX_REPEAT, Math.floor(repeat ?? useSpecStore().repeat ?? 1)));
    error.value = null;
    nonFinite.value = null;
    final.value = null;
    probe.value = null;
    job.value = null;
    selectedRunId.value = null;
    highlighted.value = null;
    stopRequested = false;
    const base = spec.training.seed;
    const list = Array.from({ length: n }, (_, i) => {
      const id = `run-${nextRunId++}`;
      const run = markRaw(new RunData(id, i, base + i, runColour(i), n > 1 ? `seed ${base + i}` : spec.name ?? 'run'));
      run.setSmoothing(smoothing.value);
      return run;
    });
    runs.value = list;
    queue = { spec, runs: list };
    bump();
    await launch(list[0]!);
  }

  async function launch(run: RunData): Promise<void> {
    if (!queue) return;
    const spec = queue.spec;
    current.value = run;
    job.value = null;
    probe.value = null;
    nonFinite.value = null;
    final.value = null;
    run.status = 'starting';
    status.value = 'starting';
    pending = [];
    bump();
    try {
      run.requestedAt = clock();
      const info = await bridge.request('train.start', { spec: { ...spec, training: { ...spec.training, seed: run.seed } } });
      run.respondedAt = clock();
      run.setJob(info);
      job.value = info;
      // Stop was pressed between two seeds, after this one was asked for.
      if (stopRequested) void bridge.request('train.stop', { jobId: info.jobId }).catch(() => undefined);
      if (run.status === 'starting') run.status = 'running';
      if (status.value === 'starting') status.value = 'running';
      const replay = pending;
      pending = [];
      for (const event of replay) {
        if (event.payload.jobId !== info.jobId) continue;
        if (event.channel === 'train.status' && run.startSeenAt === 0) run.startSeenAt = event.at;
        apply(run, event.channel, event.payload);
      }
      bump();
    } catch (e) {
      run.status = 'failed';
      run.error = e instanceof Error ? e.message : String(e);
      status.value = 'failed';
      error.value = run.error;
      dropQueued();
      bump();
    } finally {
      pending = [];
    }
  }

  /**
   * A run ended: start the next seed, unless the person stopped it or it failed. A seed the
   * engine stopped on NaN/Inf is a result like any other (a failure): the others still train.
   */
  function ended(run: RunData): void {
    if (!queue || run !== current.value) return;
    const next = queue.runs[queue.runs.indexOf(run) + 1];
    const finished = run.status === 'done' || (run.status === 'stopped' && run.nonFinite !== null);
    if (finished && next && !stopRequested) {
      status.value = 'starting';
      // After this event's handlers: the engine has already let the job go.
      queueMicrotask(() => void launch(next));
      return;
    }
    dropQueued();
  }

  /** Seeds that never started leave the overlay. */
  function dropQueued(): void {
    runs.value = runs.value.filter((r) => r.status !== 'queued');
    queue = null;
  }

  async function control(action: 'train.pause' | 'train.resume' | 'train.stop'): Promise<void> {
    if (action === 'train.stop') stopRequested = true;
    if (!jobId.value) return;
    try {
      // Status comes from train.status events only: a stop's response can arrive after the
      // event that says the job stopped, and must not overwrite it.
      await bridge.request(action, { jobId: jobId.value });
    } catch (e) {
      error.value = e instanceof Error ? e.message : String(e);
    }
  }

  // ---- Display settings ------------------------------------------------------------------------

  function setSmoothing(weight: number): void {
    smoothing.value = weight;
    for (const run of runs.value) run.setSmoothing(weight);
    bump();
  }

  /** Adds runs made elsewhere (the benchmark's synthetic ones) to the overlay, before the real ones. */
  function adopt(extra: RunData[], live: RunData | null = null): void {
    for (const run of [...extra, ...(live ? [live] : [])]) run.setSmoothing(smoothing.value);
    runs.value = [...extra, ...runs.value, ...(live ? [live] : [])];
    if (live) {
      current.value = live;
      status.value = 'running';
    }
    bump();
  }

  const store = {
    runs,
    current,
    selectedRun,
    selectedRunId,
    highlighted,
    smoothing,
    xAxis,
    logScale,
    job,
    jobId,
    status,
    error,
    revision,
    probe,
    nonFinite,
    final,
    lastLoss,
    active,
    seedsDone,
    seedsTotal,
    start,
    setSmoothing,
    pause: () => control('train.pause'),
    resume: () => control('train.resume'),
    stop: () => control('train.stop'),
  };
  if (benchMode) {
    installBenchHooks({
      adopt,
      bump,
      runs: () => runs.value,
      current: () => current.value,
      ping: async () => {
        const t0 = clock();
        await bridge.request('engine.info', {});
        return clock() - t0;
      },
    });
  }
  return store;
});
