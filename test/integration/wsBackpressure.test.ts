/**
 * serve under backpressure (issue 9): a WebSocket client that never reads while snapshots
 * stream out must not make serve buffer without bound or hold training up. It is closed once
 * its backlog passes the limit (4 MB here); a client that reads keeps receiving, and training
 * goes on throughout.
 */
import { randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { EventOf, Spec } from '@contract';
import { startServe, type ServeHandle } from '../../src-main/host/serve';
import type { EngineHost } from '../../src-main/host/engineHost';
import { nextEvent, RENDERER_ROOT, startHost } from '../support/engine';
import { preset } from '../support/presets';
import { countTestsAs } from '../support/reliability';

countTestsAs('serve');

let host: EngineHost;
let serve: ServeHandle;
const logged: string[] = [];
beforeAll(async () => {
  host = startHost();
  await host.start();
  serve = await startServe({ root: RENDERER_ROOT, engine: host, maxClientBacklogBytes: 4 * 1024 * 1024, log: (line) => logged.push(line) });
});
afterAll(async () => {
  await serve.close();
  host.dispose();
});

/** A WebSocket upgrade by hand, then a socket that never reads again (a stalled tab). */
function stalledClient(): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(serve.port, '127.0.0.1', () => {
      socket.write(
        `GET /ws?token=${serve.token} HTTP/1.1\r\nHost: 127.0.0.1:${serve.port}\r\nOrigin: http://127.0.0.1:${serve.port}\r\n` +
          `Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
      );
    });
    socket.once('data', (head: Buffer) => {
      if (!head.toString().startsWith('HTTP/1.1 101')) reject(new Error(`upgrade refused: ${head.toString().split('\r\n')[0]}`));
      socket.pause();
      resolve(socket);
    });
    socket.once('error', reject);
  });
}

describe('WebSocket backpressure', () => {
  it('closes a client that does not read; readers and training carry on', async () => {
    const stalled = await stalledClient();
    const reader = new WebSocket(`ws://127.0.0.1:${serve.port}/ws?token=${serve.token}`, { headers: { Origin: `http://127.0.0.1:${serve.port}` } });
    await new Promise((resolve, reject) => {
      reader.once('open', resolve);
      reader.once('error', reject);
    });
    let received = 0;
    reader.on('message', () => received++);
    // ~530 KB a snapshot, one every step: the stalled client's backlog passes 4 MB within seconds.
    const spec: Spec = {
      ...preset('xor', { epochs: 100_000 }),
      model: { layers: [{ type: 'dense', units: 512, activation: 'tanh' }, { type: 'dense', units: 256, activation: 'tanh' }, { type: 'dense', units: 1, activation: 'sigmoid' }] },
      monitor: { probeEvery: 10, probeSize: 32, snapshotEvery: 1, onNonFinite: 'stop' },
    } as Spec;
    const { jobId } = (await host.request('train.start', { spec })) as { jobId: string };
    const deadline = Date.now() + 30_000;
    while (!logged.some((l) => l.startsWith('closing a WebSocket client')) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(logged.find((l) => l.startsWith('closing a WebSocket client'))).toMatch(/^closing a WebSocket client \d+ bytes behind \(limit 4194304\): it is not reading$/);
    // Training goes on after the shed, and the reading client hears it.
    const atShed = received;
    const later = await nextEvent<EventOf<'train.update'>>(host, 'train.update', (e) => e.jobId === jobId && e.points.length > 0, 30_000);
    const next = await nextEvent<EventOf<'train.update'>>(host, 'train.update', (e) => e.jobId === jobId && e.points.length > 0, 30_000);
    expect(next.points[0]!.step).toBeGreaterThan(later.points[0]!.step);
    await new Promise((r) => setTimeout(r, 300));
    expect(received).toBeGreaterThan(atShed);
    expect(reader.readyState).toBe(WebSocket.OPEN);
    // The stalled socket is cut off within the grace period, its backlog freed.
    const closed = await new Promise<boolean>((resolve) => {
      if (stalled.destroyed) resolve(true);
      stalled.once('close', () => resolve(true));
      stalled.resume(); // read now, to see the end
      setTimeout(() => resolve(stalled.destroyed), 5000);
    });
    expect(closed).toBe(true);
    await host.request('train.stop', { jobId });
    reader.close();
  }, 90_000);
});
