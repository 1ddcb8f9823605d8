/**
 * Routes validated requests to handlers. Every incoming message is checked against the
 * contract; anything else is answered with a ContractError and changes nothing.
 */
import {
  parseMessage,
  parseRequest,
  parseResponse,
  toErrorShape,
  ContractError,
  type EngineChannel,
  type EventChannel,
  HOST_CHANNELS,
  type EventOf,
  type ParsedRequestOf,
  type RequestChannel,
  type ResponseMessage,
  type ResponseOf,
} from '@contract';

export type Handler<C extends RequestChannel> = (payload: ParsedRequestOf<C>) => Promise<ResponseOf<C>> | ResponseOf<C>;
export type Handlers = { [C in EngineChannel]: Handler<C> };
export type Emit = <C extends EventChannel>(channel: C, payload: EventOf<C>) => void;

/**
 * Handles one raw message; returns the response to send, or null when the message needs
 * none (an event, or a response, which an engine never expects).
 */
export async function dispatch(handlers: Handlers, raw: unknown): Promise<ResponseMessage | null> {
  let id = 0;
  try {
    // The id is recovered before full validation so that even a malformed request gets its answer.
    if (typeof raw === 'object' && raw !== null && typeof (raw as { id?: unknown }).id === 'number') {
      const candidate = (raw as { id: number }).id;
      if (Number.isSafeInteger(candidate) && candidate >= 0) id = candidate;
    }
    const message = parseMessage(raw);
    if (message.type !== 'request') {
      throw new ContractError({ code: 'invalid-message', message: `the engine accepts requests only, got a ${message.type}` });
    }
    id = message.id;
    const channel = message.channel;
    const payload = parseRequest(channel, message.payload) as ParsedRequestOf<RequestChannel>;
    if ((HOST_CHANNELS as readonly string[]).includes(channel)) {
      throw new ContractError({ code: 'unknown-channel', message: `${channel} is answered by the host, not the engine` });
    }
    const handler = handlers[channel as EngineChannel] as unknown as Handler<RequestChannel>;
    const result = await handler(payload);
    // Our own answers are checked too: a handler bug surfaces here, not in the renderer.
    return { type: 'response', id, ok: true, result: parseResponse(channel as RequestChannel, result) };
  } catch (error) {
    return { type: 'response', id, ok: false, error: toErrorShape(error) };
  }
}
