/**
 * Backpressure for serve's WebSocket clients. Events are broadcast to every client as they
 * come; a client that does not read (a stalled tab, a slow link) would make serve buffer every
 * frame for it without bound while training goes on. A client whose backlog passes the limit
 * is closed instead (code 1013, "try again later"): the browser's bridge reconnects and the
 * page re-reads its state, while training and the other clients never wait for it.
 */
import type { WebSocket } from 'ws';

/** Bytes queued for one client before it is dropped: ~1 s of the fullest event stream. */
export const MAX_CLIENT_BACKLOG_BYTES = 32 * 1024 * 1024;
/** After the close frame, how long a client that reads nothing keeps its socket. */
const CLOSE_GRACE_MS = 2000;

/**
 * Sends `frame` to `ws`, or closes the client when its backlog would pass `limit` bytes.
 * Returns whether the frame was queued.
 */
export function sendOrShed(ws: WebSocket, frame: string | Uint8Array, limit: number, log: (line: string) => void): boolean {
  if (ws.readyState !== ws.OPEN) return false;
  const size = typeof frame === 'string' ? Buffer.byteLength(frame) : frame.byteLength;
  if (ws.bufferedAmount + size > limit) {
    log(`closing a WebSocket client ${ws.bufferedAmount} bytes behind (limit ${limit}): it is not reading`);
    ws.close(1013, 'too far behind: reconnect');
    // The close frame waits behind the backlog that the client is not reading: cut it off.
    setTimeout(() => ws.terminate(), CLOSE_GRACE_MS).unref();
    return false;
  }
  ws.send(frame);
  return true;
}
