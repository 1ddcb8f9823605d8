/**
 * The bridge over WebSocket (serve mode). Requests carry an id and wait for the response with
 * that id; events fan out to listeners. Reconnects after the server restarts; requests made
 * while disconnected fail at once with engine-unavailable rather than hang.
 */
import {
  ContractError,
  decodeWire,
  encodeWire,
  parseEvent,
  parseMessage,
  parseResponse,
  type Bridge,
  type EventChannel,
  type EventOf,
  type RequestChannel,
  type RequestOf,
  type ResponseOf,
} from '@contract';

interface Pending {
  channel: RequestChannel;
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
}

export type ConnectionListener = (connected: boolean) => void;

export class WsBridge implements Bridge {
  readonly host = 'serve' as const;
  private socket: WebSocket | null = null;
  private opened: Promise<void> | null = null;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly listeners = new Map<string, Set<(payload: unknown) => void>>();
  private readonly connectionListeners = new Set<ConnectionListener>();
  private retryMs = 500;

  constructor(private readonly url: string) {}

  onConnection(listener: ConnectionListener): () => void {
    this.connectionListeners.add(listener);
    return () => this.connectionListeners.delete(listener);
  }

  private connect(): Promise<void> {
    if (this.opened) return this.opened;
    this.opened = new Promise<void>((resolve, reject) => {
      const socket = new WebSocket(this.url);
      socket.binaryType = 'arraybuffer';
      this.socket = socket;
      socket.onopen = () => {
        this.retryMs = 500;
        for (const listener of this.connectionListeners) listener(true);
        resolve();
      };
      socket.onmessage = (event) => this.receive(event.data);
      socket.onclose = () => {
        const wasOpen = this.socket === socket;
        this.socket = null;
        this.opened = null;
        for (const [id, entry] of this.pending) {
          entry.reject(new ContractError({ code: 'engine-unavailable', message: `${entry.channel}: lost the connection to trainbench serve` }));
          this.pending.delete(id);
        }
        for (const listener of this.connectionListeners) listener(false);
        reject(new ContractError({ code: 'engine-unavailable', message: 'cannot reach trainbench serve' }));
        // Keep trying, with backoff, so the page recovers when serve comes back.
        if (wasOpen || this.listeners.size > 0) {
          setTimeout(() => void this.connect().catch(() => undefined), this.retryMs);
          this.retryMs = Math.min(this.retryMs * 2, 10_000);
        }
      };
    });
    return this.opened;
  }

  private receive(data: unknown): void {
    if (typeof data !== 'string' && !(data instanceof ArrayBuffer)) return;
    let message;
    try {
      message = parseMessage(decodeWire(data));
    } catch (error) {
      console.warn('trainbench: refused a message from serve', error);
      return;
    }
    if (message.type === 'response') {
      const entry = this.pending.get(message.id);
      if (!entry) return;
      this.pending.delete(message.id);
      if (!message.ok) entry.reject(new ContractError(message.error));
      else {
        try {
          entry.resolve(parseResponse(entry.channel, message.result));
        } catch (error) {
          entry.reject(error as Error);
        }
      }
    } else if (message.type === 'event') {
      const set = this.listeners.get(message.channel);
      if (!set || set.size === 0) return;
      let payload: unknown;
      try {
        payload = parseEvent(message.channel, message.payload);
      } catch (error) {
        console.warn('trainbench: refused an event from serve', error);
        return;
      }
      for (const listener of set) listener(payload);
    }
  }

  async request<C extends RequestChannel>(channel: C, payload: RequestOf<C>): Promise<ResponseOf<C>> {
    await this.connect();
    const socket = this.socket;
    if (!socket) throw new ContractError({ code: 'engine-unavailable', message: 'not connected to trainbench serve' });
    const id = this.nextId++;
    return new Promise<ResponseOf<C>>((resolve, reject) => {
      this.pending.set(id, { channel, resolve: resolve as (value: unknown) => void, reject });
      socket.send(encodeWire({ type: 'request', id, channel, payload }));
    });
  }

  /** A browser never reveals a dropped file's path: serve mode uploads it instead. */
  pathForFile(): null {
    return null;
  }

  on<C extends EventChannel>(channel: C, listener: (payload: EventOf<C>) => void): () => void {
    const set = this.listeners.get(channel) ?? new Set();
    set.add(listener as (payload: unknown) => void);
    this.listeners.set(channel, set);
    void this.connect().catch(() => undefined);
    return () => set.delete(listener as (payload: unknown) => void);
  }
}
