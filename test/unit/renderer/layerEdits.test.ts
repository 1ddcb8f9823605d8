/** The Model screen's pure edits, spec files, and cost estimates. */
import { describe, expect, it } from 'vitest';
import { Layer, Optimizer, type LayerInput } from '@contract';
import { changeLayerType, defaultLayer, duplicateLayer, getAtPath, insertLayer, issuesByLayer, layerIndexOf, layerNames, moveLayer, removeLayer, setAtPath } from '@renderer/features/model/layerEdits';
import { readSpecFile, specFileName } from '@renderer/features/model/specFile';
import { memoryPerBatch, effectiveBatch, formatBytes } from '@renderer/features/model/estimates';
import { dropIndex, moveTarget } from '@renderer/features/model/dragTypes';
import reluAbs from '../../../resources/presets/relu-abs.json';

const net = (...layers: LayerInput[]): Layer[] => layers.map((l) => Layer.parse(l));
const types = (layers: Layer[]): string[] => layers.map((l) => l.type);

describe('layer edits', () => {
  const layers = net({ type: 'flatten' }, { type: 'dense', units: 8 }, { type: 'dropout' });

  it('inserts, removes and moves without touching the original', () => {
    const frozen = JSON.stringify(layers);
    expect(types(insertLayer(layers, defaultLayer('activation'), 1))).toEqual(['flatten', 'activation', 'dense', 'dropout']);
    expect(types(insertLayer(layers, defaultLayer('activation'), 99))).toEqual(['flatten', 'dense', 'dropout', 'activation']);
    expect(types(removeLayer(layers, 0))).toEqual(['dense', 'dropout']);
    expect(types(moveLayer(layers, 2, 0))).toEqual(['dropout', 'flatten', 'dense']);
    expect(types(moveLayer(layers, 0, 2))).toEqual(['dense', 'dropout', 'flatten']);
    expect(JSON.stringify(layers)).toBe(frozen);
  });

  it('gives a duplicated named layer a name of its own', () => {
    const named = net({ type: 'dense', units: 4, name: 'hidden' }, { type: 'dense', units: 1 });
    const copy = duplicateLayer(named, 0);
    expect(copy.map((l) => l.name)).toEqual(['hidden', 'hidden_2', undefined]);
    expect(duplicateLayer(copy, 1)[2]!.name).toBe('hidden_3');
    expect(layerNames(duplicateLayer(named, 1))).toEqual(['hidden', 'dense_2', 'dense_3']);
  });

  it('keeps what both types have when the type changes', () => {
    const dense = Layer.parse({ type: 'dense', units: 12, activation: 'tanh', kernelInitializer: 'heNormal', name: 'a' });
    expect(changeLayerType(dense, 'conv2d')).toMatchObject({ type: 'conv2d', filters: 12, activation: 'tanh', kernelInitializer: 'heNormal', name: 'a', kernelSize: 3 });
    expect(changeLayerType(dense, 'dropout')).toEqual({ type: 'dropout', name: 'a', rate: 0.5 });
    expect(defaultLayer('input', [28, 28, 1])).toEqual({ type: 'input', shape: [28, 28, 1] });
  });

  it('sets and reads values at field paths', () => {
    const spec = { model: { layers: [{ units: 1 }] }, training: { clipNorm: 1 } };
    expect(getAtPath(setAtPath(spec, 'model.layers.0.units', 5), 'model.layers.0.units')).toBe(5);
    expect(setAtPath(spec, 'training.clipNorm', undefined)).toEqual({ model: { layers: [{ units: 1 }] }, training: {} });
    expect(spec.model.layers[0]!.units).toBe(1);
  });

  it('files issues under the layer they concern', () => {
    expect(layerIndexOf('model.layers.12.units')).toBe(12);
    expect(layerIndexOf('model.layers.1')).toBe(1);
    expect(layerIndexOf('training.loss.type')).toBeNull();
    const { layers: byLayer, other } = issuesByLayer([
      { path: 'model.layers.1.units', message: 'a' },
      { path: 'model.layers.1', message: 'b' },
      { path: 'model.layers.10', message: 'c' },
      { path: 'training.loss.type', message: 'd' },
    ]);
    expect(byLayer.get(1)?.map((i) => i.message)).toEqual(['a', 'b']);
    expect(byLayer.get(10)?.map((i) => i.message)).toEqual(['c']);
    expect(other.map((i) => i.message)).toEqual(['d']);
  });
});

describe('drag targets', () => {
  it('drops before a block in its upper half, after it in its lower half', () => {
    expect(dropIndex(2, 105, 100, 40)).toBe(2);
    expect(dropIndex(2, 125, 100, 40)).toBe(3);
    expect(moveTarget(1, 0)).toBe(0);
    expect(moveTarget(0, 2)).toBe(1);
    expect(moveTarget(0, 3)).toBe(2);
  });
});

describe('spec files', () => {
  it('reads a preset and names the file after the spec', () => {
    const read = readSpecFile(JSON.stringify(reluAbs), 'relu-abs.json');
    expect(read.error).toBeNull();
    expect(specFileName(read.spec!)).toBe('relu-abs.trainbench.json');
    expect(specFileName({ ...read.spec!, name: ' my model / v2 ' })).toBe('my-model-v2.trainbench.json');
    expect(specFileName({ ...read.spec!, name: undefined })).toBe('untitled.trainbench.json');
  });

  it('accepts an empty network, which the engine would refuse to train', () => {
    expect(readSpecFile(JSON.stringify({ ...reluAbs, model: { layers: [] } }), 'empty.json').error).toBeNull();
  });

  it('names the file, the first invalid field and how many more there are', () => {
    const bad = { ...reluAbs, training: { ...reluAbs.training, epochs: 0 }, model: { layers: [{ type: 'dense', units: 'three' }] } };
    expect(readSpecFile(JSON.stringify(bad), 'bad.json').error).toMatch(/^bad\.json: (model\.layers\.0\.units|training\.epochs): .+ \(and 1 more\); the current model is unchanged$/);
    expect(readSpecFile('[]', 'list.json').error).toMatch(/^list\.json: \(root\): /);
  });
});

describe('estimates', () => {
  it('counts activations × batch × 3 plus weights, gradients and optimizer slots', () => {
    // 100 bytes of activations per sample, batch 10, 50 parameters with Adam (2 slots).
    expect(memoryPerBatch(100, 10, 50, Optimizer.parse({ type: 'adam' }))).toBe(100 * 10 * 3 + 50 * 4 * 4);
    expect(memoryPerBatch(100, 10, 50, Optimizer.parse({ type: 'sgd' }))).toBe(100 * 10 * 3 + 50 * 4 * 2);
    expect(effectiveBatch('full', 1000, 0.2)).toBe(800);
    expect(effectiveBatch(32, null, 0)).toBe(32);
    expect(formatBytes(47_800_000)).toBe('47.8 MB');
  });
});
