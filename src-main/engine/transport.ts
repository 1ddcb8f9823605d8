/**
 * How the engine talks to its host. In the desktop app the engine is an Electron
 * utilityProcess and speaks over `process.parentPort`; in serve and CLI modes it is a Node
 * child started with `fork` and speaks over `process.send`. Both carry structured clones, so
 * typed arrays cross as binary. Nothing here imports `electron`.
 */

export interface EngineTransport {
  readonly kind: 'utility' | 'child';
  send(message: unknown): void;
  onMessage(listener: (message: unknown) => void): void;
}

interface ParentPort {
  on(event: 'message', listener: (event: { data: unknown }) => void): void;
  postMessage(message: unknown): void;
}

export function connectTransport(): EngineTransport {
  const parentPort = (process as NodeJS.Process & { parentPort?: ParentPort }).parentPort;
  if (parentPort) {
    return {
      kind: 'utility',
      send: (message) => parentPort.postMessage(message),
      onMessage: (listener) => parentPort.on('message', (event) => listener(event.data)),
    };
  }
  if (typeof process.send === 'function') {
    const send = process.send.bind(process);
    return {
      kind: 'child',
      send: (message) => {
        if (process.connected) send(message);
      },
      onMessage: (listener) => process.on('message', listener),
    };
  }
  throw new Error('the engine must be started by its host (Electron utilityProcess or a Node fork with IPC)');
}
