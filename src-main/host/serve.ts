/**
 * serve mode: the renderer over HTTP and the contract over a WebSocket, for a browser.
 * Loopback by default; every request needs the random token printed in the URL (as Jupyter
 * does), and a Host or Origin that is not this server's is refused (DNS rebinding, CSRF).
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { readFile, stat } from 'node:fs/promises';
import { extname, join, normalize, resolve, sep } from 'node:path';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { ContractError, decodeWire, encodeWire, parseMessage, toErrorShape, type ResponseMessage } from '@contract';
import type { EngineHost } from './engineHost';
import { RENDERER_CSP } from '../electron/security';
import { MAX_CLIENT_BACKLOG_BYTES, sendOrShed } from './wsBackpressure';

export interface ServeOptions {
  host?: string;
  port?: number;
  /** Folder of the built renderer (out/renderer). */
  root: string;
  engine: EngineHost;
  /** Fixed token (tests); random otherwise. */
  token?: string;
  /** Bytes queued for one WebSocket client before it is closed (default MAX_CLIENT_BACKLOG_BYTES). */
  maxClientBacklogBytes?: number;
  log?: (line: string) => void;
}

export interface ServeHandle {
  url: string;
  port: number;
  token: string;
  close(): Promise<void>;
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.wasm': 'application/wasm',
  '.woff2': 'font/woff2',
};

/** Largest WebSocket message accepted: dataset uploads come in chunks well below this. */
export const MAX_WS_MESSAGE_BYTES = 16 * 1024 * 1024;

const LOOPBACK_NAMES = ['127.0.0.1', 'localhost', '[::1]'];

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

/** Compares in constant time: hashing first makes the lengths equal and hides the token's. */
export function tokenMatches(candidate: string | null | undefined, token: string): boolean {
  if (typeof candidate !== 'string') return false;
  return timingSafeEqual(digest(candidate), digest(token));
}

function cookieValue(header: string | undefined, name: string): string | null {
  if (!header) return null;
  for (const part of header.split(';')) {
    const [key, ...rest] = part.trim().split('=');
    if (key === name) return decodeURIComponent(rest.join('='));
  }
  return null;
}

/** The renderer's policy, plus what only a header can say: no framing by other pages. */
export function contentSecurityPolicy(): string {
  return `${RENDERER_CSP}; frame-ancestors 'none'`;
}

