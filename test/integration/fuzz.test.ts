/**
 * Malformed messages on every channel, over both transports: each is answered with a
 * validation error, no process dies, and no state changes (no job starts, no dataset loads).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { requestChannels, type RequestChannel } from '@contract';
import { mulberry32 } from '@contract/random';
import { nodeSpawner } from '../../src-main/host/nodeSpawner';
import type { EngineProcess } from '../../src-main/host/engineHost';
import { startServe, type ServeHandle } from '../../src-main/host/serve';
import type { EngineHost } from '../../src-main/host/engineHost';
import { ENGINE_PATH, RENDERER_ROOT, startHost } from '../support/engine';
import { recordCases } from '../support/reliability';

const random = mulberry32(20261122);
const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;

/** A random JSON-ish value, nested a little. */
function junk(depth = 0): unknown {
  const kinds = ['null', 'number', 'string', 'bool', 'array', 'object', 'huge', 'neg', 'nan'] as const;
  switch (pick(depth > 2 ? kinds.slice(0, 4) : kinds)) {
    case 'null':
      return null;
    case 'number':
      return Math.floor(random() * 1e6) / (random() < 0.5 ? 1 : 7);
    case 'string':
      return pick(['', 'x', '../../etc/passwd', '\u0000', 'job-1', 'a'.repeat(5000), '__proto__', 'relu']);
    case 'bool':
      return random() < 0.5;
    case 'array':
      return Array.from({ length: Math.floor(random() * 4) }, () => junk(depth + 1));
    case 'object':
      return Object.fromEntries(Array.from({ length: Math.floor(random() * 4) }, () => [pick(['spec', 'jobId', 'id', 'source', 'kind', 'path', 'n', 'backend', '__proto__', 'constructor']), junk(depth + 1)]));
    case 'huge':
      return 1e308 * 10;
    case 'neg':
      return -1;
    case 'nan':
      return Number.NaN;
  }
}

/** Payloads for a channel: random values, and near-misses of real shapes. */
function payloads(channel: RequestChannel, n: number): unknown[] {
  const nearMisses: Record<string, unknown[]> = {
    'train.start': [{ spec: { version: 2 } }, { spec: { version: 1, dataset: { kind: 'builtin', name: 'abs' }, model: { layers: [] } } }, { spec: null }],
    'dataset.load': [{ source: { kind: 'idx', path: '' } }, { source: { kind: 'builtin', name: 'cifar' } }],
    'dataset.upload.chunk': [{ uploadId: 'nope', file: 0, offset: 0, data: 'AAAA' }],
    'dataset.upload.begin': [{ name: 'x', files: [] }],
    'engine.restart': [{ backend: 'cuda' }],
  };
  return [...(nearMisses[channel] ?? []), ...Array.from({ length: n }, () => junk())];
}

const ACCEPTABLE = new Set(['invalid-payload', 'invalid-message', 'unknown-channel', 'not-found']);

let host: EngineHost;
let serve: ServeHandle;
beforeAll(async () => {
  host = startHost();
  serve = await startServe({ root: RENDERER_ROOT, engine: host });
  await host.start();
});
afterAll(async () => {
  await serve.close();
  host.dispose();
});

