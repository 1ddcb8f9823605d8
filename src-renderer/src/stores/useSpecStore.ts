import { defineStore } from 'pinia';
import { computed, ref, shallowRef, watch } from 'vue';
import { inferShapes, Monitor, Training, type DataShape, type DatasetRef, type LayerType, type Normalization, type Spec, type SpecCheck, type SpecIssue } from '@contract';
import { useBridge } from '../bridge';
import { downloadBytes } from '../components/download';
import { parseEditableSpec, readSpecFile, specFileName, specFileText } from '../features/model/specFile';
import { changeLayerType as retype, defaultLayer, duplicateLayer as duplicated, insertLayer, moveLayer as moved, removeLayer as removed, setAtPath } from '../features/model/layerEdits';
import { knownDataShape, suggestedSetup } from '../features/model/datasets';

const STORAGE_KEY = 'trainbench.spec.v1';
const REPEAT_KEY = 'trainbench.repeat.v1';
/** Undo steps kept; each is one spec as JSON (a few kB), so 200 cost well under a megabyte. */
export const HISTORY_LIMIT = 200;
/** Quiet time after an edit before the engine is asked to check the spec: one check per burst of typing. */
export const CHECK_DELAY_MS = 150;
/** As many runs as the Train screen overlays. */
export const MAX_REPEAT = 64;

/**
 * The spec being edited and trained: kept across restarts, replaced by a preset in one click,
 * with undo and redo over every change to it, and the engine's check of it.
 */
