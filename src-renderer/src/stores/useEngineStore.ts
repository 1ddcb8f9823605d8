import { defineStore } from 'pinia';
import { computed, ref, shallowRef } from 'vue';
import type { BackendName, EngineInfo, EngineState } from '@contract';
import { useBridge } from '../bridge';

/** The engine as the UI knows it: its backend, its state, and a way to restart it. */
export const useEngineStore = defineStore('engine', () => {
  const bridge = useBridge();
  const info = shallowRef<EngineInfo | null>(null);
  const state = ref<EngineState | 'unknown'>('unknown');
  const message = ref('connecting to the engine…');
  const error = ref<string | null>(null);

  const backend = computed(() => info.value?.backend ?? null);

  async function refresh(): Promise<void> {
    try {
      info.value = await bridge.request('engine.info', {});
      state.value = 'ready';
      message.value = `engine ready on ${info.value.backend}`;
      error.value = null;
    } catch (e) {
      error.value = e instanceof Error ? e.message : String(e);
      message.value = error.value;
    }
  }

  async function restart(next?: BackendName): Promise<void> {
    state.value = 'restarting';
    try {
      info.value = await bridge.request('engine.restart', next ? { backend: next } : {});
      state.value = 'ready';
      error.value = null;
    } catch (e) {
      error.value = e instanceof Error ? e.message : String(e);
    }
  }

  bridge.on('engine.status', (event) => {
    state.value = event.state;
    message.value = event.message;
    if (event.state === 'ready') void refresh();
  });

  return { info, state, message, error, backend, refresh, restart };
});
