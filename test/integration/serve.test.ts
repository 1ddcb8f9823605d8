import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startServe, tokenMatches, type ServeHandle } from '../../src-main/host/serve';
import type { EngineHost } from '../../src-main/host/engineHost';
import { RENDERER_ROOT, startHost } from '../support/engine';
import { countTestsAs } from '../support/reliability';

countTestsAs('serve');

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

let serve: ServeHandle;
let host: EngineHost;

function get(path: string, headers: Record<string, string> = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port: serve.port, path, headers: { Host: `127.0.0.1:${serve.port}`, ...headers } }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

function openSocket(query: string, headers: Record<string, string>): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${serve.port}/ws${query}`, { headers });
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    ws.once('error', reject);
  });
}

function ask(ws: WebSocket, message: unknown): Promise<Record<string, unknown>> {
  return new Promise((resolve) => {
    const onMessage = (data: WebSocket.RawData): void => {
      const parsed = JSON.parse(data.toString()) as Record<string, unknown>;
      if (parsed['type'] !== 'response') return;
      ws.off('message', onMessage);
      resolve(parsed);
    };
    ws.on('message', onMessage);
    ws.send(typeof message === 'string' ? message : JSON.stringify(message));
  });
}

beforeAll(async () => {
  host = startHost();
  serve = await startServe({ root: RENDERER_ROOT, engine: host });
});
afterAll(async () => {
  await serve.close();
  host.dispose();
});

describe('serve', () => {
  it('binds loopback and prints a URL with a long random token', () => {
    expect(serve.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=[A-Za-z0-9_-]{32}$/);
  });

  it('serves the app with the token and sets the cookie for its assets', async () => {
    const page = await get(`/?token=${serve.token}`);
    expect(page.status).toBe(200);
    expect(page.body).toContain('<div id="app">');
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
    const cookie = String(page.headers['set-cookie']);
    expect(cookie).toContain('HttpOnly');
    expect(cookie).toContain('SameSite=Strict');
    const asset = /src="\.?(\/assets\/[^"]+\.js)"/.exec(page.body)?.[1];
    expect(asset).toBeDefined();
    const cookiePair = cookie.split(';')[0]!;
    expect((await get(asset!, { Cookie: cookiePair })).status).toBe(200);
    expect((await get(asset!)).status).toBe(403);
  });

  it('refuses a missing or wrong token', async () => {
    expect((await get('/')).status).toBe(403);
    expect((await get('/?token=wrong')).status).toBe(403);
    expect((await get(`/?token=${serve.token}x`)).status).toBe(403);
    expect((await get('/', { Cookie: `trainbench_token_${serve.port}=nope` })).status).toBe(403);
  });

  it('refuses a foreign Host (DNS rebinding) and a foreign Origin', async () => {
    expect((await get(`/?token=${serve.token}`, { Host: `evil.example:${serve.port}` })).status).toBe(403);
    expect((await get(`/?token=${serve.token}`, { Origin: 'http://evil.example' })).status).toBe(403);
    expect((await get(`/?token=${serve.token}`, { Origin: `http://127.0.0.1:${serve.port}` })).status).toBe(200);
  });

  it('serves nothing outside the app', async () => {
    for (const path of ['/../package.json', '/..%2fpackage.json', '/%2e%2e/%2e%2e/package.json', '/assets/../../main/cli.js', '/%00', '/nope.js']) {
      const reply = await get(`${path}${path.includes('?') ? '&' : '?'}token=${serve.token}`);
      expect([400, 403, 404], path).toContain(reply.status);
      expect(reply.body).not.toContain('"name": "trainbench"');
    }
  });

  it('compares tokens in constant time, whatever their length', () => {
    expect(tokenMatches('abc', 'abc')).toBe(true);
    expect(tokenMatches('abd', 'abc')).toBe(false);
    expect(tokenMatches('', 'abc')).toBe(false);
    expect(tokenMatches(null, 'abc')).toBe(false);
    expect(tokenMatches('a'.repeat(10_000), 'abc')).toBe(false);
  });

  it('refuses WebSocket upgrades without the token or from another origin', async () => {
    const own = { Origin: `http://127.0.0.1:${serve.port}` };
    await expect(openSocket('', own)).rejects.toThrow('HTTP 403');
    await expect(openSocket('?token=wrong', own)).rejects.toThrow('HTTP 403');
    await expect(openSocket(`?token=${serve.token}`, { Origin: 'http://evil.example' })).rejects.toThrow('HTTP 403');
    await expect(openSocket(`?token=${serve.token}`, {})).rejects.toThrow('HTTP 403');
    const ws = await openSocket(`?token=${serve.token}`, own);
    ws.close();
  });

  it('answers the contract over the WebSocket and refuses what is not in it', async () => {
    const ws = await openSocket(`?token=${serve.token}`, { Origin: `http://127.0.0.1:${serve.port}` });
    try {
      const info = await ask(ws, { type: 'request', id: 1, channel: 'engine.info', payload: {} });
      expect(info).toMatchObject({ id: 1, ok: true, result: { backend: 'wasm' } });
      expect(await ask(ws, 'not json')).toMatchObject({ ok: false, error: { code: 'invalid-message' } });
      expect(await ask(ws, { type: 'request', id: 2, channel: 'engine.format', payload: {} })).toMatchObject({ id: 2, ok: false, error: { code: 'unknown-channel' } });
      expect(await ask(ws, { type: 'request', id: 3, channel: 'train.pause', payload: { jobId: 7 } })).toMatchObject({
        id: 3,
        ok: false,
        error: { code: 'invalid-payload', issues: [{ path: 'jobId' }] },
      });
      expect(await ask(ws, { type: 'event', channel: 'train.update', payload: {} })).toMatchObject({ ok: false, error: { code: 'invalid-message' } });
      // Still healthy afterwards.
      expect(await ask(ws, { type: 'request', id: 4, channel: 'engine.info', payload: {} })).toMatchObject({ id: 4, ok: true });
    } finally {
      ws.close();
    }
  });
});
