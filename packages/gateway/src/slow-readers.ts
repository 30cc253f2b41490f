/**
 * Clients that stop reading a stream the gateway keeps writing to (a WebSocket, the live feed,
 * an A2A stream, a streamed /v1 answer without an Idempotency-Key): whatever their socket cannot take piles up in the gateway's memory, without
 * bound, for as long as the connection stays open (a laptop asleep with its TCP connection
 * alive, a client that never reads on purpose). Past this many unread bytes the client is
 * dropped instead; a client that reads keeps far less than this behind.
 */
import type { ServerResponse } from 'node:http';
import type { GatewayLogger } from './types.js';

export const MAX_UNREAD_BYTES = 16 * 1024 * 1024;

/**
 * A non-streamed answer is handed to its socket whole, so it cannot be cut by bytes behind: the
 * connection of `out` is cut once its answer has begun and its client has taken nothing of it for
 * `stallMs` (Node's idle check of the socket, which counts bytes the kernel took as progress, so
 * the cut comes between one and two `stallMs`; the limits' answerStallMs, 30 s), where it was held
 * until the connection ended (about 110 MB per connection for an export of a 20 MB session). Time
 * spent building the answer (a run answered when it ends) does not count. The function returned
 * stops watching (a streamed answer, cut by bytes instead).
 */
export function cutStalledAnswer(out: ServerResponse, stallMs: number, log: GatewayLogger): () => void {
  const onStall = () => {
    // Still building the answer: nothing to take yet.
    if (!out.headersSent) {
      out.setTimeout(stallMs);
      return;
    }
    log('warn', 'dropping an HTTP client that does not read its answer', {
      remote: out.req.socket.remoteAddress,
      path: out.req.url?.split('?', 1)[0]?.slice(0, 200),
      unread_bytes: out.writableLength,
    });
    out.destroy();
  };
  out.setTimeout(stallMs, onStall);
  return () => {
    out.off('timeout', onStall);
    if (!out.destroyed) out.setTimeout(0);
  };
}

/**
 * Writes `text` to a streamed HTTP answer, unless its client already has MAX_UNREAD_BYTES or
 * more unread: then the answer's socket is destroyed (its 'close' listeners stop what feeds it)
 * and false is returned. `what` names the stream in the warning.
 */
export function writeUnlessBehind(
  out: ServerResponse,
  text: string,
  log: GatewayLogger | undefined,
  what: string,
): boolean {
  if (out.destroyed || out.writableEnded) return false;
  if (out.writableLength >= MAX_UNREAD_BYTES) {
    log?.('warn', `dropping a ${what} client that does not read`, {
      remote: out.req.socket.remoteAddress,
      unread_bytes: out.writableLength,
    });
    out.destroy();
    return false;
  }
  out.write(text);
  return true;
}
