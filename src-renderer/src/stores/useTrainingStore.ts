import { defineStore } from 'pinia';
import { computed, ref, shallowRef, triggerRef } from 'vue';
import type { EpochSummary, EventOf, JobInfo, JobStatus, NonFiniteReport, ProbeResult, RunFinal, Spec, StepPoint } from '@contract';
import { useBridge } from '../bridge';

/** The training job the Train screen drives: its status and its live measurements. */
export const useTrainingStore = defineStore('training', () => {
  const bridge = useBridge();
  const job = shallowRef<JobInfo | null>(null);
  const status = ref<JobStatus | 'idle' | 'starting'>('idle');
  const error = ref<string | null>(null);
  // Appended in place: shallowRefs with a revision counter, never a deep proxy per point.
  const steps = shallowRef<StepPoint[]>([]);
  const epochs = shallowRef<EpochSummary[]>([]);
  const revision = ref(0);
  const probe = shallowRef<ProbeResult | null>(null);
  const nonFinite = shallowRef<NonFiniteReport | null>(null);
  const final = shallowRef<RunFinal | null>(null);

  const jobId = computed(() => job.value?.jobId ?? null);
  const active = computed(() => status.value === 'running' || status.value === 'paused' || status.value === 'starting');
  const lastLoss = computed(() => {
    void revision.value;
    return steps.value.at(-1)?.loss ?? null;
  });

  // The engine may report a job's first steps before the response that names the job arrives.
  let pendingEvents: { channel: string; payload: { jobId: string } }[] = [];
  const ours = (channel: string, payload: { jobId: string }): boolean => {
    if (payload.jobId === jobId.value) return true;
    if (status.value === 'starting') pendingEvents.push({ channel, payload });
    return false;
  };

  function apply(channel: string, payload: unknown): void {
    switch (channel) {
      case 'train.update': {
        const update = payload as EventOf<'train.update'>;
        for (const point of update.points) steps.value.push(point);
        for (const summary of update.epochs) epochs.value.push(summary);
        if (update.probe) probe.value = update.probe;
        revision.value++;
        triggerRef(steps);
        triggerRef(epochs);
        break;
      }
      case 'train.nonFinite':
        nonFinite.value = payload as NonFiniteReport;
        break;
      case 'train.status': {
        const event = payload as EventOf<'train.status'>;
        status.value = event.status;
        if (event.error) error.value = event.error;
        if (event.final) final.value = event.final;
        break;
      }
    }
  }

  for (const channel of ['train.update', 'train.nonFinite', 'train.status'] as const) {
    bridge.on(channel, (payload) => {
      if (ours(channel, payload)) apply(channel, payload);
    });
  }
  bridge.on('engine.status', (event) => {
    if (event.state === 'crashed' && active.value) {
      status.value = 'failed';
      error.value = event.message;
    }
  });

  async function start(spec: Spec): Promise<void> {
    error.value = null;
    steps.value = [];
    epochs.value = [];
    probe.value = null;
    nonFinite.value = null;
    final.value = null;
    job.value = null;
    revision.value++;
    pendingEvents = [];
    status.value = 'starting';
    try {
      const info = await bridge.request('train.start', { spec });
      job.value = info;
      if (status.value === 'starting') status.value = 'running';
      for (const event of pendingEvents) if (event.payload.jobId === info.jobId) apply(event.channel, event.payload);
    } catch (e) {
      status.value = 'failed';
      error.value = e instanceof Error ? e.message : String(e);
    } finally {
      pendingEvents = [];
    }
  }

  async function control(action: 'train.pause' | 'train.resume' | 'train.stop'): Promise<void> {
    if (!jobId.value) return;
    try {
      // Status comes from train.status events only: a stop's response can arrive after the
      // event that says the job stopped, and must not overwrite it.
      await bridge.request(action, { jobId: jobId.value });
    } catch (e) {
      error.value = e instanceof Error ? e.message : String(e);
    }
  }

  return {
    job,
    jobId,
    status,
    error,
    steps,
    epochs,
    revision,
    probe,
    nonFinite,
    final,
    lastLoss,
    active,
    start,
    pause: () => control('train.pause'),
    resume: () => control('train.resume'),
    stop: () => control('train.stop'),
  };
});
