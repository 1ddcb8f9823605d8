import { defineStore } from 'pinia';
import { computed, ref, shallowRef } from 'vue';
import type { InspectLayerView, InspectOpenModelRequest, InspectRun, InspectUnitView, ProbeLayer, Surface } from '@contract';
import { useBridge } from '../bridge';

type View = 'layer' | 'unit' | 'surface';

/**
 * The Inspect screen's state: a saved run, the snapshot, layer and unit looked at, and what the
 * engine computed for them. Each view is asked for again when what it depends on changes; an
 * answer that arrives after a newer question is dropped.
 */
export const useInspectStore = defineStore('inspect', () => {
  const bridge = useBridge();
  const run = shallowRef<InspectRun | null>(null);
  const stepIndex = ref(0);
  const layerName = ref<string | null>(null);
  const unit = ref<number | null>(null);
  /** Samples to compute over: null for the whole training split. */
  const sample = ref<number | null>(null);
  const layerView = shallowRef<InspectLayerView | null>(null);
  const unitView = shallowRef<InspectUnitView | null>(null);
  const surface = shallowRef<Surface | null>(null);
  const error = ref<string | null>(null);
  const opening = ref(false);
  const pending = ref<Record<View, boolean>>({ layer: false, unit: false, surface: false });
  const asked: Record<View, number> = { layer: 0, unit: 0, surface: 0 };

  const runId = computed(() => run.value?.runId ?? null);
  const step = computed(() => run.value?.snapshots[stepIndex.value]?.step ?? null);
  const layer = computed(() => run.value?.layers.find((l) => l.name === layerName.value) ?? null);
  /** Layers worth picking: those with weights or units. */
  const layers = computed(() => run.value?.layers.filter((l) => l.roles.length > 0 || l.units > 0) ?? []);
  /** The layer's units over the data, in the monitor's unit-map form. */
  const unitMap = computed<ProbeLayer | null>(() => {
    const view = layerView.value;
    const l = layer.value;
    if (!view || !l || view.layer !== l.name) return null;
    return { index: l.index, name: l.name, activation: l.activation, units: view.units.active.length, active: view.units.active, saturated: view.units.saturated, mean: view.units.mean, std: view.units.std, nonFinite: 0 };
  });

  async function ask<T>(view: View, fetch: () => Promise<T>, store: (value: T) => void): Promise<void> {
    const ticket = ++asked[view];
    pending.value = { ...pending.value, [view]: true };
    try {
      const value = await fetch();
      if (ticket !== asked[view]) return;
      store(value);
      error.value = null;
    } catch (e) {
      if (ticket === asked[view]) error.value = e instanceof Error ? e.message : String(e);
    } finally {
      if (ticket === asked[view]) pending.value = { ...pending.value, [view]: false };
    }
  }

  function loadLayer(): Promise<void> {
    const id = runId.value;
    const at = step.value;
    const name = layerName.value;
    if (id === null || at === null || name === null) return Promise.resolve();
    return ask('layer', () => bridge.request('inspect.layer', { runId: id, step: at, layer: name, ...(sample.value !== null ? { sample: sample.value } : {}) }), (v) => (layerView.value = v));
  }

  function loadUnit(): Promise<void> {
    const id = runId.value;
    const at = step.value;
    const name = layerName.value;
    const u = unit.value;
    if (id === null || at === null || name === null || u === null) {
      unitView.value = null;
      return Promise.resolve();
    }
    return ask('unit', () => bridge.request('inspect.unit', { runId: id, step: at, layer: name, unit: u, ...(sample.value !== null ? { sample: sample.value } : {}) }), (v) => (unitView.value = v));
  }

  function loadSurface(): Promise<void> {
    const id = runId.value;
    const at = step.value;
    if (id === null || at === null || run.value?.dataset.kind !== 'points') return Promise.resolve();
    return ask('surface', () => bridge.request('inspect.surface', { runId: id, step: at }), (v) => (surface.value = v));
  }

  /** Opens a saved run at its last snapshot, on its first layer with units that fire. */
  function open(id: string): Promise<void> {
    return opened(() => bridge.request('inspect.open', { runId: id }));
  }

  /**
   * Opens a model trained elsewhere over a dataset: the engine answers as for a saved run (one
   * snapshot, step 0), so every view works on it. Its refusal (unsupported layers by name, the
   * file and field at fault) is kept in `modelError` beside the form, its issues listed.
   */
  const modelError = ref<{ message: string; issues: { path: string; message: string }[] } | null>(null);
  async function openModel(request: InspectOpenModelRequest): Promise<string | null> {
    modelError.value = null;
    await opened(() => bridge.request('inspect.openModel', request));
    if (error.value && !run.value) {
      modelError.value = { message: error.value, issues: lastIssues };
      error.value = null;
    }
    return run.value?.runId ?? null;
  }
  let lastIssues: { path: string; message: string }[] = [];

  async function opened(fetch: () => Promise<InspectRun>): Promise<void> {
    opening.value = true;
    run.value = null;
    layerView.value = null;
    unitView.value = null;
    surface.value = null;
    unit.value = null;
    error.value = null;
    try {
      lastIssues = [];
      const opened = await fetch();
      run.value = opened;
      stepIndex.value = Math.max(0, opened.snapshots.length - 1);
      layerName.value = opened.layers.find((l) => l.roles.includes('kernel'))?.name ?? opened.layers[0]?.name ?? null;
      if (opened.snapshots.length === 0) error.value = `run ${opened.runId} has no snapshots: it ended before its first one was written`;
    } catch (e) {
      error.value = e instanceof Error ? e.message : String(e);
      const issues = (e as { issues?: unknown }).issues;
      lastIssues = Array.isArray(issues) ? (issues as { path: string; message: string }[]) : [];
      return;
    } finally {
      opening.value = false;
    }
    await Promise.all([loadLayer(), loadSurface()]);
  }

  function setStep(index: number): void {
    const count = run.value?.snapshots.length ?? 0;
    const next = Math.max(0, Math.min(count - 1, index));
    if (next === stepIndex.value) return;
    stepIndex.value = next;
    void loadLayer();
    void loadUnit();
    void loadSurface();
  }

  function setLayer(name: string): void {
    if (name === layerName.value) return;
    layerName.value = name;
    unit.value = null;
    unitView.value = null;
    layerView.value = null;
    void loadLayer();
  }

  function setSample(next: number | null): void {
    if (next === sample.value) return;
    sample.value = next;
    void loadLayer();
    void loadUnit();
  }

  function setUnit(next: number | null): void {
    unit.value = next;
    void loadUnit();
  }

  return { run, runId, stepIndex, step, layerName, layer, layers, unit, sample, setSample, layerView, unitView, unitMap, surface, error, opening, pending, open, openModel, modelError, setStep, setLayer, setUnit };
});
