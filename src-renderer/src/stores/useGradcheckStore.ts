import { defineStore } from 'pinia';
import { ref, shallowRef } from 'vue';
import type { GradcheckProgress, GradcheckReport, Spec } from '@contract';
import { useBridge } from '../bridge';

/** The gradient check of the current spec: its progress while it runs, then its report. */
export const useGradcheckStore = defineStore('gradcheck', () => {
  const bridge = useBridge();
  const running = ref(false);
  const progress = ref<GradcheckProgress | null>(null);
  // A report is replaced whole, never edited: no deep reactivity needed.
  const report = shallowRef<GradcheckReport | null>(null);
  const error = ref<string | null>(null);

  bridge.on('diagnose.gradcheck.progress', (payload) => {
    if (running.value) progress.value = payload;
  });

  async function run(spec: Spec): Promise<void> {
    if (running.value) return;
    running.value = true;
    error.value = null;
    report.value = null;
    progress.value = null;
    try {
      report.value = await bridge.request('diagnose.gradcheck', { spec });
    } catch (e) {
      error.value = e instanceof Error ? e.message : String(e);
    } finally {
      running.value = false;
    }
  }

  return { running, progress, report, error, run };
});
