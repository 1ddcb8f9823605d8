import { defineStore } from 'pinia';
import { computed, ref, shallowRef } from 'vue';
import type { RunSummary } from '@contract';
import { useBridge } from '../bridge';

export type RunSortKey = 'startedAt' | 'name' | 'status' | 'dataset' | 'seed' | 'loss' | 'valAccuracy' | 'findings';

/** The runs on disk, as the Runs screen lists them: sortable and filterable. */
export const useRunsStore = defineStore('runs', () => {
  const bridge = useBridge();
  const runs = shallowRef<RunSummary[]>([]);
  const loading = ref(false);
  const error = ref<string | null>(null);
  const filter = ref('');
  const sortKey = ref<RunSortKey>('startedAt');
  const descending = ref(true);

  const visible = computed(() => {
    const needle = filter.value.trim().toLowerCase();
    const shown = needle
      ? runs.value.filter((r) => [r.name, r.status, r.dataset, r.backend, r.id].some((field) => field.toLowerCase().includes(needle)))
      : [...runs.value];
    const key = sortKey.value;
    const sign = descending.value ? -1 : 1;
    return shown.sort((a, b) => {
      const x = a[key];
      const y = b[key];
      if (x === y) return 0;
      if (x === null) return 1;
      if (y === null) return -1;
      return (x < y ? -1 : 1) * sign;
    });
  });

  async function refresh(): Promise<void> {
    loading.value = true;
    try {
      runs.value = await bridge.request('runs.list', {});
      error.value = null;
    } catch (e) {
      error.value = e instanceof Error ? e.message : String(e);
    } finally {
      loading.value = false;
    }
  }

  function sortBy(key: RunSortKey): void {
    if (sortKey.value === key) descending.value = !descending.value;
    else {
      sortKey.value = key;
      descending.value = key === 'startedAt';
    }
  }

  // A run that ends anywhere changes the list.
  bridge.on('train.status', (event) => {
    if (event.status !== 'running' && event.status !== 'paused') void refresh();
  });

  return { runs, visible, loading, error, filter, sortKey, descending, refresh, sortBy };
});
