/**
 * What the client needs of a WebSocket, so one client runs over the browser's WebSocket, the
 * `ws` package in Node (which can send an Authorization header) or an in-memory pair in tests.
 * A transport reports why a connection could not be made when it can tell (a browser cannot:
 * it hides the HTTP status of a refused upgrade).
 */
import type { ConnectFailure } from './errors.js';

export interface SocketEvents {
  open(): void;
  /** A text message; `undefined` for a binary one (frames are JSON text). */
  message(text: string | undefined): void;
  close(code: number, reason: string): void;
  /** The connection failed; `kind` when the transport knows why. A close follows or has come. */
  error(message: string, kind?: ConnectFailure): void;
}

export interface ClientSocket {
  /** Whether frames can be sent now. */
  readonly isOpen: boolean;
  send(text: string): void;
  /** Closes with a handshake; settles when closed, or after a second for a peer that never answers. */
  close(code: number, reason: string): Promise<void>;
  /** Drops the connection without a closing handshake (a gateway that stopped answering). */
  terminate(): void;
}

/** How long close() waits for the peer's side of the closing handshake. */
export const CLOSE_WAIT_MS = 1_000;

/** Opens a socket to `url` that reports to `events`. */
export type OpenSocket = (url: string, events: SocketEvents) => ClientSocket;

/** The subprotocol a browser client asks for (the gateway's GATEWAY_SUBPROTOCOL). */
const PROTOCOL_SUBPROTOCOL = 'oxydra.v2';

/**
 * The browser's WebSocket: browsers cannot set headers on an upgrade, so the token goes as the
 * subprotocol `bearer.<token>` beside oxydra.v2 (the gateway selects oxydra.v2 and never echoes
 * the token).
 */
export function browserSocket(token: string): OpenSocket {
  return (url, events) => {
    const socket = new WebSocket(url, [PROTOCOL_SUBPROTOCOL, `bearer.${token}`]);
    socket.onopen = () => events.open();
    socket.onmessage = (message) =>
      events.message(typeof message.data === 'string' ? message.data : undefined);
    socket.onclose = (event) => events.close(event.code, event.reason);
    socket.onerror = () => events.error(`cannot connect to the gateway at ${url}`);
    return {
      get isOpen() {
        return socket.readyState === WebSocket.OPEN;
      },
      send: (text) => socket.send(text),
      close: (code, reason) =>
        new Promise<void>((resolve) => {
          socket.onclose = () => resolve();
          socket.close(code, reason);
          setTimeout(resolve, CLOSE_WAIT_MS);
        }),
      // A browser has no terminate: close and stop listening, so the reconnect starts now.
      terminate: () => {
        socket.onclose = null;
        socket.close();
        events.close(1006, 'terminated');
      },
    };
  };
}