describe('fuzzing the contract', () => {
  it('answers every malformed request through the host with a validation error, and changes nothing', async () => {
    const before = (await host.request('engine.info', {})) as { pid: number };
    let tried = 0;
    let passed = 0;
    try {
      for (const channel of requestChannels) {
        if (channel === 'engine.restart' || channel === 'engine.info' || channel === 'engine.memory' || channel === 'presets.list' || channel === 'dataset.list') continue;
        for (const payload of payloads(channel, 40)) {
          tried++;
          const outcome = await host.request(channel, payload).then(
            () => 'accepted',
            (error: { code?: string }) => error.code ?? 'thrown',
          );
          expect(ACCEPTABLE.has(outcome), `${channel} ${JSON.stringify(payload)?.slice(0, 200)} → ${outcome}`).toBe(true);
          passed++;
        }
      }
    } finally {
      recordCases('messages', tried, passed);
    }
    for (const raw of [null, 42, 'x', [], {}, { type: 'request' }]) {
      await expect(host.request('no.such', raw)).rejects.toMatchObject({ code: 'unknown-channel' });
    }
    const after = (await host.request('engine.info', {})) as { pid: number };
    expect(after.pid).toBe(before.pid);
    expect(await host.request('dataset.list', {})).toEqual([]);
    expect(tried).toBeGreaterThan(500);
  });

  it('answers malformed envelopes sent straight to the engine process', async () => {
    const child: EngineProcess = nodeSpawner(ENGINE_PATH)(['--backend', 'cpu']);
    const answers: unknown[] = [];
    child.onMessage((message) => answers.push(message));
    let exited = false;
    child.onExit(() => (exited = true));
    const messages: unknown[] = [];
    for (let i = 0; i < 300; i++) {
      const base = { type: 'request', id: i + 1, channel: pick(requestChannels), payload: junk() };
      messages.push(pick([base, junk(), { ...base, type: 'event' }, { ...base, id: -1 }, { ...base, channel: 'x'.repeat(300) }, { ...base, extra: 1 }]));
    }
    for (const message of messages) child.send(message);
    child.send({ type: 'request', id: 99_999, channel: 'engine.info', payload: {} });
    const deadline = Date.now() + 30_000;
    while (!answers.some((a) => (a as { id?: number }).id === 99_999) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(exited).toBe(false);
    const info = answers.find((a) => (a as { id?: number }).id === 99_999) as { ok: boolean };
    expect(info.ok).toBe(true);
    // Every message got exactly one answer, and none but well-formed reads succeeded.
    const responses = answers.filter((a) => (a as { type?: string }).type === 'response') as { ok: boolean; error?: { code: string } }[];
    expect(responses.length).toBe(messages.length + 1);
    const fine = responses.filter((r) => r.ok || [...ACCEPTABLE, 'busy'].includes(r.error!.code)).length;
    recordCases('messages', messages.length, exited ? 0 : Math.min(fine, messages.length));
    for (const r of responses) if (!r.ok) expect([...ACCEPTABLE, 'busy']).toContain(r.error!.code);
    child.kill();
  });

  it('answers malformed WebSocket messages, text and binary, without closing the connection', async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${serve.port}/ws?token=${serve.token}`, { headers: { Origin: `http://127.0.0.1:${serve.port}` } });
    await new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
    const replies: { ok?: boolean; error?: { code: string } }[] = [];
    ws.on('message', (data) => replies.push(JSON.parse(data.toString()) as { ok?: boolean }));
    const sent = 400;
    for (let i = 0; i < sent; i++) {
      const r = random();
      if (r < 0.3) ws.send(JSON.stringify(junk()));
      else if (r < 0.5) ws.send(Buffer.from(Array.from({ length: 1 + Math.floor(random() * 64) }, () => Math.floor(random() * 256))));
      else if (r < 0.6) ws.send('{"type":"request","id":1,');
      else ws.send(JSON.stringify({ type: 'request', id: i + 1, channel: pick(requestChannels.filter((c) => c !== 'engine.restart')), payload: junk() }));
    }
    const deadline = Date.now() + 30_000;
    while (replies.length < sent && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const fine = replies.filter((reply) => reply.ok || [...ACCEPTABLE, 'busy'].includes(reply.error!.code)).length;
    recordCases('messages', sent, ws.readyState === WebSocket.OPEN ? fine : 0);
    expect(replies.length).toBe(sent);
    expect(ws.readyState).toBe(WebSocket.OPEN);
    for (const reply of replies) if (!reply.ok) expect([...ACCEPTABLE, 'busy']).toContain(reply.error!.code);
    ws.close();
  });
});
