/**
 * The browser's connection to the gateway's WebSocket protocol v2 (/ws on this origin): the
 * token goes as the subprotocol `bearer.<token>` beside `oxydra.v2` (browsers cannot set headers
 * on a WebSocket; the gateway selects oxydra.v2 and never echoes the token). It says hello with
 * the "approvals" capability, matches answers to requests by request_id, and when the connection
 * drops reconnects with backoff (250 ms doubling to 5 s), resuming its session.
 */
import type { ClientFrame, ClientFrameType, ClientPayload, ServerFrame, ServerPayload } from '@oxydra/types';

/** The protocol this client speaks (GATEWAY_PROTOCOL_VERSION; a type-only import keeps zod out). */
const PROTOCOL_VERSION = 2;

export type ConnectionState =
  | { state: 'connecting' }
  | { state: 'connected' }
  | { state: 'reconnecting'; attempt: number; reason: string }
  | { state: 'closed'; reason: string };

export type SocketEvent =
  | { kind: 'frame'; frame: ServerFrame }
  | { kind: 'hello'; ack: ServerPayload<'hello_ack'>; resumed: boolean }
  | { kind: 'connection'; connection: ConnectionState };

const ANSWERS = {
  create_session: 'session_created',
  list_sessions: 'session_list',
  switch_session: 'session_switched',
  health_check: 'health_status',
} as const;
type Answered = keyof typeof ANSWERS;
export type RequestPayload<T extends ClientFrameType> = Omit<ClientPayload<T>, 'request_id'>;

interface Pending {
  answer: ServerFrame['type'];
  resolve: (payload: unknown) => void;
  reject: (error: Error) => void;
  timer: ReturnType<typeof setTimeout>;
}

export interface GatewaySocketOptions {
  token: string;
  userId?: string;
  /** Resume this session first; without it, the user's default session. */
  sessionId?: string;
  /** ws(s)://host/ws; default this page's origin. */
  url?: string;
}

/** Close codes after which reconnecting cannot help. */
const FINAL_CLOSE = new Set([1002, 1008]);

export class GatewaySocket {
  #socket: WebSocket | undefined;
  #listeners = new Set<(event: SocketEvent) => void>();
  #pending = new Map<string, Pending>();
  #counter = 0;
  #prefix = `web-${Math.random().toString(36).slice(2, 8)}`;
  #attempt = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #closed = false;
  #sessionId: string | undefined;
  #helloId = '';
  #connected = false;
  connection: ConnectionState = { state: 'connecting' };

  constructor(readonly options: GatewaySocketOptions) {
    this.#sessionId = options.sessionId;
  }

  get sessionId(): string | undefined {
    return this.#sessionId;
  }

  subscribe(listener: (event: SocketEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  start(): void {
    this.#open(false);
  }

  close(): void {
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#rejectAll('closed');
    this.#socket?.close(1000, 'bye');
    this.#socket = undefined;
    this.#setConnection({ state: 'closed', reason: 'closed' });
  }

  /** Sends a frame whose answers arrive as events; returns its request_id. */
  send<T extends ClientFrameType>(type: T, payload: RequestPayload<T>): string {
    const socket = this.#socket;
    if (!socket || socket.readyState !== WebSocket.OPEN || !this.#connected)
      throw new Error('not connected to the gateway');
    const requestId = this.#nextId();
    socket.send(JSON.stringify({ type, payload: { ...payload, request_id: requestId } } as ClientFrame));
    return requestId;
  }

  /** Sends a request and waits for its answer frame; an error frame rejects with its message. */
  request<T extends Answered>(
    type: T,
    payload: RequestPayload<T>,
    timeoutMs = 15_000,
  ): Promise<ServerPayload<(typeof ANSWERS)[T]>> {
    return new Promise((resolve, reject) => {
      let requestId: string;
      try {
        requestId = this.send(type, payload);
      } catch (error) {
        reject(error);
        return;
      }
      const timer = setTimeout(() => {
        this.#pending.delete(requestId);
        reject(new Error(`the gateway did not answer ${type}`));
      }, timeoutMs);
      this.#pending.set(requestId, {
        answer: ANSWERS[type],
        resolve: resolve as (payload: unknown) => void,
        reject,
        timer,
      });
    });
  }

  #url(): string {
    if (this.options.url) return this.options.url;
    const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
    return `${scheme}//${location.host}/ws`;
  }

