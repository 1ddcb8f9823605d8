/**
 * inferShapes (what the Model screen shows on every edit) against tfjs itself: for each
 * network, the same layers built as a tf.sequential model must report the same output shape
 * and parameter count per layer.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { inferShapes, Spec, type LayerInput } from '@contract';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const pair = (v: number | [number, number] | undefined): [number, number] | undefined => (v === undefined ? undefined : Array.isArray(v) ? v : [v, v]);

/** The tf.layers equivalent of one spec layer; the first gets the input shape. */
function tfLayer(layer: LayerInput, inputShape?: number[]): tf.layers.Layer {
  const first = inputShape ? { inputShape } : {};
  switch (layer.type) {
    case 'dense':
      return tf.layers.dense({ ...first, units: layer.units, useBias: layer.useBias ?? true });
    case 'conv2d':
      return tf.layers.conv2d({
        ...first,
        filters: layer.filters,
        kernelSize: pair(layer.kernelSize) ?? [3, 3],
        strides: pair(layer.strides) ?? [1, 1],
        padding: layer.padding ?? 'valid',
        useBias: layer.useBias ?? true,
      });
    case 'maxPooling2d':
    case 'averagePooling2d': {
      const config = { ...first, poolSize: pair(layer.poolSize) ?? [2, 2], padding: layer.padding ?? 'valid', ...(layer.strides !== undefined ? { strides: pair(layer.strides)! } : {}) };
      return layer.type === 'maxPooling2d' ? tf.layers.maxPooling2d(config) : tf.layers.averagePooling2d(config);
    }
    case 'flatten':
      return tf.layers.flatten(first);
    case 'dropout':
      return tf.layers.dropout({ ...first, rate: layer.rate ?? 0.5 });
    case 'batchNormalization':
      return tf.layers.batchNormalization({ ...first, axis: -1 });
    case 'activation':
      return tf.layers.activation({ ...first, activation: 'relu' });
    case 'input':
      throw new Error('input layers are given as inputShape');
  }
}

const cases: { name: string; inputShape: number[]; layers: LayerInput[] }[] = [
  { name: 'dense stack (relu-abs)', inputShape: [2], layers: [{ type: 'dense', units: 3, activation: 'relu' }, { type: 'dense', units: 1 }] },
  { name: 'dense without bias', inputShape: [5], layers: [{ type: 'dense', units: 4, useBias: false }] },
  {
    name: 'conv2d same, valid and strided',
    inputShape: [28, 28, 1],
    layers: [
      { type: 'conv2d', filters: 8, kernelSize: 3, padding: 'same' },
      { type: 'conv2d', filters: 6, kernelSize: 5, padding: 'valid' },
      { type: 'conv2d', filters: 4, kernelSize: 3, strides: 2, padding: 'valid' },
      { type: 'conv2d', filters: 4, kernelSize: [3, 1], strides: [2, 1], padding: 'same' },
      { type: 'conv2d', filters: 2, kernelSize: 3, strides: 2, padding: 'same', useBias: false },
    ],
  },
  {
    name: 'pooling: max, average, strided, same',
    inputShape: [27, 27, 3],
    layers: [
      { type: 'maxPooling2d', poolSize: 2 },
      { type: 'averagePooling2d', poolSize: 3, strides: 1 },
      { type: 'maxPooling2d', poolSize: 2, padding: 'same' },
      { type: 'averagePooling2d', poolSize: [2, 3], strides: [1, 2] },
    ],
  },
  {
    name: 'a CNN: conv, batch norm, activation, pool, flatten, dropout, dense',
    inputShape: [28, 28, 1],
    layers: [
      { type: 'conv2d', filters: 16, kernelSize: 3, padding: 'same', useBias: false },
      { type: 'batchNormalization' },
      { type: 'activation', activation: 'relu' },
      { type: 'maxPooling2d', poolSize: 2 },
      { type: 'conv2d', filters: 32, kernelSize: 3 },
      { type: 'maxPooling2d', poolSize: 2 },
      { type: 'flatten' },
      { type: 'dropout', rate: 0.3 },
      { type: 'dense', units: 64, activation: 'relu' },
      { type: 'batchNormalization' },
      { type: 'dense', units: 10 },
    ],
  },
];

describe('inferShapes agrees with tfjs', () => {
  for (const c of cases) {
    it(c.name, () => {
      // An input layer gives the shape; without a dataset, no output-versus-target checks run.
      const spec = Spec.parse({ version: 1, dataset: { kind: 'builtin', name: 'xor' }, model: { layers: [{ type: 'input', shape: c.inputShape }, ...c.layers] } });
      const report = inferShapes(spec);
      expect(report.issues).toEqual([]);
      const model = tf.sequential({ layers: c.layers.map((layer, i) => tfLayer(layer, i === 0 ? c.inputShape : undefined)) });
      try {
        expect(report.layers).toHaveLength(model.layers.length + 1);
        model.layers.forEach((tfl, i) => {
          const ours = report.layers[i + 1]!;
          const shape = (tfl.outputShape as (number | null)[]).slice(1);
          expect({ layer: i, shape: ours.outputShape, params: ours.params }).toEqual({ layer: i, shape, params: tfl.countParams() });
        });
        expect(report.totalParams).toBe(model.countParams());
      } finally {
        model.dispose();
      }
    });
  }

  it('relu-abs has 13 parameters', () => {
    const spec = Spec.parse({ version: 1, dataset: { kind: 'builtin', name: 'abs' }, model: { layers: cases[0]!.layers } });
    expect(inferShapes(spec, { inputShape: [2], task: 'regression', outputs: 1 }).totalParams).toBe(13);
  });
});
