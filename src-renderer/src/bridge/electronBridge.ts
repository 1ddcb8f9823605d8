/** The bridge over the Electron preload's `window.trainbench`: one function per channel. */
import {
  ContractError,
  ContractErrorShape,
  parseEvent,
  parseResponse,
  type Bridge,
  type EventChannel,
  type EventOf,
  type RequestChannel,
  type RequestOf,
  type ResponseOf,
} from '@contract';

type IpcResult = { ok: true; result: unknown } | { ok: false; error: unknown };

export interface PreloadApi {
  host: 'electron';
  pathForFile(file: File): string | null;
  on(channel: string, listener: (payload: unknown) => void): () => void;
  [channel: string]: unknown;
}

export class ElectronBridge implements Bridge {
  readonly host = 'electron' as const;
  constructor(private readonly api: PreloadApi) {}

  async request<C extends RequestChannel>(channel: C, payload: RequestOf<C>): Promise<ResponseOf<C>> {
    const invoke = this.api[channel];
    if (typeof invoke !== 'function') throw new ContractError({ code: 'unknown-channel', message: `the preload has no channel "${channel}"` });
    const answer = (await (invoke as (p: unknown) => Promise<IpcResult>)(payload)) as IpcResult;
    if (answer.ok) return parseResponse(channel, answer.result);
    const shape = ContractErrorShape.safeParse(answer.error);
    throw new ContractError(shape.success ? shape.data : { code: 'failed', message: `${channel} failed` });
  }

  pathForFile(file: File): string | null {
    return this.api.pathForFile(file);
  }

  on<C extends EventChannel>(channel: C, listener: (payload: EventOf<C>) => void): () => void {
    return this.api.on(channel, (raw) => {
      try {
        listener(parseEvent(channel, raw));
      } catch (error) {
        console.warn(`trainbench: refused a ${channel} event`, error);
      }
    });
  }
}
