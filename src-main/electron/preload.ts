/**
 * The preload: the page's only door to the app. One function per request channel of the
 * contract, each invoking `trainbench:<channel>`; events arrive on one channel and are handed
 * to listeners by name. Nothing of ipcRenderer itself is exposed. Runs sandboxed.
 */
import { contextBridge, ipcRenderer, webUtils, type IpcRendererEvent } from 'electron';
import { IPC_EVENT_CHANNEL, IPC_PREFIX, PRELOAD_GLOBAL, eventChannels, requestChannels } from '@contract';

type Listener = (payload: unknown) => void;
const listeners = new Map<string, Set<Listener>>();

ipcRenderer.on(IPC_EVENT_CHANNEL, (_event: IpcRendererEvent, message: { channel?: unknown; payload?: unknown }) => {
  if (typeof message?.channel !== 'string') return;
  for (const listener of listeners.get(message.channel) ?? []) listener(message.payload);
});

const api: Record<string, unknown> = {
  host: 'electron',
  /** A dropped File's path on disk, resolved here because the sandboxed page cannot (Electron 32+). */
  pathForFile(file: unknown): string | null {
    return file instanceof File ? webUtils.getPathForFile(file) || null : null;
  },
  on(channel: string, listener: Listener): () => void {
    if (!(eventChannels as string[]).includes(channel) || typeof listener !== 'function') {
      throw new Error(`unknown event channel "${channel}"`);
    }
    const set = listeners.get(channel) ?? new Set<Listener>();
    set.add(listener);
    listeners.set(channel, set);
    return () => set.delete(listener);
  },
};
for (const channel of requestChannels) {
  api[channel] = (payload: unknown) => ipcRenderer.invoke(`${IPC_PREFIX}${channel}`, payload);
}

contextBridge.exposeInMainWorld(PRELOAD_GLOBAL, api);
