/**
 * The data store against a fake engine: a browser uploads, the desktop app loads by path; a
 * failed load leaves what was loaded alone; "use" makes a dataset the spec's; the
 * normalisation fix reloads in place and follows into the spec.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { nextTick } from 'vue';
import { createPinia, setActivePinia } from 'pinia';
import { ContractError, parseSpec, type Bridge, type DatasetSummary, type LoadedDataset, type Normalization, type Spec, type SpecCheck } from '@contract';
import { setBridge } from '@renderer/bridge';
import { useDataStore } from '@renderer/stores/useDataStore';
import { useSpecStore } from '@renderer/stores/useSpecStore';
import type { DroppedFile } from '@renderer/features/data/droppedFiles';
import reluAbs from '../../../resources/presets/relu-abs.json';

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
}

function summary(id: string, name: string, normalization: Normalization, over: Partial<DatasetSummary> = {}): DatasetSummary {
  const split = { count: 60000, xShape: [60000, 28, 28, 1], yShape: [60000], classHistogram: Array(10).fill(6000), targetStats: null };
  const range = normalization === 'divide255' ? { min: 0, max: 1 } : { min: 0, max: 255 };
  return {
    id,
    name,
    source: { kind: 'idx', files: ['train-images-idx3-ubyte.gz', 'train-labels-idx1-ubyte.gz'] },
    task: 'classification',
    inputShape: [28, 28, 1],
    elementType: 'u8',
    targetDim: 1,
    classNames: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
    featureNames: null,
    normalization,
    splits: { train: split, test: null },
    valueStats: { min: 0, max: 255, mean: 72.9, std: 90 },
    inputRange: range,
    bytes: 47_100_000,
    imbalanceRatio: 1,
    flags: { unnormalized: normalization === 'none', imbalanced: false },
    warnings: [],
    standardization: null,
    csv: null,
    ...over,
  };
}

interface Call {
  channel: string;
  payload: Record<string, unknown>;
}

/** The engine as far as the Data screen needs it; `fail` makes the next finish or load refuse with that message. */
function fakeEngine(options: { paths?: boolean } = {}): { bridge: Bridge; calls: Call[]; fail: (message: string) => void } {
  const calls: Call[] = [];
  const loaded: LoadedDataset[] = [];
  let failure: string | null = null;
  let uploads = 0;
  const keep = (info: LoadedDataset): LoadedDataset => {
    if (!loaded.some((d) => d.summary.id === info.summary.id)) loaded.push(info);
    return info;
  };
  const refuse = (): void => {
    if (failure === null) return;
    const message = failure;
    failure = null;
    throw new ContractError({ code: 'invalid-payload', message });
  };
  const bridge = {
    host: options.paths ? 'electron' : 'serve',
    pathForFile: (file: File) => (options.paths ? `/data/fashion/${file.name}` : null),
    on: () => () => undefined,
    async request(channel: string, payload: Record<string, unknown>): Promise<unknown> {
      calls.push({ channel, payload });
      switch (channel) {
        case 'presets.list':
          return [{ name: 'relu-abs', spec: parseSpec(reluAbs).spec }];
        case 'spec.check': {
          const answer: SpecCheck = { data: null, dataError: null, layers: [], issues: [], totalParams: 0, trainableParams: 0, flopsPerSample: 0, activationBytesPerSample: 0, outputShape: null, findings: [] };
          return answer;
        }
        case 'dataset.list':
          return [...loaded];
        case 'dataset.preview':
          return [];
        case 'dataset.upload.begin':
          return { uploadId: `u${++uploads}` };
        case 'dataset.upload.chunk':
          return { received: (payload['data'] as Uint8Array).length };
        case 'dataset.upload.cancel':
          return { cancelled: true };
        case 'dataset.upload.finish': {
          refuse();
          const n = (payload['normalization'] as Normalization | undefined) ?? 'none';
          return keep({ summary: summary(`idx-${payload['uploadId']}`, 'fashion', n), preview: [] });
        }
        case 'dataset.load': {
          refuse();
          const source = payload['source'] as { kind: string; name?: string };
          const n = (payload['normalization'] as Normalization | undefined) ?? 'none';
          if (source.kind === 'builtin') {
            const s = summary(`builtin-${source.name}-${n}`, source.name!, n, { inputShape: [2], task: 'classification', classNames: ['0', '1'], elementType: 'f32', source: { kind: 'builtin', files: [] } });
            return keep({ summary: s, preview: [] });
          }
          return keep({ summary: summary(`idx-path-${n}`, String(payload['name']), n), preview: [] });
        }
      }
      throw new Error(`unexpected channel ${channel}`);
    },
  } as unknown as Bridge;
  return { bridge, calls, fail: (message) => (failure = message) };
}

