import { describe, expect, it } from 'vitest';
import {
  ContractError,
  eventChannels,
  parseEvent,
  parseMessage,
  parseRequest,
  parseResponse,
  requestChannels,
  toErrorShape,
} from '@contract';

function thrown(fn: () => unknown): ContractError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ContractError);
    return error as ContractError;
  }
  throw new Error('expected a ContractError');
}

describe('contract', () => {
  it('names channels area.verb, unique across requests and events', () => {
    const all = [...requestChannels, ...eventChannels];
    for (const channel of all) expect(channel).toMatch(/^[a-z]+(\.[a-zA-Z]+)+$/);
    expect(new Set(requestChannels).size).toBe(requestChannels.length);
    expect(requestChannels).toContain('engine.info');
    expect(eventChannels).toContain('train.update');
  });

  it('refuses an unknown channel with a typed error', () => {
    const error = thrown(() => parseRequest('engine.selfDestruct', {}));
    expect(error.code).toBe('unknown-channel');
    expect(error.message).toContain('engine.selfDestruct');
    expect(thrown(() => parseEvent('nope.nothing', {})).code).toBe('unknown-channel');
    // Names inherited from Object.prototype are not channels.
    expect(thrown(() => parseRequest('constructor', {})).code).toBe('unknown-channel');
    expect(thrown(() => parseRequest('__proto__', {})).code).toBe('unknown-channel');
  });

  it('names the field path of an invalid payload', () => {
    const error = thrown(() =>
      parseRequest('train.start', { spec: { version: 1, dataset: { kind: 'builtin', name: 'abs' }, model: { layers: [{ type: 'dense', units: -3 }] }, training: { epochs: 'many' } } }),
    );
    expect(error.code).toBe('invalid-payload');
    const paths = error.issues?.map((i) => i.path);
    expect(paths).toEqual(expect.arrayContaining(['spec.model.layers.0.units', 'spec.training.epochs']));
    expect(error.message).toMatch(/^train\.start request: /);
  });

  it('refuses unknown fields instead of ignoring them', () => {
    const error = thrown(() => parseRequest('train.pause', { jobId: 'job-1', evil: true }));
    expect(error.code).toBe('invalid-payload');
    expect(error.message).toContain('evil');
  });

  it('fills defaults and keeps given values', () => {
    const parsed = parseRequest('train.start', { spec: { version: 1, dataset: { kind: 'builtin', name: 'abs' }, model: { layers: [{ type: 'dense', units: 1 }] } } });
    expect(parsed.spec.model.layers[0]).toEqual({ type: 'dense', units: 1, activation: 'linear', alpha: 0.01, useBias: true, kernelInitializer: 'glorotUniform', biasInitializer: 'zeros' });
    expect(parsed.spec.training).toMatchObject({ epochs: 10, batchSize: 32, seed: 1, validationSplit: 0 });
    expect(parseRequest('engine.info', undefined)).toEqual({});
  });

  it('validates envelopes', () => {
    expect(parseMessage({ type: 'request', id: 3, channel: 'engine.info', payload: {} }).type).toBe('request');
    expect(parseMessage({ type: 'response', id: 3, ok: false, error: { code: 'busy', message: 'x' } }).type).toBe('response');
    for (const bad of [null, 42, 'request', {}, { type: 'request', id: -1, channel: 'a.b' }, { type: 'request', id: 1.5, channel: 'a.b' },
      { type: 'request', id: 1, channel: '' }, { type: 'response', id: 1, ok: true }, { type: 'event', channel: 'a'.repeat(101), payload: 1 },
      { type: 'request', id: 1, channel: 'engine.info', payload: {}, extra: 1 }]) {
      expect(thrown(() => parseMessage(bad)).code).toBe('invalid-message');
    }
  });

  it('validates responses and events on arrival', () => {
    expect(thrown(() => parseResponse('engine.info', { backend: 'wasm' })).code).toBe('invalid-response');
    const point = { step: 0, epoch: 0, loss: null, accuracy: null, gradNorm: 1, layerGradNorms: [1], layerWeightNorms: [2], layerUpdateRatios: [null], time: 1 };
    const update = { jobId: 'j', points: [point], epochs: [], probes: [] };
    expect(thrown(() => parseEvent('train.update', { ...update, points: [{ ...point, step: -1 }] })).code).toBe('invalid-payload');
    expect(thrown(() => parseEvent('train.update', { ...update, probes: undefined })).code).toBe('invalid-payload');
    expect(thrown(() => parseEvent('train.update', { ...update, memory: { numTensors: -1, numBytes: 0, rss: 0 } })).code).toBe('invalid-payload');
    expect(parseEvent('train.update', { ...update, memory: { numTensors: 12, numBytes: 4096, rss: 1e8 } }).memory).toEqual({ numTensors: 12, numBytes: 4096, rss: 1e8 });
    expect(parseEvent('train.update', update)).toMatchObject({ points: [{ loss: null }] });
    const probeLayer = { index: 0, name: 'dense_1', activation: 'relu', units: 2, active: new Float32Array(2), saturated: new Float32Array(2), mean: new Float32Array(2), std: new Float32Array(2), nonFinite: 0 };
    expect(parseEvent('train.update', { ...update, probes: [{ step: 1, epoch: 0, layers: [probeLayer], surface: null }] }).probes[0]!.layers[0]!.active).toBeInstanceOf(Float32Array);
    expect(thrown(() => parseEvent('train.update', { ...update, probes: [{ step: 1, epoch: 0, layers: [{ ...probeLayer, active: [0, 1] }], surface: null }] })).code).toBe('invalid-payload');
    const hist = { layer: 'dense_1', kind: 'gradient', role: 'kernel', shape: [2, 3], min: -1, max: 1, counts: [2, 4], total: 6, nonFinite: 0, zeros: 0, mean: 0, std: 0.5 };
    const set = { jobId: 'j', step: 3, epoch: 0, reason: 'snapshot', tensors: [hist] };
    expect(parseEvent('train.histograms', set).tensors[0]!.counts).toEqual([2, 4]);
    // Counts that do not add up to the total, an empty range, an unknown kind: refused, naming the field.
    expect(thrown(() => parseEvent('train.histograms', { ...set, tensors: [{ ...hist, total: 7 }] })).message).toContain('counts');
    expect(thrown(() => parseEvent('train.histograms', { ...set, tensors: [{ ...hist, max: -1 }] })).message).toContain('max');
    expect(thrown(() => parseEvent('train.histograms', { ...set, tensors: [{ ...hist, kind: 'momentum' }] })).code).toBe('invalid-payload');
  });

  it('turns anything thrown into a shape that crosses a boundary', () => {
    expect(toErrorShape(new Error('boom'))).toEqual({ code: 'failed', message: 'boom' });
    expect(toErrorShape('text')).toEqual({ code: 'failed', message: 'text' });
    expect(toErrorShape(new ContractError({ code: 'busy', message: 'b' }))).toEqual({ code: 'busy', message: 'b' });
  });
});
