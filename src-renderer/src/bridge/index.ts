/**
 * The one bridge of this page. Screens and stores call `useBridge()` and never learn which
 * host they run in: the Electron preload's API when present, a WebSocket to serve otherwise.
 */
import { PRELOAD_GLOBAL, type Bridge } from '@contract';
import { ElectronBridge, type PreloadApi } from './electronBridge';
import { WsBridge } from './wsBridge';

let bridge: Bridge | null = null;

function serveUrl(): string {
  const params = new URLSearchParams(window.location.search);
  const token = params.get('token') ?? sessionStorage.getItem('trainbench.token') ?? '';
  if (params.has('token')) {
    // Keep the token for reloads but out of the address bar, history and screenshots.
    sessionStorage.setItem('trainbench.token', token);
    params.delete('token');
    const rest = params.toString();
    window.history.replaceState(null, '', `${window.location.pathname}${rest ? `?${rest}` : ''}${window.location.hash}`);
  }
  const protocol = window.location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${protocol}//${window.location.host}/ws?token=${encodeURIComponent(token)}`;
}

export function useBridge(): Bridge {
  if (bridge) return bridge;
  const api = (window as unknown as Record<string, unknown>)[PRELOAD_GLOBAL] as PreloadApi | undefined;
  bridge = api ? new ElectronBridge(api) : new WsBridge(serveUrl());
  return bridge;
}

/** Tests and stories swap in their own bridge. */
export function setBridge(next: Bridge): void {
  bridge = next;
}
