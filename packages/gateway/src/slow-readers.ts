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
