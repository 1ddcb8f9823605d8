import { defineStore } from 'pinia';
import { computed, ref, shallowRef, watch } from 'vue';
import { parseSpec, type Spec } from '@contract';
import { useBridge } from '../bridge';

const STORAGE_KEY = 'trainbench.spec.v1';

/** The spec being edited and trained: kept across restarts, replaced by a preset in one click. */
export const useSpecStore = defineStore('spec', () => {
  const bridge = useBridge();
  const presets = shallowRef<{ name: string; spec: Spec }[]>([]);
  const spec = ref<Spec | null>(null);
  const error = ref<string | null>(null);

  const name = computed(() => spec.value?.name ?? 'untitled');

  function restore(): void {
    const saved = localStorage.getItem(STORAGE_KEY);
    if (!saved) return;
    try {
      const parsed = parseSpec(JSON.parse(saved));
      if (parsed.spec) spec.value = parsed.spec;
      else error.value = `the saved spec is no longer valid (${parsed.issues[0]?.path}: ${parsed.issues[0]?.message}); starting from a preset`;
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
    if (preset) spec.value = JSON.parse(JSON.stringify(preset.spec)) as Spec;
  }

  watch(spec, (value) => value && localStorage.setItem(STORAGE_KEY, JSON.stringify(value)), { deep: true });
  restore();

  return { presets, spec, error, name, loadPresets, usePreset };
});
