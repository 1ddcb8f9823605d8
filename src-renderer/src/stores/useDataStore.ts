import { defineStore } from 'pinia';
import { computed, ref, shallowRef } from 'vue';
import { applyReadOptions, type DataShape, type DatasetRef, type DatasetSource, type LoadedDataset, type Normalization, type ReadOptions, type SamplePreview } from '@contract';
import { useBridge } from '../bridge';
import { useSpecStore } from './useSpecStore';
import { desktopSource, type FileSource } from '../features/data/dropPlan';
import { dropName, type DroppedFile } from '../features/data/droppedFiles';
import { UploadCancelled, uploadFiles } from '../features/data/uploadChunks';
import { DEFAULT_SYNTHETIC_SIZE } from '../features/model/datasets';

type BuiltinSource = Extract<DatasetSource, { kind: 'builtin' }>;

/**
 * Where a loaded dataset came from: what "use" puts in the spec (a built-in's own reference,
 * others by id) and what a reload with another normalisation reads again.
 */
export type DatasetOrigin = { kind: 'builtin'; source: BuiltinSource } | { kind: 'path'; source: FileSource } | { kind: 'upload' };

/** The load in progress, as the progress bar shows it. */
export interface DataActivity {
  /** What is being loaded: "IDX train + t10k (4 files)". */
  label: string;
  /** upload: bytes sent; decode: the engine reading the upload (images decoded of total when total > 0); read: a path read, no fraction. */
  phase: 'upload' | 'decode' | 'read';
  done: number;
  total: number;
  cancellable: boolean;
}

/** A load that failed: which drop, and the engine's message (which starts with the file at fault). */
export interface DataError {
  title: string;
  message: string;
}

const STORAGE_KEY = 'trainbench.datasets.v1';
/** Samples drawn in the grid for image sets and in the table for other features. */
export const GRID_SAMPLES = 48;
/** Points in the scatter plot of a 2-D set: the engine's largest preview. */
export const SCATTER_SAMPLES = 1024;

interface Saved {
  origins: Record<string, DatasetOrigin>;
  /** Ids replaced by a reload with another normalisation: the engine still holds them, the list does not show them. */
  superseded: string[];
}

/** sessionStorage when there is one: the engine outlives a page reload in serve mode, and so should what the page knows of its datasets. */
function session(): Storage | null {
  return typeof sessionStorage === 'undefined' ? null : sessionStorage;
}

function restore(): Saved {
  try {
    const raw = session()?.getItem(STORAGE_KEY);
    const parsed = raw ? (JSON.parse(raw) as Partial<Saved>) : {};
    return { origins: parsed.origins ?? {}, superseded: parsed.superseded ?? [] };
  } catch {
    return { origins: {}, superseded: [] };
  }
}

const messageOf = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/** The shape a dataset gives the network, as the spec store's inference takes it. */
export function dataShapeOf(info: LoadedDataset): DataShape {
  const s = info.summary;
  return { inputShape: [...s.inputShape], task: s.task, outputs: s.task === 'classification' ? (s.classNames?.length ?? 0) : s.targetDim };
}

/** Whether a built-in reference and a loaded built-in's source name the same samples. */
function sameBuiltin(ref: Extract<DatasetRef, { kind: 'builtin' }>, source: BuiltinSource): boolean {
  if (ref.name !== source.name) return false;
  if (ref.name === 'mnist') return true;
  return (ref.size ?? DEFAULT_SYNTHETIC_SIZE) === (source.size ?? DEFAULT_SYNTHETIC_SIZE) && (ref.seed ?? 0) === (source.seed ?? 0) && (ref.noise ?? 0) === (source.noise ?? 0);
}

/**
 * The datasets of the Data screen: those the engine holds, the one whose preview is shown, the
 * load in progress (a path read in the desktop app, a chunked upload in a browser), and the
 * last error. A failed or cancelled load leaves every dataset already loaded as it was.
 */
