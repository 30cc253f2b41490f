/**
 * The gateway's end of an in-memory socket, played by the test, for what a real hub never does:
 * answer hello with another protocol version or not at all, send text that is not a frame,
 * answer requests out of order or never. Everything a real hub does is tested against a real
 * gateway (packages/tui/test, packages/cli/test/tui-e2e.test.ts). By default it answers hello
 * and health checks as a hub would.
 */
import type { OpenSocket, SocketEvents } from '@oxydra/gateway-client';
import type { ClientFrame, ServerFrame } from '@oxydra/types/gateway';

type Hello = Extract<ClientFrame, { type: 'hello' }>;

export class ScriptedPeer {
  /** Every frame the client sent, over every connection. */
  readonly received: ClientFrame[] = [];
  opened = 0;
  /** The hello answer; undefined stays silent. Default: a hello_ack for the session named, else a new one. */
  onHello: (hello: Hello) => ServerFrame | undefined = (hello) => ({
    type: 'hello_ack',
    payload: {
      request_id: hello.payload.request_id,
      protocol_version: 2,
      session: { user_id: 'default', session_id: hello.payload.session_id ?? `s${this.opened}` },
    },
  });
  answerHealthChecks = true;
  /** Frames sent right behind every hello answer, in the same tick. */
  greeting: ServerFrame[] = [];
  #events: SocketEvents | undefined;

  /** The OpenSocket to give the client. */
  readonly open: OpenSocket = (_url, events) => {
    this.opened++;
    this.#events = events;
    let open = true;
    queueMicrotask(() => events.open());
    return {
      get isOpen() {
        return open;
      },
      send: (text) => {
        const frame = JSON.parse(text) as ClientFrame;
        this.received.push(frame);
        if (frame.type === 'hello') {
          const answer = this.onHello(frame);
          if (answer)
            queueMicrotask(() => {
              for (const frame of [answer, ...this.greeting]) this.send(frame);
            });
        } else if (frame.type === 'health_check' && this.answerHealthChecks) {
          const answer: ServerFrame = {
            type: 'health_status',
            payload: { request_id: frame.payload.request_id, healthy: true },
          };
          queueMicrotask(() => this.send(answer));
        }
      },
      close: async (code, reason) => {
        open = false;
        events.close(code, reason);
      },
      terminate: () => {
        if (!open) return;
        open = false;
        events.close(1006, '');
      },
    };
  };

  framesOf<T extends ClientFrame['type']>(type: T): Extract<ClientFrame, { type: T }>[] {
    return this.received.filter((frame): frame is Extract<ClientFrame, { type: T }> => frame.type === type);
  }

  send(frame: ServerFrame): void {
    this.sendText(JSON.stringify(frame));
  }

  sendText(text: string): void {
    this.#events?.message(text);
  }

  /** The gateway closes the connection with this code. */
  closeWith(code: number, reason = ''): void {
    this.#events?.close(code, reason);
  }
}