export async function startServe(options: ServeOptions): Promise<ServeHandle> {
  const bindHost = options.host ?? '127.0.0.1';
  const token = options.token ?? randomBytes(24).toString('base64url');
  const root = resolve(options.root);
  const log = options.log ?? (() => undefined);
  let port = 0;
  const cookieName = (): string => `trainbench_token_${port}`;

  const allowedHosts = (): Set<string> => {
    const names = new Set([...LOOPBACK_NAMES, bindHost.includes(':') ? `[${bindHost}]` : bindHost]);
    return new Set([...names].map((name) => `${name}:${port}`));
  };
  const wildcard = bindHost === '0.0.0.0' || bindHost === '::';

  /** Returns why a request must be refused, or null. */
  const refusal = (req: IncomingMessage, url: URL, requireOrigin: boolean): string | null => {
    const hostHeader = req.headers.host ?? '';
    if (!wildcard && !allowedHosts().has(hostHeader)) return `Host "${hostHeader}" is not this server`;
    const origin = req.headers.origin;
    if (origin !== undefined || requireOrigin) {
      if (origin !== `http://${hostHeader}`) return `Origin "${origin ?? '(none)'}" is not this server`;
    }
    const presented = url.searchParams.get('token') ?? cookieValue(req.headers.cookie, cookieName());
    if (!tokenMatches(presented, token)) return 'missing or wrong token';
    return null;
  };

  const send = (res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void => {
    res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff', ...headers });
    res.end(body);
  };

  const server: Server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://placeholder');
      const why = refusal(req, url, false);
      if (why) {
        log(`403 ${req.method} ${url.pathname}: ${why}`);
        send(res, 403, `Forbidden: ${why}. Open the URL that \`trainbench serve\` printed.\n`);
        return;
      }
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        send(res, 405, 'Method not allowed\n', { Allow: 'GET, HEAD' });
        return;
      }
      let pathname: string;
      try {
        pathname = decodeURIComponent(url.pathname);
      } catch {
        send(res, 400, 'Bad path\n');
        return;
      }
      if (pathname.includes('\0')) {
        send(res, 400, 'Bad path\n');
        return;
      }
      const relative = pathname === '/' ? 'index.html' : normalize(pathname).replace(/^([/\\])+/, '');
      const file = resolve(join(root, relative));
      if (file !== root && !file.startsWith(root + sep)) {
        send(res, 403, 'Forbidden: outside the app\n');
        return;
      }
      try {
        const info = await stat(file);
        if (!info.isFile()) throw new Error('not a file');
        const body = await readFile(file);
        const headers: Record<string, string> = {
          'Content-Type': CONTENT_TYPES[extname(file)] ?? 'application/octet-stream',
          'X-Content-Type-Options': 'nosniff',
          'Referrer-Policy': 'no-referrer',
          'Cache-Control': 'no-store',
          'Cross-Origin-Opener-Policy': 'same-origin',
          'Cross-Origin-Resource-Policy': 'same-origin',
        };
        if (extname(file) === '.html') {
          headers['Content-Security-Policy'] = contentSecurityPolicy();
          headers['X-Frame-Options'] = 'DENY';
          headers['Set-Cookie'] = `${cookieName()}=${encodeURIComponent(token)}; HttpOnly; SameSite=Strict; Path=/`;
        }
        res.writeHead(200, headers);
        res.end(req.method === 'HEAD' ? undefined : body);
      } catch {
        send(res, 404, 'Not found\n');
      }
    })();
  });

  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_WS_MESSAGE_BYTES });
  const clients = new Set<WebSocket>();

  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', 'http://placeholder');
    const why = url.pathname !== '/ws' ? 'not the WebSocket endpoint' : refusal(req, url, true);
    if (why) {
      log(`403 WebSocket upgrade: ${why}`);
      socket.end(`HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\nForbidden: ${why}\n`);
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
  });

  wss.on('connection', (ws: WebSocket) => {
    clients.add(ws);
    ws.on('close', () => clients.delete(ws));
    ws.on('error', () => clients.delete(ws));
    ws.on('message', (data, isBinary) => {
      void (async () => {
        let id = 0;
        let response: ResponseMessage;
        try {
          let raw: unknown;
          try {
            const bytes = Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data);
            raw = isBinary ? decodeWire(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength)) : JSON.parse(bytes.toString('utf8'));
          } catch (error) {
            throw new ContractError({ code: 'invalid-message', message: isBinary ? `malformed binary frame: ${error instanceof Error ? error.message : String(error)}` : 'not JSON' });
          }
          const message = parseMessage(raw);
          if (message.type !== 'request') {
            throw new ContractError({ code: 'invalid-message', message: `clients send requests only, got a ${message.type}` });
          }
          id = message.id;
          const result = await options.engine.request(message.channel, message.payload);
          response = { type: 'response', id, ok: true, result };
        } catch (error) {
          response = { type: 'response', id, ok: false, error: toErrorShape(error) };
        }
        if (ws.readyState === ws.OPEN) ws.send(encodeWire(response));
      })();
    });
  });

  const unsubscribe = options.engine.onEvent((channel, payload) => {
    const frame = encodeWire({ type: 'event', channel, payload });
    for (const ws of clients) sendOrShed(ws, frame, options.maxClientBacklogBytes ?? MAX_CLIENT_BACKLOG_BYTES, log);
  });

  await new Promise<void>((resolvePromise, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, bindHost, () => resolvePromise());
  });
  port = (server.address() as AddressInfo).port;
  const shownHost = wildcard ? '127.0.0.1' : bindHost.includes(':') ? `[${bindHost}]` : bindHost;
  const url = `http://${shownHost}:${port}/?token=${token}`;

  return {
    url,
    port,
    token,
    close: async () => {
      unsubscribe();
      for (const ws of clients) ws.terminate();
      wss.close();
      await new Promise<void>((resolvePromise) => server.close(() => resolvePromise()));
    },
  };
}
