/**
 * Owns the engine process: starts it, forwards requests, relays its events, and supervises
 * it. When the engine dies (an out-of-memory abort in native code, say) every pending request
 * is answered with `engine-unavailable`, the clients hear `engine.status: crashed`, and a new
 * engine is started. Used by Electron main (with a utilityProcess spawner) and by serve/CLI
 * (with a child_process spawner); imports neither Electron nor any transport to the UI.
 */
import {
  INSPECT_CHANNELS,
  ContractError,
  parseEvent,
  parseMessage,
  parseRequest,
  parseResponse,
  type EngineInfo,
  type EventChannel,
  type EventOf,
  type RequestChannel,
  type ResponseOf,
  type BackendName,
} from '@contract';
import { isRunsHostChannel, type RunsHost } from './runsHost';

/** One running engine process, whatever started it. */
export interface EngineProcess {
  readonly pid: number | null;
  send(message: unknown): void;
  onMessage(listener: (message: unknown) => void): void;
  /** Called once when the process is gone; `code` null when killed by a signal. */
  onExit(listener: (code: number | null, signal: string | null) => void): void;
  kill(): void;
}

/** Starts an engine process with the given extra arguments. */
export type Spawner = (args: string[]) => EngineProcess;

export interface EngineHostOptions {
  backend?: BackendName;
  /** Automatic restarts allowed within `restartWindowMs` before the host gives up and waits for engine.restart. */
  maxRestarts?: number;
  restartWindowMs?: number;
  /** A request not answered within this many ms fails (the engine may be stuck in native code). */
  requestTimeoutMs?: number;
  log?: (line: string) => void;
  /** Runs started without a runsDir of their own are written here. */
  runsDir?: string;
  /** Answers runs.folder, runs.delete and runs.reveal; its folder, when given, replaces `runsDir`. */
  runs?: RunsHost;
}

/** Channels that act in a runs folder: the host's, unless the request names one. */
const RUNS_DIR_CHANNELS: readonly RequestChannel[] = ['train.start', 'runs.list', 'runs.rename', 'runs.tag', 'runs.export', ...INSPECT_CHANNELS.filter((c) => c !== 'inspect.openModel')];

type EventListener = (channel: EventChannel, payload: unknown) => void;

interface Pending {
  channel: RequestChannel;
  resolve: (value: unknown) => void;
  reject: (error: ContractError) => void;
  timer: ReturnType<typeof setTimeout>;
}

export class EngineHost {
  private process: EngineProcess | null = null;
  private readonly pending = new Map<number, Pending>();
  private readonly listeners = new Set<EventListener>();
  private nextId = 1;
  private restarts = 0;
  private recentCrashes: number[] = [];
  private disposed = false;
  private backend: BackendName | undefined;
  private ready: Promise<EngineInfo> | null = null;
  private lastInfo: EngineInfo | null = null;

  constructor(
    private readonly spawn: Spawner,
    private readonly options: EngineHostOptions = {},
  ) {
    this.backend = options.backend;
  }

  /** Starts the engine (if not running) and resolves with its info once it answers. */
  start(): Promise<EngineInfo> {
    if (this.ready) return this.ready;
    this.emit('engine.status', { state: 'starting', pid: null, message: 'starting the engine', restarts: this.restarts });
    const child = this.spawn(this.backend ? ['--backend', this.backend] : []);
    this.process = child;
    child.onMessage((raw) => this.onEngineMessage(raw));
    child.onExit((code, signal) => this.onEngineExit(child, code, signal));
    this.ready = this.forward('engine.info', {}).then((info) => {
      this.lastInfo = info;
      this.emit('engine.status', { state: 'ready', pid: child.pid, message: `engine ready on ${info.backend}`, restarts: this.restarts });
      return info;
    });
    // A failed start is reported through engine.status by onEngineExit; callers see the rejection.
    this.ready.catch(() => undefined);
    return this.ready;
  }

  get info(): EngineInfo | null {
    return this.lastInfo;
  }

