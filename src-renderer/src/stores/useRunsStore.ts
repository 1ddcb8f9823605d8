import { defineStore } from 'pinia';
import { computed, ref, shallowRef } from 'vue';
import type { RunExportWhat, RunSummary, RunsFolder } from '@contract';
import { useBridge } from '../bridge';
import { downloadBytes } from '../components/download';

export type RunSortKey = 'startedAt' | 'name' | 'specName' | 'status' | 'dataset' | 'seed' | 'best' | 'findings' | 'loss' | 'valAccuracy';

/** The value a run is sorted by in a column; null sorts last whichever the direction. */
function sortValue(run: RunSummary, key: RunSortKey): string | number | null {
  if (key === 'best') return run.best?.value ?? null;
  if (key === 'specName') return run.specName ?? null;
  return run[key];
}

const message = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/** The runs on disk, as the Runs screen lists them: sortable, filterable, and what can be done to each. */
export const useRunsStore = defineStore('runs', () => {
  const bridge = useBridge();
  const runs = shallowRef<RunSummary[]>([]);
  const loading = ref(false);
  const error = ref<string | null>(null);
  const filter = ref('');
  /** Only runs carrying this tag; '' for all. */
  const tagFilter = ref('');
  const sortKey = ref<RunSortKey>('startedAt');
  const descending = ref(true);
  const folder = ref<RunsFolder | null>(null);
  /** The folder of the run last revealed where the host cannot open a file manager (serve). */
  const revealed = ref<{ runId: string; path: string } | null>(null);
  /** What the last action did, for a polite live region. */
  const notice = ref('');

  const allTags = computed(() => [...new Set(runs.value.flatMap((r) => r.tags ?? []))].sort());

  const visible = computed(() => {
    const needle = filter.value.trim().toLowerCase();
    const tag = tagFilter.value;
    const shown = runs.value.filter((r) => {
      if (tag && !(r.tags ?? []).includes(tag)) return false;
      if (!needle) return true;
      return [r.name, r.specName ?? '', r.status, r.dataset, r.backend, r.id, ...(r.tags ?? [])].some((field) => field.toLowerCase().includes(needle));
    });
    const key = sortKey.value;
    const sign = descending.value ? -1 : 1;
    return shown.sort((a, b) => {
      const x = sortValue(a, key);
      const y = sortValue(b, key);
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
      error.value = message(e);
    } finally {
      loading.value = false;
    }
  }

  function sortBy(key: RunSortKey): void {
    if (sortKey.value === key) descending.value = !descending.value;
    else {
      sortKey.value = key;
      descending.value = key === 'startedAt' || key === 'best' || key === 'findings';
    }
  }

  function replace(updated: RunSummary): void {
    runs.value = runs.value.map((r) => (r.id === updated.id ? updated : r));
  }

  /** Runs an action; its error is shown on the screen rather than thrown at the caller. */
  async function act(what: () => Promise<void>): Promise<boolean> {
    try {
      await what();
      error.value = null;
      return true;
    } catch (e) {
      error.value = message(e);
      return false;
    }
  }

  const rename = (runId: string, name: string): Promise<boolean> =>
    act(async () => {
      replace(await bridge.request('runs.rename', { runId, name }));
      notice.value = `Renamed to ${name.trim()}`;
    });

  const setTags = (runId: string, tags: string[]): Promise<boolean> =>
    act(async () => {
      replace(await bridge.request('runs.tag', { runId, tags }));
      if (tagFilter.value && !allTags.value.includes(tagFilter.value)) tagFilter.value = '';
    });

  const remove = (runId: string): Promise<boolean> =>
    act(async () => {
      const result = await bridge.request('runs.delete', { runId });
      runs.value = runs.value.filter((r) => r.id !== runId);
      notice.value = result.where === 'system-trash' ? `Moved ${runId} to the trash` : `Moved ${runId} to ${result.path ?? 'the runs trash'}`;
    });

  const reveal = (runId: string): Promise<boolean> =>
    act(async () => {
      const result = await bridge.request('runs.reveal', { runId });
      revealed.value = result.shown ? null : { runId, path: result.path };
      notice.value = result.shown ? `Showing ${runId} in the file manager` : `${runId} is at ${result.path}`;
    });

  const exportRun = (runId: string, what: RunExportWhat): Promise<boolean> =>
    act(async () => {
      const result = await bridge.request('runs.export', { runId, what });
      downloadBytes(result.fileName, result.bytes, result.mediaType);
      // A PyTorch script is also written beside the run: say where, so it can be run in place.
      notice.value = what === 'pytorch' && result.path ? `Exported ${result.fileName}; the script is also in ${result.path}` : `Exported ${result.fileName}`;
    });

  const loadFolder = (): Promise<boolean> =>
    act(async () => {
      folder.value = await bridge.request('runs.folder', {});
    });

  const setFolder = (path: string): Promise<boolean> =>
    act(async () => {
      folder.value = await bridge.request('runs.folder', { path });
      notice.value = `Runs are now kept in ${folder.value.path}`;
      await refresh();
    });

  // A run that ends anywhere changes the list.
  bridge.on('train.status', (event) => {
    if (event.status !== 'running' && event.status !== 'paused') void refresh();
  });

  return {
    runs,
    visible,
    allTags,
    loading,
    error,
    filter,
    tagFilter,
    sortKey,
    descending,
    folder,
    revealed,
    notice,
    refresh,
    sortBy,
    rename,
    setTags,
    remove,
    reveal,
    exportRun,
    loadFolder,
    setFolder,
  };
});
