/**
 * The spec store's undo and redo: every edit is one step, whoever makes it; undo after undo
 * walks back, an edit after an undo drops the redo branch, and the history is bounded.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { nextTick } from 'vue';
import { createPinia, setActivePinia } from 'pinia';
import { parseSpec, type Bridge, type Spec, type SpecCheck } from '@contract';
import { setBridge } from '@renderer/bridge';
import { HISTORY_LIMIT, CHECK_DELAY_MS, useSpecStore } from '@renderer/stores/useSpecStore';
import reluAbs from '../../../resources/presets/relu-abs.json';

/** localStorage as the browser has it, for Node. */
class MemoryStorage {
  private readonly items = new Map<string, string>();
  getItem(key: string): string | null {
    return this.items.get(key) ?? null;
  }
  setItem(key: string, value: string): void {
    this.items.set(key, value);
  }
  removeItem(key: string): void {
    this.items.delete(key);
  }
  clear(): void {
    this.items.clear();
  }
}

const preset = (): Spec => {
  const parsed = parseSpec(reluAbs);
  if (!parsed.spec) throw new Error('relu-abs preset does not parse');
  return parsed.spec;
};

function fakeBridge(checks: Spec[]): Bridge {
  return {
    host: 'serve',
    pathForFile: () => null,
    async request(channel: string, payload: unknown): Promise<never> {
      if (channel === 'presets.list') return [{ name: 'relu-abs', spec: preset() }] as never;
      if (channel === 'spec.check') {
        const spec = (payload as { spec: Spec }).spec;
        checks.push(spec);
        const answer: SpecCheck = {
          data: { name: 'abs', inputShape: [2], task: 'regression', outputs: 1 },
          dataError: null,
          layers: [],
          issues: [],
          findings: [],
          totalParams: 0,
          trainableParams: 0,
          flopsPerSample: 0,
          activationBytesPerSample: 0,
          outputShape: null,
        };
        return answer as never;
      }
      throw new Error(`unexpected channel ${channel}`);
    },
    on: () => () => undefined,
  } as Bridge;
}

let checks: Spec[];

beforeEach(async () => {
  (globalThis as unknown as { localStorage: MemoryStorage }).localStorage = new MemoryStorage();
  checks = [];
  setBridge(fakeBridge(checks));
  setActivePinia(createPinia());
  const store = useSpecStore();
  await store.loadPresets();
  store.usePreset('relu-abs');
  await nextTick();
});
afterEach(() => {
  delete (globalThis as { localStorage?: unknown }).localStorage;
});

const units = (store: ReturnType<typeof useSpecStore>, i: number): number | undefined => {
  const layer = store.spec?.model.layers[i];
  return layer?.type === 'dense' ? layer.units : undefined;
};