  /** Subscribes to every event (engine events and the host's engine.status). */
  onEvent(listener: EventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Answers one request from a client. The payload is validated here, at arrival from the
   * client, and the result again at arrival from the engine.
   */
  async request(channel: string, payload: unknown): Promise<unknown> {
    const parsed = parseRequest(channel, payload);
    const known = channel as RequestChannel;
    if (known === 'engine.restart') {
      const { backend } = parsed as { backend?: BackendName };
      return this.restart(backend);
    }
    if (isRunsHostChannel(known)) {
      if (!this.options.runs) throw new ContractError({ code: 'unknown-channel', message: `${known}: this host keeps no runs folder` });
      return this.options.runs.handle(known, parsed as never);
    }
    if (this.disposed) throw new ContractError({ code: 'engine-unavailable', message: 'the engine host is shut down' });
    await this.start();
    const runsDir = this.options.runs?.folder.path ?? this.options.runsDir;
    if (RUNS_DIR_CHANNELS.includes(known) && runsDir) {
      const withDir = parsed as { runsDir?: string };
      if (!withDir.runsDir) return this.forward(known, { ...withDir, runsDir });
    }
    return this.forward(known, parsed);
  }

  /** Kills the engine if running and starts a new one, optionally on another backend. */
  async restart(backend?: BackendName): Promise<EngineInfo> {
    if (backend) this.backend = backend;
    this.recentCrashes = [];
    const old = this.process;
    this.process = null;
    this.ready = null;
    if (old) {
      this.failPending('the engine was restarted');
      old.kill();
    }
    this.restarts++;
    return this.start();
  }

  dispose(): void {
    this.disposed = true;
    this.failPending('the engine host is shutting down');
    this.process?.kill();
    this.process = null;
    this.listeners.clear();
  }

  private forward<C extends RequestChannel>(channel: C, payload: unknown): Promise<ResponseOf<C>> {
    const child = this.process;
    if (!child) return Promise.reject(new ContractError({ code: 'engine-unavailable', message: 'the engine is not running' }));
    const id = this.nextId++;
    const timeoutMs = this.options.requestTimeoutMs ?? 120_000;
    return new Promise<ResponseOf<C>>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new ContractError({ code: 'engine-unavailable', message: `${channel}: the engine did not answer within ${timeoutMs} ms` }));
      }, timeoutMs);
      this.pending.set(id, { channel, resolve: resolve as (value: unknown) => void, reject, timer });
      child.send({ type: 'request', id, channel, payload });
    });
  }

  private onEngineMessage(raw: unknown): void {
    try {
      const message = parseMessage(raw);
      if (message.type === 'response') {
        const entry = this.pending.get(message.id);
        if (!entry) return;
        this.pending.delete(message.id);
        clearTimeout(entry.timer);
        if (message.ok) {
          try {
            entry.resolve(parseResponse(entry.channel, message.result));
          } catch (error) {
            entry.reject(error as ContractError);
          }
        } else {
          entry.reject(new ContractError(message.error));
        }
      } else if (message.type === 'event') {
        const payload = parseEvent(message.channel, message.payload);
        for (const listener of this.listeners) listener(message.channel as EventChannel, payload);
      }
    } catch (error) {
      this.options.log?.(`refused a message from the engine: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  private onEngineExit(child: EngineProcess, code: number | null, signal: string | null): void {
    if (child !== this.process) return; // an engine we already replaced
    this.process = null;
    this.ready = null;
    const how = signal ? `killed by ${signal}` : `exited with code ${code}`;
    this.failPending(`the engine ${how}`);
    if (this.disposed) return;
    const now = Date.now();
    const windowMs = this.options.restartWindowMs ?? 60_000;
    this.recentCrashes = [...this.recentCrashes.filter((t) => now - t < windowMs), now];
    const maxRestarts = this.options.maxRestarts ?? 3;
    if (this.recentCrashes.length > maxRestarts) {
      this.emit('engine.status', {
        state: 'crashed',
        pid: null,
        message: `the engine ${how}; it crashed ${this.recentCrashes.length} times in ${Math.round(windowMs / 1000)} s, so it is not restarted automatically`,
        restarts: this.restarts,
      });
      return;
    }
    this.emit('engine.status', { state: 'crashed', pid: null, message: `the engine ${how}; starting a new one`, restarts: this.restarts });
    this.restarts++;
    this.emit('engine.status', { state: 'restarting', pid: null, message: 'restarting the engine', restarts: this.restarts });
    this.start().catch((error: unknown) => this.options.log?.(`engine restart failed: ${String(error)}`));
  }

  private failPending(reason: string): void {
    for (const [id, entry] of this.pending) {
      clearTimeout(entry.timer);
      entry.reject(new ContractError({ code: 'engine-unavailable', message: `${entry.channel}: ${reason}` }));
      this.pending.delete(id);
    }
  }

  private emit<C extends EventChannel>(channel: C, payload: EventOf<C>): void {
    for (const listener of this.listeners) listener(channel, payload);
  }
}