const dropped = (...names: string[]): DroppedFile[] => names.map((name) => ({ path: name, file: new File([new Uint8Array(100)], name) }));
const FASHION = ['train-images-idx3-ubyte.gz', 'train-labels-idx1-ubyte.gz'];

async function setup(options: { paths?: boolean } = {}): Promise<ReturnType<typeof fakeEngine>> {
  const engine = fakeEngine(options);
  setBridge(engine.bridge);
  setActivePinia(createPinia());
  const specs = useSpecStore();
  await specs.loadPresets();
  specs.usePreset('relu-abs');
  await nextTick();
  return engine;
}

beforeEach(() => {
  (globalThis as unknown as { localStorage: MemoryStorage }).localStorage = new MemoryStorage();
});
afterEach(() => {
  delete (globalThis as { localStorage?: unknown }).localStorage;
});

describe('data store', () => {
  it('uploads dropped files in a browser and shows the new dataset', async () => {
    const engine = await setup();
    const data = useDataStore();
    await data.loadFiles(dropped(...FASHION));
    const upload = engine.calls.filter((c) => c.channel.startsWith('dataset.'));
    expect(upload.map((c) => c.channel)).toEqual(['dataset.upload.begin', 'dataset.upload.chunk', 'dataset.upload.chunk', 'dataset.upload.finish', 'dataset.preview']);
    expect(upload[0]!.payload).toEqual({ name: 'IDX train (2 files)', files: FASHION.map((path) => ({ path, size: 100 })) });
    expect(data.datasets.map((d) => d.summary.id)).toEqual(['idx-u1']);
    expect(data.selectedId).toBe('idx-u1');
    expect(data.activity).toBeNull();
    expect(data.error).toBeNull();
  });

  it('loads by path in the desktop app, naming exactly the dropped IDX files', async () => {
    const engine = await setup({ paths: true });
    const data = useDataStore();
    await data.loadFiles(dropped(...FASHION));
    const load = engine.calls.find((c) => c.channel === 'dataset.load');
    expect(load?.payload).toEqual({
      source: { kind: 'idx', path: '/data/fashion/train-images-idx3-ubyte.gz', files: FASHION.map((f) => `/data/fashion/${f}`) },
      name: 'IDX train (2 files)',
    });
    expect(engine.calls.some((c) => c.channel.startsWith('dataset.upload'))).toBe(false);
    expect(data.datasets).toHaveLength(1);
  });

  it('shows a failed load with the engine’s message and leaves the loaded datasets as they were', async () => {
    const engine = await setup();
    const data = useDataStore();
    await data.loadFiles(dropped(...FASHION));
    engine.fail('t10k-labels-idx1-ubyte.gz: 10000 labels for 9999 images');
    await data.loadFiles(dropped('t10k-images-idx3-ubyte.gz', 't10k-labels-idx1-ubyte.gz'));
    expect(data.error).toEqual({ title: 'Could not load IDX t10k (2 files)', message: 't10k-labels-idx1-ubyte.gz: 10000 labels for 9999 images' });
    expect(data.datasets.map((d) => d.summary.id)).toEqual(['idx-u1']);
    expect(data.selectedId).toBe('idx-u1');
    // The next load clears the error.
    await data.loadBuiltin({ kind: 'builtin', name: 'xor', size: 200, seed: 0 });
    expect(data.error).toBeNull();
    expect(data.datasets).toHaveLength(2);
  });

  it('refuses a second load while one is in progress, without disturbing it', async () => {
    await setup();
    const data = useDataStore();
    const first = data.loadFiles(dropped(...FASHION));
    await data.loadBuiltin({ kind: 'builtin', name: 'xor' });
    expect(data.error?.message).toMatch(/IDX train \(2 files\) is still loading/);
    await first;
    expect(data.datasets.map((d) => d.summary.id)).toEqual(['idx-u1']);
  });

  it('makes a dropped dataset the spec’s by id, with its normalisation, shape and a loss for classes', async () => {
    await setup();
    const data = useDataStore();
    const specs = useSpecStore();
    await data.loadFiles(dropped(...FASHION));
    expect(data.inUseId).toBeNull();
    await data.use('idx-u1');
    const spec = specs.spec as Spec;
    expect(spec.dataset).toEqual({ kind: 'loaded', id: 'idx-u1' });
    expect(spec.normalization).toBe('none');
    expect(spec.training.loss.type).toBe('sparseCategoricalCrossentropy');
    expect(data.inUseId).toBe('idx-u1');
    // One edit: undo puts the relu-abs data back.
    specs.undo();
    expect(specs.spec?.dataset).toMatchObject({ kind: 'builtin', name: 'abs' });
  });

  it('makes a built-in dataset the spec’s by its own reference', async () => {
    await setup();
    const data = useDataStore();
    await data.loadBuiltin({ kind: 'builtin', name: 'xor', size: 200, seed: 3 });
    await data.use('builtin-xor-none');
    expect(useSpecStore().spec?.dataset).toEqual({ kind: 'builtin', name: 'xor', size: 200, seed: 3 });
    expect(data.inUseId).toBe('builtin-xor-none');
  });

  it('reloads with the normalisation fix in place, and a dataset in use stays in use with it', async () => {
    const engine = await setup();
    const data = useDataStore();
    await data.loadBuiltin({ kind: 'builtin', name: 'xor' });
    await data.loadFiles(dropped(...FASHION));
    await data.use('idx-u1');
    await data.renormalize('idx-u1', 'divide255');
    const finish = engine.calls.filter((c) => c.channel === 'dataset.upload.finish').at(-1);
    expect(finish?.payload).toEqual({ uploadId: 'u2', kind: 'auto', normalization: 'divide255' });
    expect(data.datasets.map((d) => d.summary.id)).toEqual(['builtin-xor-none', 'idx-u2']);
    expect(data.selectedId).toBe('idx-u2');
    expect(useSpecStore().spec).toMatchObject({ dataset: { kind: 'loaded', id: 'idx-u2' }, normalization: 'divide255' });
    // The engine still lists the replaced one; the page does not.
    await data.refresh();
    expect(data.datasets.map((d) => d.summary.id)).toEqual(['builtin-xor-none', 'idx-u2']);
  });

  it('reads a drop again with other options: sent with the upload, kept for the next reload', async () => {
    const engine = await setup();
    const data = useDataStore();
    await data.loadFiles(dropped(...FASHION));
    await data.reread('idx-u1', { missing: 'fill', header: 'none' });
    const finish = engine.calls.filter((c) => c.channel === 'dataset.upload.finish').at(-1);
    expect(finish?.payload).toEqual({ uploadId: 'u2', kind: 'auto', normalization: 'none', read: { missing: 'fill', header: 'none' } });
    expect(data.readOptions['idx-u2']).toEqual({ missing: 'fill', header: 'none' });
    // A normalisation fix afterwards keeps the read options.
    await data.renormalize('idx-u2', 'standardize');
    expect(engine.calls.filter((c) => c.channel === 'dataset.upload.finish').at(-1)?.payload).toMatchObject({ normalization: 'standardize', read: { missing: 'fill', header: 'none' } });
  });
});