export const useSpecStore = defineStore('spec', () => {
  const bridge = useBridge();
  const presets = shallowRef<{ name: string; spec: Spec }[]>([]);
  const spec = ref<Spec | null>(null);
  const error = ref<string | null>(null);
  /** Why the last file could not be opened, naming the file and the field; null once resolved. */
  const fileError = ref<string | null>(null);
  /** Runs to train one after another with seeds seed, seed+1, …: a setting of this UI, not of the spec. */
  const repeat = ref(restoreRepeat());

  const name = computed(() => spec.value?.name ?? 'untitled');

  // ---- history: the spec as JSON before each change; `current` is the spec as last recorded.
  const past = shallowRef<string[]>([]);
  const future = shallowRef<string[]>([]);
  const current = ref<string | null>(null);
  const canUndo = computed(() => past.value.length > 0);
  const canRedo = computed(() => future.value.length > 0);

  // ---- the engine's check of `current`
  const check = shallowRef<SpecCheck | null>(null);
  const checkedJson = ref<string | null>(null);
  const checkError = ref<string | null>(null);
  const checkPending = computed(() => current.value !== null && checkedJson.value !== current.value);
  const checkedDataset = computed(() => (checkedJson.value === null ? null : JSON.stringify((JSON.parse(checkedJson.value) as Spec).dataset)));
  /** What the dataset gives: the engine's last answer for this dataset, else what is known of the built-ins. */
  const dataShape = computed<DataShape | null>(() => {
    if (!spec.value) return null;
    const data = check.value?.data;
    if (data && checkedDataset.value === JSON.stringify(spec.value.dataset)) return { inputShape: data.inputShape, task: data.task, outputs: data.outputs };
    return knownDataShape(spec.value.dataset);
  });
  /**
   * Shapes, parameters and issues of the spec as it is now: the engine's check once it has
   * answered for this very spec; until then the same inference runs here, on the dataset's
   * shape as last reported, so that the blocks never show the previous edit's figures.
   */
  const report = computed<SpecCheck | null>(() => {
    if (!spec.value) return null;
    if (check.value && !checkPending.value) return check.value;
    return localCheck(spec.value, dataShape.value);
  });
  let checkTimer: ReturnType<typeof setTimeout> | null = null;
  let checkSeq = 0;

  /** The spec, plain (no reactive proxy), to edit a copy of. */
  const plain = (): Spec | null => (current.value === null ? null : (JSON.parse(current.value) as Spec));

  /** Records a new state of the spec; every path that changes the spec comes through here. */
  function record(json: string): void {
    if (json === current.value) return;
    if (current.value !== null) past.value = [...past.value, current.value].slice(-HISTORY_LIMIT);
    future.value = [];
    current.value = json;
    changed();
  }

  function changed(): void {
    if (current.value !== null) localStorage.setItem(STORAGE_KEY, current.value);
    if (checkTimer !== null) clearTimeout(checkTimer);
    checkTimer = setTimeout(() => {
      checkTimer = null;
      void runCheck();
    }, CHECK_DELAY_MS);
  }

  /** Replaces the spec with a new one, as one undoable edit. */
  function commit(next: Spec): void {
    record(JSON.stringify(next));
    spec.value = next;
  }

  // Edits made elsewhere (the Train screen's fields bind to the spec directly) are recorded
  // too, one undo step per tick.
  watch(
    spec,
    (value) => {
      if (value) record(JSON.stringify(value));
    },
    { deep: true },
  );

  function undo(): void {
    const previous = past.value.at(-1);
    if (previous === undefined || current.value === null) return;
    past.value = past.value.slice(0, -1);
    future.value = [...future.value, current.value];
    current.value = previous;
    spec.value = JSON.parse(previous) as Spec;
    changed();
  }

  function redo(): void {
    const next = future.value.at(-1);
    if (next === undefined || current.value === null) return;
    future.value = future.value.slice(0, -1);
    past.value = [...past.value, current.value].slice(-HISTORY_LIMIT);
    current.value = next;
    spec.value = JSON.parse(next) as Spec;
    changed();
  }

  async function runCheck(): Promise<void> {
    const json = current.value;
    if (json === null) return;
    const value = JSON.parse(json) as Spec;
    const seq = ++checkSeq;
    if (value.model.layers.length === 0) {
      // The engine's schema needs a layer; an empty canvas has nothing to check yet.
      check.value = null;
      checkError.value = null;
      checkedJson.value = json;
      return;
    }
    try {
      const result = await bridge.request('spec.check', { spec: value });
      if (seq !== checkSeq) return;
      check.value = result;
      checkError.value = null;
    } catch (e) {
      if (seq !== checkSeq) return;
      // Without the engine the same shape inference still runs here, on what is known of the data.
      check.value = localCheck(value, knownDataShape(value.dataset));
      checkError.value = `the engine could not check the spec (${e instanceof Error ? e.message : String(e)}); shapes are inferred here`;
    }
    checkedJson.value = json;
  }

  // A restarted engine (after a crash, or on another backend) checks the spec afresh.
  bridge.on('engine.status', (event) => {
    if (event.state === 'ready' && current.value !== null) void runCheck();
  });

  function restore(): void {
    const saved = localStorage.getItem(STORAGE_KEY);
    if (!saved) return;
    try {
      const parsed = parseEditableSpec(JSON.parse(saved));
      if (parsed.spec) {
        spec.value = parsed.spec;
        current.value = JSON.stringify(parsed.spec);
        changed();
      } else error.value = `the saved spec is no longer valid (${parsed.issues[0]?.path}: ${parsed.issues[0]?.message}); starting from a preset`;
    } catch {
      error.value = 'the saved spec could not be read; starting from a preset';
    }
  }

  async function loadPresets(): Promise<void> {
    try {
      presets.value = await bridge.request('presets.list', {});
      if (!spec.value) usePreset('xor');
    } catch (e) {
      error.value = e instanceof Error ? e.message : String(e);
    }
  }

  function usePreset(presetName: string): void {
    const preset = presets.value.find((p) => p.name === presetName);
    if (preset) commit(structuredClone(preset.spec));
  }

  /** A network with no layers on the current dataset, with a training set-up that suits it. */
  function newEmpty(): void {
    const dataset: DatasetRef = plain()?.dataset ?? { kind: 'builtin', name: 'xor', size: 200, seed: 0 };
    const setup = suggestedSetup(knownDataShape(dataset), dataset.kind === 'builtin' ? dataset.name : undefined);
    commit({
      version: 1,
      name: 'untitled',
      dataset,
      normalization: setup.normalization,
      model: { layers: [] },
      training: Training.parse({ optimizer: setup.optimizer, loss: setup.loss, batchSize: setup.batchSize, epochs: setup.epochs }),
      monitor: Monitor.parse({}),
    });
  }

  /**
   * Sets the values at field paths (`model.layers.1.units`, `training.loss`) as one edit;
   * `undefined` removes an optional field. Nothing changes when the result is not a valid
   * spec: the first problem is returned instead, with the path of the field it concerns.
   */
  function setFields(values: Record<string, unknown>): SpecIssue | null {
    let next: unknown = plain();
    if (next === null) return { path: '(root)', message: 'there is no spec to edit' };
    for (const [path, value] of Object.entries(values)) next = setAtPath(next, path, value);
    const parsed = parseEditableSpec(next);
    if (!parsed.spec) return parsed.issues[0] ?? { path: '(root)', message: 'not a valid spec' };
    commit(parsed.spec);
    return null;
  }

  const setField = (path: string, value: unknown): SpecIssue | null => setFields({ [path]: value });

  function editLayers(edit: (layers: Spec['model']['layers']) => Spec['model']['layers']): void {
    const next = plain();
    if (!next) return;
    next.model.layers = edit(next.model.layers);
    commit(next);
  }

  /** Adds a new layer of a type at `at` (default: the end); returns its index. */
  function addLayer(type: LayerType, at?: number): number {
    const layers = spec.value?.model.layers ?? [];
    const index = Math.max(0, Math.min(at ?? layers.length, layers.length));
    editLayers((list) => insertLayer(list, defaultLayer(type, dataShape.value?.inputShape), index));
    return index;
  }
  const removeLayer = (index: number): void => editLayers((list) => removed(list, index));
  const moveLayer = (from: number, to: number): void => editLayers((list) => moved(list, from, to));
  const duplicateLayer = (index: number): void => editLayers((list) => duplicated(list, index));
  function changeLayerType(index: number, type: LayerType): void {
    editLayers((list) => list.map((layer, i) => (i === index ? retype(layer, type, dataShape.value?.inputShape) : layer)));
  }

  /**
   * Switches dataset. When the kind of target or input changes (classes ↔ regression, points
   * ↔ images), the loss and normalisation follow, and an input layer takes the new shape:
   * otherwise the first edit after a switch would be to repair them.
   */
  function setDataset(dataset: DatasetRef): void {
    const next = plain();
    if (!next) return;
    const before = knownDataShape(next.dataset);
    const after = knownDataShape(dataset);
    next.dataset = dataset;
    if (after && (before?.task !== after.task || before.inputShape.length !== after.inputShape.length)) {
      const setup = suggestedSetup(after, dataset.kind === 'builtin' ? dataset.name : undefined);
      next.training.loss = setup.loss;
      next.normalization = setup.normalization;
    }
    const first = next.model.layers[0];
    if (after && first?.type === 'input') first.shape = [...after.inputShape];
    commit(next);
  }

  /**
   * Makes a dataset the spec's, as one undoable edit, from the Data screen: the normalisation
   * is the one the dataset was loaded and previewed with (the engine applies the spec's to a
   * loaded set), and `shape` is what the engine reported for it, so that the loss and an
   * input layer follow as in setDataset even for a dropped set whose shape only it knows.
   */
  function useDataset(dataset: DatasetRef, normalization: Normalization, shape: DataShape | null): void {
    const next = plain();
    if (!next) return;
    const before = dataShape.value;
    const after = shape ?? knownDataShape(dataset);
    next.dataset = dataset;
    next.normalization = normalization;
    if (after && (before?.task !== after.task || before.inputShape.length !== after.inputShape.length)) {
      next.training.loss = suggestedSetup(after, dataset.kind === 'builtin' ? dataset.name : undefined).loss;
    }
    const first = next.model.layers[0];
    if (after && first?.type === 'input') first.shape = [...after.inputShape];
    commit(next);
  }

  /** Opens the text of a spec file; on a problem the spec stays as it was and `fileError` says why. */
  function openFile(text: string, fileName: string): boolean {
    const result = readSpecFile(text, fileName);
    if (!result.spec) {
      fileError.value = result.error;
      return false;
    }
    fileError.value = null;
    commit(result.spec);
    return true;
  }

  /** The file a save writes: `<name>.trainbench.json` and its text. */
  function fileOf(): { fileName: string; text: string } | null {
    const value = plain();
    return value ? { fileName: specFileName(value), text: specFileText(value) } : null;
  }

  // ---- "PyTorch script": the spec as it is now, its data as the engine prepares it, in one tar.
  const exporting = ref(false);
  /** What the last export did, in words; `ok` false when the engine refused it (the message names the layer or option). */
  const exportResult = ref<{ ok: boolean; text: string } | null>(null);

  async function exportPytorch(): Promise<boolean> {
    const value = plain();
    if (!value || exporting.value) return false;
    exporting.value = true;
    exportResult.value = null;
    try {
      const result = await bridge.request('spec.export', { spec: value, to: 'pytorch' });
      downloadBytes(result.fileName, result.bytes, result.mediaType);
      exportResult.value = { ok: true, text: `Exported ${result.fileName}: train.py (torch + numpy) and data.npz` };
      return true;
    } catch (e) {
      exportResult.value = { ok: false, text: e instanceof Error ? e.message : String(e) };
      return false;
    } finally {
      exporting.value = false;
    }
  }

  function setRepeat(count: number): void {
    if (!Number.isInteger(count) || count < 1 || count > MAX_REPEAT) return;
    repeat.value = count;
    localStorage.setItem(REPEAT_KEY, String(count));
  }

  restore();

  return {
    presets,
    spec,
    error,
    name,
    loadPresets,
    usePreset,
    fileError,
    repeat,
    setRepeat,
    canUndo,
    canRedo,
    undo,
    redo,
    check,
    checkError,
    checkPending,
    dataShape,
    report,
    newEmpty,
    setField,
    setFields,
    addLayer,
    removeLayer,
    moveLayer,
    duplicateLayer,
    changeLayerType,
    setDataset,
    useDataset,
    openFile,
    fileOf,
    exporting,
    exportResult,
    exportPytorch,
  };
});

function restoreRepeat(): number {
  const saved = Number(localStorage.getItem(REPEAT_KEY));
  return Number.isInteger(saved) && saved >= 1 && saved <= MAX_REPEAT ? saved : 1;
}

/** spec.check's answer computed here, from the dataset's shape when it is known. */
function localCheck(spec: Spec, data: DataShape | null): SpecCheck {
  const report = inferShapes(spec, data ?? undefined);
  const dataName = spec.dataset.kind === 'builtin' ? spec.dataset.name : spec.dataset.kind;
  return {
    data: data ? { name: dataName, ...data } : null,
    dataError: null,
    layers: report.layers,
    issues: report.issues,
    // The engine's static diagnosis arrives with its answer; the local estimate has none.
    findings: [],
    totalParams: report.totalParams,
    trainableParams: report.trainableParams,
    flopsPerSample: report.flopsPerSample,
    activationBytesPerSample: report.activationBytesPerSample,
    outputShape: report.outputShape,
  };
}