export const useDataStore = defineStore('data', () => {
  const bridge = useBridge();
  const specs = useSpecStore();

  const datasets = shallowRef<LoadedDataset[]>([]);
  const saved = restore();
  const origins = ref<Record<string, DatasetOrigin>>(saved.origins);
  const superseded = new Set(saved.superseded);
  const selectedId = ref<string | null>(null);
  const activity = shallowRef<DataActivity | null>(null);
  const error = shallowRef<DataError | null>(null);
  /** A quiet line after something that is not an error: "Upload cancelled". */
  const notice = ref<string | null>(null);
  /** Whether the engine's list has been read at least once. */
  const listed = ref(false);

  const samples = shallowRef<SamplePreview[]>([]);
  const sampleSplit = ref<'train' | 'test'>('train');
  const sampleSeed = ref<number | null>(null);
  const samplesError = ref<string | null>(null);

  /** The files of each upload, kept (as handles, not bytes) to send again with another normalisation. */
  const uploaded = new Map<string, readonly DroppedFile[]>();
  /** The read options each dataset was loaded with (none: the readers' own choices). */
  const readOptions = ref<Record<string, ReadOptions>>({});
  let abort: AbortController | null = null;
  let sampleSeq = 0;

  const selected = computed(() => datasets.value.find((d) => d.summary.id === selectedId.value) ?? null);

  /** The listed dataset the spec trains on, if it is one of them. */
  const inUseId = computed<string | null>(() => {
    const spec = specs.spec;
    if (!spec) return null;
    const ref = spec.dataset;
    if (ref.kind === 'loaded') return datasets.value.some((d) => d.summary.id === ref.id) ? ref.id : null;
    if (ref.kind !== 'builtin') return null;
    const matches = datasets.value.filter((d) => {
      const origin = origins.value[d.summary.id];
      return origin?.kind === 'builtin' && sameBuiltin(ref, origin.source);
    });
    return (matches.find((d) => d.summary.normalization === spec.normalization) ?? matches[0])?.summary.id ?? null;
  });

  function persist(): void {
    const live = new Set(datasets.value.map((d) => d.summary.id));
    const kept = Object.fromEntries(Object.entries(origins.value).filter(([id]) => live.has(id) || !listed.value));
    session()?.setItem(STORAGE_KEY, JSON.stringify({ origins: kept, superseded: [...superseded] } satisfies Saved));
  }

  /** Adds a dataset (or replaces the one at `replace`'s place) and shows it. */
  function add(info: LoadedDataset, origin: DatasetOrigin, replace?: string): void {
    const id = info.summary.id;
    superseded.delete(id);
    origins.value = { ...origins.value, [id]: origin };
    const list = datasets.value.filter((d) => d.summary.id !== id);
    const at = replace === undefined ? -1 : list.findIndex((d) => d.summary.id === replace);
    if (replace !== undefined && at >= 0) {
      superseded.add(replace);
      list.splice(at, 1, info);
    } else list.push(info);
    datasets.value = list;
    persist();
    void select(id);
  }

  /** The engine's datasets, in the order this page loaded them; those replaced by a reload stay hidden. */
  async function refresh(): Promise<void> {
    try {
      const all = (await bridge.request('dataset.list', {})).filter((d) => !superseded.has(d.summary.id));
      const order = new Map(datasets.value.map((d, i) => [d.summary.id, i]));
      const known = all.filter((d) => order.has(d.summary.id)).sort((a, b) => order.get(a.summary.id)! - order.get(b.summary.id)!);
      datasets.value = [...known, ...all.filter((d) => !order.has(d.summary.id))];
      listed.value = true;
      persist();
      if (!selected.value) void select(inUseId.value ?? datasets.value.at(-1)?.summary.id ?? null);
    } catch (e) {
      error.value = { title: 'Could not list the loaded datasets', message: messageOf(e) };
    }
  }

  async function select(id: string | null): Promise<void> {
    if (selectedId.value !== id) {
      selectedId.value = id;
      sampleSplit.value = 'train';
      sampleSeed.value = null;
    }
    await loadSamples();
  }

  /** The samples the preview draws: the load's own for an image grid, more from the engine for a scatter plot or another split. */
  async function loadSamples(): Promise<void> {
    const info = selected.value;
    const seq = ++sampleSeq;
    samplesError.value = null;
    if (!info) {
      samples.value = [];
      return;
    }
    const points = info.summary.inputShape.length === 1 && info.summary.inputShape[0] === 2;
    const n = points ? SCATTER_SAMPLES : GRID_SAMPLES;
    if (!points && sampleSplit.value === 'train' && sampleSeed.value === null && info.preview.length > 0) {
      samples.value = info.preview;
      return;
    }
    try {
      const split = sampleSplit.value;
      const result = await bridge.request('dataset.preview', { id: info.summary.id, n, split, ...(sampleSeed.value !== null ? { seed: sampleSeed.value } : {}) });
      if (seq === sampleSeq) samples.value = result;
    } catch (e) {
      if (seq !== sampleSeq) return;
      samples.value = info.preview;
      samplesError.value = messageOf(e);
    }
  }

  function showSplit(split: 'train' | 'test'): void {
    sampleSplit.value = split;
    void loadSamples();
  }

  /** Other samples, drawn at random. */
  function reshuffle(): void {
    sampleSeed.value = Math.floor(Math.random() * 2 ** 31);
    void loadSamples();
  }

  /** Runs one load at a time; its error replaces the last one and touches nothing loaded. */
  async function run(label: string, title: string, work: () => Promise<void>): Promise<void> {
    if (activity.value) {
      error.value = { title: `Could not load ${label}`, message: `${activity.value.label} is still loading; wait for it or cancel it first` };
      return;
    }
    error.value = null;
    notice.value = null;
    activity.value = { label, phase: 'read', done: 0, total: 0, cancellable: false };
    try {
      await work();
    } catch (e) {
      if (e instanceof UploadCancelled) notice.value = `Cancelled: ${label} was not loaded`;
      else error.value = { title, message: messageOf(e) };
    } finally {
      activity.value = null;
      abort = null;
    }
  }

  async function upload(files: readonly DroppedFile[], label: string, normalization?: Normalization, read?: ReadOptions): Promise<LoadedDataset> {
    abort = new AbortController();
    let uploadId: string | null = null;
    const stop = bridge.on('dataset.progress', (event) => {
      if (event.id !== uploadId || !activity.value) return;
      // decode tells the upload is in; images counts the images decoded (a bar).
      if (event.phase === 'decode') activity.value = { ...activity.value, phase: 'decode', done: 0, total: 0, cancellable: true };
      if (event.phase === 'images') activity.value = { ...activity.value, phase: 'decode', done: event.done, total: event.total, cancellable: true };
    });
    try {
      return await uploadFiles(bridge, files, {
        name: label,
        ...(normalization ? { normalization } : {}),
        // No options: the readers' own choices (nothing sent).
        ...(read && Object.keys(read).length > 0 ? { read } : {}),
        signal: abort.signal,
        onBegin: (id) => (uploadId = id),
        onProgress: (p) => {
          // The decode step's own events (above) carry its counts.
          if (p.phase === 'upload') activity.value = { label, phase: p.phase, done: p.done, total: p.total, cancellable: true };
          else if (activity.value?.phase !== 'decode') activity.value = { label, phase: 'decode', done: 0, total: 0, cancellable: true };
        },
      });
    } finally {
      stop();
    }
  }

  /**
   * Loads dropped or chosen files as one dataset: read where they lie when the host can see
   * their paths (the desktop app), uploaded in chunks otherwise (a browser).
   */
  async function loadFiles(files: readonly DroppedFile[]): Promise<void> {
    const label = dropName(files);
    await run(label, `Could not load ${label}`, async () => {
      if (files.length === 0) throw new Error('the drop holds no files (hidden files are skipped)');
      const absolute = files.map((f) => bridge.pathForFile(f.file));
      if (absolute.every((p): p is string => p !== null)) {
        const plan = desktopSource(files.map((f, i) => ({ path: f.path, absolute: absolute[i]! })));
        if ('error' in plan) throw new Error(plan.error);
        const info = await bridge.request('dataset.load', { source: plan.source, name: label });
        add(info, { kind: 'path', source: plan.source });
        return;
      }
      const info = await upload(files, label);
      uploaded.set(info.summary.id, files);
      add(info, { kind: 'upload' });
    });
  }

  /** Loads a built-in set in one click (its size, seed and noise for the synthetic ones). */
  async function loadBuiltin(source: BuiltinSource): Promise<void> {
    const label = source.name === 'mnist' ? 'mnist' : `${source.name} (${source.size ?? DEFAULT_SYNTHETIC_SIZE} points, seed ${source.seed ?? 0})`;
    await run(label, `Could not load ${label}`, async () => {
      const info = await bridge.request('dataset.load', { source });
      add(info, { kind: 'builtin', source });
    });
  }

  /** The one-click fix for unnormalised inputs: the same data again, with this normalisation, in the same place in the list. */
  async function renormalize(id: string, normalization: Normalization): Promise<void> {
    await reload(id, normalization, readOptions.value[id] ?? {}, `with normalisation ${normalization}`);
  }

  /** The same files read again with other options (a CSV file's header or missing values, an image folder's size), in the same place in the list. */
  async function reread(id: string, read: ReadOptions): Promise<void> {
    const info = datasets.value.find((d) => d.summary.id === id);
    if (!info) return;
    await reload(id, info.summary.normalization, read, 'with these options');
  }

  async function reload(id: string, normalization: Normalization, read: ReadOptions, what: string): Promise<void> {
    const info = datasets.value.find((d) => d.summary.id === id);
    const origin = origins.value[id];
    if (!info) return;
    const label = info.summary.name;
    const wasInUse = inUseId.value === id;
    await run(label, `Could not reload ${label} ${what}`, async () => {
      let next: LoadedDataset;
      let nextOrigin: DatasetOrigin = origin ?? { kind: 'upload' };
      if (origin?.kind === 'builtin') {
        next = await bridge.request('dataset.load', { source: origin.source, normalization });
      } else if (origin?.kind === 'path') {
        const source = applyReadOptions(origin.source, read);
        next = await bridge.request('dataset.load', { source, normalization, name: label });
        nextOrigin = { kind: 'path', source };
      } else {
        const files = uploaded.get(id);
        if (!files) throw new Error(`${label}: its files were dropped before this page was loaded; drop them again to load them ${what}`);
        next = await upload(files, label, normalization, read);
        uploaded.set(next.summary.id, files);
      }
      readOptions.value = { ...readOptions.value, [next.summary.id]: read };
      add(next, nextOrigin, id);
      if (wasInUse) await use(next.summary.id);
    });
  }

  /** Makes a dataset the spec's: its built-in reference, or {kind: 'loaded', id} for dropped and path-loaded sets. */
  async function use(id: string): Promise<void> {
    const info = datasets.value.find((d) => d.summary.id === id);
    if (!info) return;
    if (!specs.spec) await specs.loadPresets();
    const origin = origins.value[id];
    const ref: DatasetRef = origin?.kind === 'builtin' ? { ...origin.source } : { kind: 'loaded', id };
    specs.useDataset(ref, info.summary.normalization, dataShapeOf(info));
  }

  function cancel(): void {
    abort?.abort();
  }

  function dismissError(): void {
    error.value = null;
  }

  /** Shows a problem found before anything reached the engine (a folder that cannot be read). */
  function showError(title: string, message: string): void {
    error.value = { title, message };
  }

  // A restarted engine holds no datasets: the list follows it.
  bridge.on('engine.status', (event) => {
    if (event.state === 'ready' && listed.value) void refresh();
  });

  return {
    datasets,
    listed,
    origins,
    selectedId,
    selected,
    inUseId,
    activity,
    error,
    notice,
    samples,
    sampleSplit,
    samplesError,
    refresh,
    select,
    showSplit,
    reshuffle,
    loadFiles,
    loadBuiltin,
    renormalize,
    reread,
    readOptions,
    use,
    cancel,
    dismissError,
    showError,
  };
});
