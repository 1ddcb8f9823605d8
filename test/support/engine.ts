import { join } from 'node:path';
import { EngineHost, type EngineHostOptions } from '../../src-main/host/engineHost';
import { nodeSpawner } from '../../src-main/host/nodeSpawner';
import type { EventChannel } from '@contract';

export const ROOT = join(__dirname, '..', '..');
export const ENGINE_PATH = join(ROOT, 'out', 'main', 'engine.js');
export const CLI_PATH = join(ROOT, 'out', 'main', 'cli.js');
export const RENDERER_ROOT = join(ROOT, 'out', 'renderer');

export function startHost(options: EngineHostOptions = {}): EngineHost {
  return new EngineHost(nodeSpawner(ENGINE_PATH), { backend: 'wasm', ...options });
}

/** Resolves with the first event on `channel` that satisfies `match`, or rejects after `timeoutMs`. */
export function nextEvent<T>(host: EngineHost, channel: EventChannel, match: (payload: T) => boolean, timeoutMs = 30_000): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`no matching ${channel} event within ${timeoutMs} ms`));
    }, timeoutMs);
    const off = host.onEvent((c, payload) => {
      if (c === channel && match(payload as T)) {
        clearTimeout(timer);
        off();
        resolve(payload as T);
      }
    });
  });
}
