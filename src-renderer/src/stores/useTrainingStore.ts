import { defineStore } from 'pinia';
import { computed, ref, shallowRef, triggerRef } from 'vue';
import type { EventOf, JobStatus, XorJobRequest } from '@contract';
import { useBridge } from '../bridge';

export interface LossPoint {
  epoch: number;
  loss: number | null;
}

/** The training job the Train screen drives: its settings, status and live loss curve. */
export const useTrainingStore = defineStore('training', () => {
  const bridge = useBridge();
  const jobId = ref<string | null>(null);
  const status = ref<JobStatus | 'idle'>('idle');
  const error = ref<string | null>(null);
  const epochs = ref(0);
  // Points are appended in place; a shallowRef with triggerRef avoids a deep proxy on every point.
  const points = shallowRef<LossPoint[]>([]);
  /** Bumped on every append, so that views holding the same array know to redraw. */
  const revision = ref(0);
  const settings = ref<XorJobRequest>({ hiddenUnits: 4, epochs: 300, learningRate: 0.1, seed: 1 });

  const lastLoss = computed(() => points.value.at(-1)?.loss ?? null);
  const active = computed(() => status.value === 'running' || status.value === 'paused');

  // The engine may report a job's first epoch before the response that names the job arrives.
  let starting = false;
  const early: EventOf<'train.progress'>[] = [];
  const earlyStatus: EventOf<'train.status'>[] = [];

  function append(event: EventOf<'train.progress'>): void {
    for (const point of event.points) points.value.push({ epoch: point.epoch, loss: point.loss });
    epochs.value = event.epochs;
    revision.value++;
    triggerRef(points);
  }

  bridge.on('train.progress', (event: EventOf<'train.progress'>) => {
    if (event.jobId === jobId.value) append(event);
    else if (starting) early.push(event);
  });
  function applyStatus(event: EventOf<'train.status'>): void {
    status.value = event.status;
    if (event.error) error.value = event.error;
  }
  bridge.on('train.status', (event) => {
    if (event.jobId === jobId.value) applyStatus(event);
    else if (starting) earlyStatus.push(event);
  });
  bridge.on('engine.status', (event) => {
    if (event.state === 'crashed' && active.value) {
      status.value = 'failed';
      error.value = event.message;
    }
  });

  async function start(): Promise<void> {
    error.value = null;
    points.value = [];
    revision.value++;
    jobId.value = null;
    early.length = 0;
    starting = true;
    try {
      status.value = 'running';
      const response = await bridge.request('train.xor', { ...settings.value });
      jobId.value = response.jobId;
      for (const event of early) if (event.jobId === response.jobId) append(event);
      for (const event of earlyStatus) if (event.jobId === response.jobId) applyStatus(event);
    } catch (e) {
      status.value = 'failed';
      error.value = e instanceof Error ? e.message : String(e);
    } finally {
      starting = false;
      early.length = 0;
      earlyStatus.length = 0;
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
    jobId,
    status,
    error,
    epochs,
    points,
    revision,
    settings,
    lastLoss,
    active,
    start,
    pause: () => control('train.pause'),
    resume: () => control('train.resume'),
    stop: () => control('train.stop'),
  };
});