describe('spec store undo and redo', () => {
  it('undoes and redoes a field edit', async () => {
    const store = useSpecStore();
    expect(store.canUndo).toBe(false);
    expect(store.setField('model.layers.0.units', 5)).toBeNull();
    expect(units(store, 0)).toBe(5);
    expect(store.canUndo).toBe(true);
    store.undo();
    expect(units(store, 0)).toBe(3);
    expect(store.canUndo).toBe(false);
    expect(store.canRedo).toBe(true);
    store.redo();
    expect(units(store, 0)).toBe(5);
    expect(store.canRedo).toBe(false);
    await nextTick();
    // Undo and redo themselves are not recorded as edits.
    expect(store.canUndo).toBe(true);
    store.undo();
    await nextTick();
    expect(store.canUndo).toBe(false);
  });

  it('refuses an invalid value and records nothing', () => {
    const store = useSpecStore();
    const problem = store.setField('model.layers.0.units', 0);
    expect(problem).toMatchObject({ path: 'model.layers.0.units' });
    expect(units(store, 0)).toBe(3);
    expect(store.canUndo).toBe(false);
  });

  it('walks back through add, move, duplicate and delete in order', () => {
    const store = useSpecStore();
    const types = (): string[] => store.spec!.model.layers.map((l) => l.type);
    store.addLayer('dropout', 1);
    store.moveLayer(1, 0);
    store.duplicateLayer(0);
    store.removeLayer(3);
    expect(types()).toEqual(['dropout', 'dropout', 'dense']);
    store.undo();
    expect(types()).toEqual(['dropout', 'dropout', 'dense', 'dense']);
    store.undo();
    expect(types()).toEqual(['dropout', 'dense', 'dense']);
    store.undo();
    expect(types()).toEqual(['dense', 'dropout', 'dense']);
    store.undo();
    expect(types()).toEqual(['dense', 'dense']);
    store.redo();
    store.redo();
    expect(types()).toEqual(['dropout', 'dense', 'dense']);
  });

  it('drops the redo branch on a new edit', () => {
    const store = useSpecStore();
    store.setField('model.layers.0.units', 4);
    store.setField('model.layers.0.units', 5);
    store.undo();
    expect(store.canRedo).toBe(true);
    store.setField('model.layers.0.units', 7);
    expect(store.canRedo).toBe(false);
    store.undo();
    expect(units(store, 0)).toBe(4);
  });

  it('records edits made straight on the spec, one step per tick', async () => {
    const store = useSpecStore();
    store.spec!.training.epochs = 12;
    store.spec!.training.seed = 9;
    await nextTick();
    expect(store.canUndo).toBe(true);
    store.undo();
    expect(store.spec!.training.epochs).toBe(1500);
    expect(store.spec!.training.seed).toBe(1);
    expect(store.canUndo).toBe(false);
  });

  it('undoes a preset, an empty start and an opened file like any edit', () => {
    const store = useSpecStore();
    store.newEmpty();
    expect(store.spec!.model.layers).toEqual([]);
    expect(store.spec!.training.loss.type).toBe('mse');
    store.undo();
    expect(store.spec!.model.layers).toHaveLength(2);
    const file = store.fileOf()!;
    expect(file.fileName).toBe('relu-abs.trainbench.json');
    store.setField('model.layers.1.units', 2);
    expect(store.openFile(file.text, file.fileName)).toBe(true);
    expect(units(store, 1)).toBe(1);
    store.undo();
    expect(units(store, 1)).toBe(2);
  });

  it('keeps the spec when a file does not parse, naming the file and the field', () => {
    const store = useSpecStore();
    const broken = JSON.stringify({ ...preset(), model: { layers: [{ type: 'dense', units: -1 }] } });
    expect(store.openFile(broken, 'broken.trainbench.json')).toBe(false);
    expect(store.fileError).toMatch(/^broken\.trainbench\.json: model\.layers\.0\.units: /);
    expect(units(store, 0)).toBe(3);
    expect(store.openFile('{ not json', 'notes.json')).toBe(false);
    expect(store.fileError).toMatch(/^notes\.json: not a JSON file/);
    expect(store.canUndo).toBe(false);
  });

  it(`keeps at most ${HISTORY_LIMIT} undo steps`, () => {
    const store = useSpecStore();
    for (let i = 1; i <= HISTORY_LIMIT + 20; i++) store.setField('training.epochs', i);
    let steps = 0;
    while (store.canUndo) {
      store.undo();
      steps++;
    }
    expect(steps).toBe(HISTORY_LIMIT);
    expect(store.spec!.training.epochs).toBe(20);
  });

  it('persists every state and checks it once per burst of edits', async () => {
    const store = useSpecStore();
    await new Promise((resolve) => setTimeout(resolve, CHECK_DELAY_MS + 50));
    checks.length = 0;
    store.setField('model.layers.0.units', 4);
    store.setField('model.layers.0.units', 5);
    store.undo();
    expect(JSON.parse(localStorage.getItem('trainbench.spec.v1')!).model.layers[0].units).toBe(4);
    await new Promise((resolve) => setTimeout(resolve, CHECK_DELAY_MS + 50));
    expect(checks).toHaveLength(1);
    expect(checks[0]!.model.layers[0]).toMatchObject({ units: 4 });
    expect(store.checkPending).toBe(false);
  });

  it('keeps the repeat count as a setting, not in the spec', () => {
    const store = useSpecStore();
    store.setRepeat(20);
    expect(store.repeat).toBe(20);
    store.setRepeat(0);
    expect(store.repeat).toBe(20);
    expect(JSON.stringify(store.spec)).not.toContain('repeat');
    expect(localStorage.getItem('trainbench.repeat.v1')).toBe('20');
  });
});
