/**
 * The gateway client's socket in Node: the `ws` package, which (unlike a browser) can send the
 * token as an `Authorization: Bearer` header and tells a refused token (HTTP 401/403) and a
 * missing gateway (ECONNREFUSED...) apart, so `oxydra tui` can say which it was. A subpath of
 * its own (@oxydra/gateway-client/node) keeps `ws` out of the dashboard's bundle; the TUI and
 * tests use it.
 */

import WebSocket, { type RawData } from 'ws';
import type { ConnectFailure } from './errors.js';
import { CLOSE_WAIT_MS, type OpenSocket } from './socket.js';

/** ws error codes that mean nothing is listening at the address. */
const UNREACHABLE_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN']);

export function nodeSocket(token: string, handshakeTimeoutMs: number): OpenSocket {
  return (url, events) => {
    const socket = new WebSocket(url, {
      headers: { Authorization: `Bearer ${token}` },
      handshakeTimeout: handshakeTimeoutMs,
      perMessageDeflate: false,
    });
    socket.on('unexpected-response', (_request, response) => {
      const status = response.statusCode ?? 0;
      response.resume();
      const refused = status === 401 || status === 403;
      events.error(
        refused
          ? `the gateway at ${url} refused the token (HTTP ${status})`
          : `the gateway at ${url} refused the connection (HTTP ${status})`,
        refused ? 'unauthorized' : 'rejected',
      );
    });
    socket.on('error', (error: NodeJS.ErrnoException) => {
      const [message, kind] = connectFailure(url, error, handshakeTimeoutMs);
      events.error(message, kind);
    });
    socket.on('open', () => events.open());
    socket.on('message', (data, isBinary) => events.message(isBinary ? undefined : rawText(data)));
    socket.on('close', (code, reason) => events.close(code, reason.toString('utf8')));
    return {
      get isOpen() {
        return socket.readyState === WebSocket.OPEN;
      },
      send: (text) => socket.send(text),
      close: (code, reason) => {
        if (socket.readyState === WebSocket.CLOSED) return Promise.resolve();
        const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
        socket.close(code, reason);
        // A gateway that never completes the closing handshake does not keep us waiting.
        const force = setTimeout(() => socket.terminate(), CLOSE_WAIT_MS);
        return closed.finally(() => clearTimeout(force));
      },
      terminate: () => socket.terminate(),
    };
  };
}

function connectFailure(
  url: string,
  error: NodeJS.ErrnoException,
  handshakeTimeoutMs: number,
): [string, ConnectFailure] {
  if (error.code && UNREACHABLE_CODES.has(error.code))
    return [`no gateway at ${url}; start one with \`oxydra gateway\``, 'unreachable'];
  if (/handshake has timed out/i.test(error.message))
    return [
      `the gateway at ${url} did not accept the connection within ${handshakeTimeoutMs / 1000} s`,
      'timeout',
    ];
  return [`cannot connect to the gateway at ${url}: ${error.code ?? error.message}`, 'unreachable'];
}

function rawText(data: RawData): string {
  if (Buffer.isBuffer(data)) return data.toString('utf8');
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.from(data).toString('utf8');
}
