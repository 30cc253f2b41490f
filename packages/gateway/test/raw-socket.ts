/**
 * A socket that says only what the test sends, for what no real client does and the package's
 * client therefore cannot: send no hello or a malformed one, frames that are not JSON or not
 * protocol v2, frames before hello, or open the upgrade with other headers or subprotocols.
 * Frames it receives are decoded by the package's checked codec into a FrameInbox.
 */
import type { ClientListener } from '@oxydra/gateway-client';
import { FrameInbox } from '@oxydra/gateway-client';
import { checkedCodec } from '@oxydra/gateway-client/checked';
import WebSocket from 'ws';

export interface RawOptions {
  /** The bearer token; null sends none. */
  token: string | null;
  headers?: Record<string, string>;
  protocols?: string[];
}

export class RawSocket {
  readonly inbox: FrameInbox;
  /** Settles when the gateway (or the test) closed the connection. */
  readonly closed: Promise<{ code: number; reason: string }>;

  private constructor(readonly socket: WebSocket) {
    // The inbox is this socket's one listener.
    let emit: ClientListener = () => {};
    this.inbox = new FrameInbox({
      subscribe: (listener) => {
        emit = listener;
        return () => {
          emit = () => {};
        };
      },
    });
    socket.on('message', (data) => {
      const decoded = checkedCodec.decode(data.toString());
      emit(
        decoded.ok
          ? { kind: 'frame', frame: decoded.frame }
          : { kind: 'malformed', problem: decoded.problem },
      );
    });
    this.closed = new Promise((resolve) =>
      socket.on('close', (code, buffer) => {
        const reason = buffer.toString();
        emit({ kind: 'connection', connection: { state: 'closed', reason: `code ${code}`, code } });
        resolve({ code, reason });
      }),
    );
  }

  /** Opens the upgrade; rejects with `status` when the gateway refuses it. */
  static open(url: string, options: RawOptions): Promise<RawSocket> {
    const { token, headers, protocols } = options;
    const socket = new WebSocket(url, protocols ?? [], {
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
    });
    return new Promise((resolve, reject) => {
      socket.once('open', () => resolve(new RawSocket(socket)));
      socket.once('error', reject);
      socket.once('unexpected-response', (_request, response) =>
        reject(
          Object.assign(new Error(`upgrade refused: HTTP ${response.statusCode}`), {
            status: response.statusCode,
          }),
        ),
      );
    });
  }

  /** Sends a frame as JSON, or text as it is. */
  send(frame: object | string): void {
    this.socket.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
  }

  close(): void {
    this.socket.close();
  }
}