  #open(resumed: boolean): void {
    if (this.#closed) return;
    this.#connected = false;
    let socket: WebSocket;
    try {
      socket = new WebSocket(this.#url(), ['oxydra.v2', `bearer.${this.options.token}`]);
    } catch (error) {
      this.#retry(String(error));
      return;
    }
    this.#socket = socket;
    this.#helloId = this.#nextId();
    socket.onopen = () => {
      const hello: ClientFrame = {
        type: 'hello',
        payload: {
          request_id: this.#helloId,
          protocol_version: PROTOCOL_VERSION,
          ...(this.options.userId ? { user_id: this.options.userId } : {}),
          ...(this.#sessionId ? { session_id: this.#sessionId } : {}),
          create_new_session: false,
          capabilities: ['approvals'],
        },
      };
      socket.send(JSON.stringify(hello));
    };
    socket.onmessage = (message) => {
      if (typeof message.data !== 'string') return;
      let frame: ServerFrame;
      try {
        frame = JSON.parse(message.data) as ServerFrame;
      } catch {
        return;
      }
      this.#onFrame(frame, resumed);
    };
    socket.onclose = (event) => {
      if (socket !== this.#socket) return;
      this.#socket = undefined;
      this.#connected = false;
      this.#rejectAll('the connection to the gateway was lost');
      if (this.#closed) return;
      const reason = event.reason || `connection closed (code ${event.code})`;
      if (FINAL_CLOSE.has(event.code)) {
        this.#setConnection({ state: 'closed', reason });
        return;
      }
      this.#retry(reason);
    };
  }

  #onFrame(frame: ServerFrame, resumed: boolean): void {
    if (frame.type === 'hello_ack' && frame.payload.request_id === this.#helloId) {
      this.#connected = true;
      this.#attempt = 0;
      this.#sessionId = frame.payload.session.session_id;
      this.#emit({ kind: 'hello', ack: frame.payload, resumed });
      this.#setConnection({ state: 'connected' });
      return;
    }
    if (frame.type === 'error' && frame.payload.request_id === this.#helloId && !this.#connected) {
      // A resumed session that is gone: start over on the default session.
      if (frame.payload.code === 'session_not_found' && this.#sessionId) {
        this.#sessionId = undefined;
        this.#socket?.close(1000, 'retry');
        return;
      }
      this.#setConnection({ state: 'closed', reason: frame.payload.message });
      this.#closed = true;
      this.#socket?.close(1000, 'refused');
      return;
    }
    if (frame.type === 'session_created' || frame.type === 'session_switched')
      this.#sessionId = frame.payload.session.session_id;
    const requestId =
      'request_id' in frame.payload ? (frame.payload as { request_id?: string }).request_id : undefined;
    const pending = requestId === undefined ? undefined : this.#pending.get(requestId);
    if (pending && (frame.type === pending.answer || frame.type === 'error')) {
      this.#pending.delete(requestId!);
      clearTimeout(pending.timer);
      if (frame.type === 'error') pending.reject(new Error(frame.payload.message));
      else pending.resolve(frame.payload);
    }
    this.#emit({ kind: 'frame', frame });
  }

  #retry(reason: string): void {
    this.#attempt += 1;
    const delay = Math.min(5000, 250 * 2 ** (this.#attempt - 1)) * (0.8 + Math.random() * 0.4);
    this.#setConnection({ state: 'reconnecting', attempt: this.#attempt, reason });
    this.#timer = setTimeout(() => this.#open(true), delay);
  }

  #rejectAll(message: string): void {
    for (const [id, pending] of this.#pending) {
      clearTimeout(pending.timer);
      pending.reject(new Error(message));
      this.#pending.delete(id);
    }
  }

  #nextId(): string {
    this.#counter += 1;
    return `${this.#prefix}-${this.#counter}`;
  }

  #setConnection(connection: ConnectionState): void {
    this.connection = connection;
    this.#emit({ kind: 'connection', connection });
  }

  #emit(event: SocketEvent): void {
    for (const listener of this.#listeners) listener(event);
  }
}
