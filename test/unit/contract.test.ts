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
    for (const channel of all) expect(channel).toMatch(/^[a-z]+\.[a-zA-Z]+$/);
    expect(new Set(requestChannels).size).toBe(requestChannels.length);
    expect(requestChannels).toContain('engine.info');
    expect(eventChannels).toContain('train.progress');
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
    const error = thrown(() => parseRequest('train.xor', { epochs: -3, learningRate: 'fast' }));
    expect(error.code).toBe('invalid-payload');
    const paths = error.issues?.map((i) => i.path);
    expect(paths).toEqual(expect.arrayContaining(['epochs', 'learningRate']));
    expect(error.message).toMatch(/^train\.xor request: /);
  });

  it('refuses unknown fields instead of ignoring them', () => {
    const error = thrown(() => parseRequest('train.xor', { epochs: 10, evil: true }));
    expect(error.code).toBe('invalid-payload');
    expect(error.message).toContain('evil');
  });

  it('fills defaults and keeps given values', () => {
    expect(parseRequest('train.xor', { epochs: 7 })).toEqual({ hiddenUnits: 4, epochs: 7, learningRate: 0.1, seed: 1 });
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
    expect(thrown(() => parseEvent('train.progress', { jobId: 'j', epochs: 1, points: [{ epoch: -1, loss: 0, time: 0 }] })).code).toBe('invalid-payload');
    expect(thrown(() => parseEvent('train.progress', { jobId: 'j', epochs: 1, points: [] })).code).toBe('invalid-payload');
    expect(parseEvent('train.progress', { jobId: 'j', epochs: 1, points: [{ epoch: 0, loss: null, time: 1 }] })).toMatchObject({ points: [{ loss: null }] });
  });

  it('turns anything thrown into a shape that crosses a boundary', () => {
    expect(toErrorShape(new Error('boom'))).toEqual({ code: 'failed', message: 'boom' });
    expect(toErrorShape('text')).toEqual({ code: 'failed', message: 'text' });
    expect(toErrorShape(new ContractError({ code: 'busy', message: 'b' }))).toEqual({ code: 'busy', message: 'b' });
  });
});
