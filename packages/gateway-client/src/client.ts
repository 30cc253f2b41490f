/**
 * A client of the gateway's WebSocket protocol (v2), independent of any view and of the socket
 * under it (socket.ts): it says hello and waits (10 s) for hello_ack, matches answers to requests
 * by request_id, checks the gateway's health every ~5 s, and when the connection drops
 * reconnects with backoff (250 ms doubling to 5 s, jittered) and resumes its session by saying
 * hello with that session's id. Listeners receive every frame, connection change and malformed
 * frame. The TUI, the dashboard and tests use it.
 */
import type {
  ClientFrame,
  ClientFrameType,
  ClientPayload,
  GATEWAY_PROTOCOL_VERSION,
  ServerFrame,
  ServerPayload,
} from '@oxydra/types/gateway';
import { type BackoffPolicy, DEFAULT_BACKOFF, reconnectDelay } from './backoff.js';
import { type FrameCodec, plainCodec } from './codec.js';
import { GatewayConnectError, GatewayRequestError } from './errors.js';
import type { ClientEvent, ClientListener, ConnectionState, HelloAck, SessionRef } from './events.js';
import type { ClientSocket, OpenSocket, SocketEvents } from './socket.js';

/** The protocol this client speaks; typed against the gateway's constant, a type-only import keeps zod out. */
const PROTOCOL_VERSION: typeof GATEWAY_PROTOCOL_VERSION = 2;

export interface GatewayClientOptions {
  /** ws://host:port/ws or wss://... */
  url: string;
  /** How to open a socket (browserSocket, the TUI's `ws` one, an in-memory pair); it carries the token. */
  openSocket: OpenSocket;
  userId?: string;
  /** Join this session on the first hello. */
  sessionId?: string;
  /**
   * Without sessionId: true starts a new session (the TUI), false attaches the user's default
   * session (the dashboard, Oxydra's clients). Default true.
   */
  newSession?: boolean;
  /** What hello says this client can do; default ['approvals'] (both apps ask the user y/n); [] says nothing. */
  capabilities?: string[];
  /**
   * Whether a dropped connection is reconnected (default true). A one-shot client (a script, a
   * test of how the gateway ends a connection) sets false: every drop is final, with its code.
   */
  reconnect?: boolean;
  /** Checks frames (checkedCodec) or only parses them (the default). */
  codec?: FrameCodec;
  /** Starts every request_id (tui, web, test), so the gateway's log tells clients apart. */
  idPrefix?: string;
  /** Names this client in a protocol-mismatch message ("this oxydra tui speaks 2"). */
  clientName?: string;
  helloTimeoutMs?: number;
  healthIntervalMs?: number;
  requestTimeoutMs?: number;
  backoff?: BackoffPolicy;
  /** Source of jitter; tests pass a fixed one. */
  random?: () => number;
}

/** The request frames that have one answer frame, and which. */
const ANSWERS = {
  health_check: 'health_status',
  create_session: 'session_created',
  list_sessions: 'session_list',
  switch_session: 'session_switched',
} as const;
export type AnsweredRequest = keyof typeof ANSWERS;
export type AnswerOf<T extends AnsweredRequest> = ServerPayload<(typeof ANSWERS)[T]>;
export type RequestPayload<T extends ClientFrameType> = Omit<ClientPayload<T>, 'request_id'>;

interface PendingRequest {
  answer: ServerFrame['type'];
  resolve: (payload: unknown) => void;
  reject: (error: Error) => void;
  timer: ReturnType<typeof setTimeout>;
}

/** Close codes after which reconnecting cannot help: protocol error, policy violation. */
const FINAL_CLOSE = new Set([1002, 1008]);
/** Connection failures that another attempt would only repeat. */
const FINAL_FAILURES = new Set(['unauthorized', 'protocol', 'refused']);

export class GatewayClient {
  readonly #options: GatewayClientOptions;
  readonly #codec: FrameCodec;
  readonly #helloTimeoutMs: number;
  readonly #healthIntervalMs: number;
  readonly #requestTimeoutMs: number;
  readonly #backoff: BackoffPolicy;
  readonly #random: () => number;
  readonly #idPrefix: string;
  readonly #listeners = new Set<ClientListener>();
  readonly #pending = new Map<string, PendingRequest>();
  #requestCounter = 0;
  #socket: ClientSocket | undefined;
  #sessionRef: SessionRef | undefined;
  /** The session the next hello names: the last one attached, until the gateway says it is gone. */
  #resumeId: string | undefined;
  #connection: ConnectionState = { state: 'connecting' };
  #started = false;
  #closing = false;
  #attempt = 0;
  #reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  #healthTimer: ReturnType<typeof setInterval> | undefined;
  #healthPending: { requestId: string; sentAt: number } | undefined;
  /** Why the current socket is being torn down by us, reported when it closes. */
  #dropReason: string | undefined;

  constructor(options: GatewayClientOptions) {
    this.#options = options;
    this.#codec = options.codec ?? plainCodec;
    this.#helloTimeoutMs = options.helloTimeoutMs ?? 10_000;
    this.#healthIntervalMs = options.healthIntervalMs ?? 5_000;
    this.#requestTimeoutMs = options.requestTimeoutMs ?? 15_000;
    this.#backoff = options.backoff ?? DEFAULT_BACKOFF;
    this.#random = options.random ?? Math.random;
    this.#idPrefix = `${options.idPrefix ?? 'client'}-${Math.floor(this.#random() * 36 ** 6).toString(36)}`;
    this.#resumeId = options.sessionId;
  }

  get url(): string {
    return this.#options.url;
  }

  /** The session this connection is attached to (after hello_ack, create_session or switch_session). */
  get session(): SessionRef | undefined {
    return this.#sessionRef;
  }

  get connection(): ConnectionState {
    return this.#connection;
  }

  subscribe(listener: ClientListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** The first connection; throws GatewayConnectError. Later drops are retried for ever. */
  async connect(): Promise<HelloAck> {
    this.#begin();
    try {
      return await this.#open(false);
    } catch (error) {
      this.#setConnection({ state: 'closed' });
      throw error;
    }
  }

  /**
   * Connects in the background, retrying the first connection too (the dashboard: the gateway
   * may be restarting). A failure retrying cannot fix (a refused token or hello, another
   * protocol version) ends in `closed` with its reason.
   */
  start(): void {
    this.#begin();
    this.#open(false).catch((error: unknown) => this.#failed(error));
  }

  /** Send a frame whose answers arrive as events (send_turn, cancels); returns its request_id. */
  send<T extends ClientFrameType>(type: T, payload: RequestPayload<T>): string {
    // The live socket is set only once hello_ack came, before listeners hear of it: a `hello`
    // listener may send at once (the dashboard asks for the session list there).
    const socket = this.#socket;
    if (!socket?.isOpen) throw new GatewayRequestError('not connected to the gateway', false);
    const requestId = this.#nextRequestId();
    socket.send(this.#codec.encode({ type, payload: { ...payload, request_id: requestId } } as ClientFrame));
    return requestId;
  }

  /** Send a request and wait for its answer frame (an error frame rejects). */
  request<T extends AnsweredRequest>(
    type: T,
    payload: RequestPayload<T>,
    timeoutMs = this.#requestTimeoutMs,
  ): Promise<AnswerOf<T>> {
    return new Promise<AnswerOf<T>>((resolve, reject) => {
      let requestId: string;
      try {
        requestId = this.send(type, payload);
      } catch (error) {
        reject(error);
        return;
      }
      const timer = setTimeout(() => {
        this.#pending.delete(requestId);
        reject(
          new GatewayRequestError(`the gateway did not answer ${type} within ${timeoutMs / 1000} s`, false),
        );
      }, timeoutMs);
      this.#pending.set(requestId, {
        answer: ANSWERS[type],
        resolve: resolve as (payload: unknown) => void,
        reject,
        timer,
      });
    });
  }

  /** A new turn_id: a UUID where the platform makes one (a page served over plain http:// off loopback has none). */
  newTurnId(): string {
    return (
      globalThis.crypto?.randomUUID?.() ??
      `${this.#idPrefix}-turn-${Date.now().toString(36)}-${Math.floor(this.#random() * 36 ** 6).toString(36)}`
    );
  }

  /** Disconnect for good: no reconnects, pending requests rejected. */
  async close(): Promise<void> {
    this.#closing = true;
    clearTimeout(this.#reconnectTimer);
    this.#stopHealthChecks();
    this.#rejectPending('the client was closed');
    const socket = this.#socket;
    this.#socket = undefined;
    if (socket) await socket.close(1000, 'bye');
    this.#setConnection({ state: 'closed' });
  }

  // ---- connection lifecycle ----

  #begin(): void {
    if (this.#started) throw new Error('a GatewayClient connects once (connect() or start())');
    this.#started = true;
    this.#setConnection({ state: 'connecting' });
  }

  /**
   * Open a socket, complete the hello handshake and make it the live socket. It is attached in
   * the same tick as hello_ack arrives: frames right behind it (a running turn's deltas) would
   * otherwise be emitted before anyone listens.
   */
  #open(resumed: boolean): Promise<HelloAck> {
    const url = this.#options.url;
    const sessionId = this.#resumeId;
    return new Promise((resolve, reject) => {
      const helloId = this.#nextRequestId();
      let settled = false;
      let attached = false;
      const fail = (error: GatewayConnectError) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        socket?.terminate();
        reject(error);
      };
      const timer = setTimeout(
        () =>
          fail(
            new GatewayConnectError(
              'timeout',
              `the gateway at ${url} did not answer hello within ${this.#helloTimeoutMs / 1000} s`,
            ),
          ),
        this.#helloTimeoutMs,
      );
      let socket: ClientSocket | undefined;
      const events: SocketEvents = {
        open: () => {
          const newSession = this.#options.newSession ?? true;
          const capabilities = this.#options.capabilities ?? ['approvals'];
          const hello: ClientFrame = {
            type: 'hello',
            payload: {
              request_id: helloId,
              protocol_version: PROTOCOL_VERSION,
              ...(this.#options.userId ? { user_id: this.#options.userId } : {}),
              ...(sessionId ? { session_id: sessionId } : {}),
              create_new_session: !sessionId && newSession,
              // Both apps ask the user y/n when an agent wants to run a privileged tool; a
              // client that asks for nothing says nothing (hello_ack then echoes none).
              ...(capabilities.length > 0 ? { capabilities } : {}),
            },
          };
          socket?.send(this.#codec.encode(hello));
        },
        message: (text) => {
          if (attached) {
            this.#onMessage(text);
            return;
          }
          if (settled) return;
          const decoded = text === undefined ? binary() : this.#codec.decode(text);
          if (!decoded.ok) {
            this.#emit({ kind: 'malformed', problem: decoded.problem });
            return;
          }
          const frame = decoded.frame;
          if (frame.type === 'hello_ack') {
            if (frame.payload.protocol_version !== PROTOCOL_VERSION) {
              fail(
                new GatewayConnectError(
                  'protocol',
                  `the gateway at ${url} speaks protocol version ${frame.payload.protocol_version}; this ${this.#options.clientName ?? 'client'} speaks ${PROTOCOL_VERSION}: run the same oxydra version on both ends`,
                ),
              );
              return;
            }
            if (this.#closing) {
              fail(new GatewayConnectError('rejected', 'the client was closed'));
              return;
            }
            settled = true;
            attached = true;
            clearTimeout(timer);
            this.#attach(socket!, frame.payload, resumed);
            resolve(frame.payload);
            return;
          }
          if (frame.type === 'error' && (frame.payload.request_id ?? helloId) === helloId) {
            // A session resumed after it was deleted: the next attempt starts over without it.
            const gone = frame.payload.code === 'session_not_found' && sessionId !== undefined;
            if (gone) this.#resumeId = undefined;
            fail(
              new GatewayConnectError(
                gone ? 'rejected' : 'refused',
                `the gateway refused hello: ${frame.payload.message}`,
              ),
            );
            return;
          }
          this.#emit({ kind: 'frame', frame });
        },
        close: (code, reason) => {
          if (attached) {
            this.#onClose(socket!, code, reason);
            return;
          }
          fail(
            new GatewayConnectError(
              'rejected',
              `the gateway at ${url} closed the connection before hello_ack (${describeClose(code, reason)})`,
            ),
          );
        },
        error: (message, kind) => {
          if (!attached) fail(new GatewayConnectError(kind ?? 'unreachable', message));
        },
      };
      try {
        socket = this.#options.openSocket(url, events);
      } catch (error) {
        // A URL the transport cannot use (a browser throws for it at once).
        fail(new GatewayConnectError('unreachable', `cannot connect to ${url}: ${(error as Error).message}`));
      }
    });
  }

  /** Make a handshaken socket the live one. */
  #attach(socket: ClientSocket, ack: HelloAck, resumed: boolean): void {
    this.#socket = socket;
    this.#sessionRef = ack.session;
    this.#resumeId = ack.session.session_id;
    this.#attempt = 0;
    this.#dropReason = undefined;
    this.#emit({ kind: 'hello', ack, resumed });
    this.#setConnection({ state: 'connected' });
    this.#startHealthChecks();
  }

  #onMessage(text: string | undefined): void {
    const decoded = text === undefined ? binary() : this.#codec.decode(text);
    if (!decoded.ok) {
      this.#emit({ kind: 'malformed', problem: decoded.problem });
      return;
    }
    const frame = decoded.frame;
    // The client's own bookkeeping first, so listeners see a consistent client.
    if (frame.type === 'session_created' || frame.type === 'session_switched') {
      this.#sessionRef = frame.payload.session;
      this.#resumeId = frame.payload.session.session_id;
    }
    const requestId = 'request_id' in frame.payload ? frame.payload.request_id : undefined;
    if (frame.type === 'health_status' && requestId === this.#healthPending?.requestId)
      this.#healthPending = undefined;
    const pending = requestId === undefined ? undefined : this.#pending.get(requestId);
    if (pending && (frame.type === pending.answer || frame.type === 'error')) {
      this.#pending.delete(requestId!);
      clearTimeout(pending.timer);
      if (frame.type === 'error')
        pending.reject(new GatewayRequestError(frame.payload.message, true, frame.payload.code));
      else pending.resolve(frame.payload);
    }
    this.#emit({ kind: 'frame', frame });
  }

  #onClose(socket: ClientSocket, code: number, reason: string): void {
    if (socket !== this.#socket) return;
    this.#socket = undefined;
    this.#stopHealthChecks();
    this.#rejectPending('the connection to the gateway was lost');
    if (this.#closing) return;
    const why = this.#dropReason ?? `connection lost (${describeClose(code, reason)})`;
    if (FINAL_CLOSE.has(code) || this.#options.reconnect === false)
      this.#setConnection({ state: 'closed', reason: why, code });
    else this.#scheduleReconnect(why);
  }

  #failed(error: unknown): void {
    if (this.#closing) return;
    const message = error instanceof Error ? error.message : String(error);
    if (error instanceof GatewayConnectError && FINAL_FAILURES.has(error.kind))
      this.#setConnection({ state: 'closed', reason: message });
    else this.#scheduleReconnect(message);
  }

  #scheduleReconnect(reason: string): void {
    this.#attempt += 1;
    const delayMs = reconnectDelay(this.#attempt, this.#backoff, this.#random);
    this.#setConnection({ state: 'reconnecting', attempt: this.#attempt, delayMs, reason });
    this.#reconnectTimer = setTimeout(() => void this.#reconnect(), delayMs);
  }

  async #reconnect(): Promise<void> {
    if (this.#closing) return;
    try {
      await this.#open(true);
    } catch (error) {
      if (this.#closing) return;
      this.#failed(error);
    }
  }

  // ---- health checks ----

  #startHealthChecks(): void {
    this.#stopHealthChecks();
    this.#healthTimer = setInterval(() => this.#checkHealth(), this.#healthIntervalMs);
  }

  #stopHealthChecks(): void {
    clearInterval(this.#healthTimer);
    this.#healthTimer = undefined;
    this.#healthPending = undefined;
  }

  #checkHealth(): void {
    const socket = this.#socket;
    if (!socket?.isOpen) return;
    if (this.#healthPending) {
      // A gateway that stops answering is treated as gone: drop the socket and reconnect.
      if (Date.now() - this.#healthPending.sentAt >= this.#helloTimeoutMs) {
        this.#dropReason = 'the gateway stopped answering health checks';
        socket.terminate();
      }
      return;
    }
    try {
      const requestId = this.send('health_check', {});
      this.#healthPending = { requestId, sentAt: Date.now() };
    } catch {
      // Not connected: the close handler is already reconnecting.
    }
  }

  // ---- helpers ----

  #nextRequestId(): string {
    this.#requestCounter += 1;
    return `${this.#idPrefix}-${this.#requestCounter}`;
  }

  #rejectPending(message: string): void {
    for (const [id, pending] of this.#pending) {
      clearTimeout(pending.timer);
      pending.reject(new GatewayRequestError(message, false));
      this.#pending.delete(id);
    }
  }

  #setConnection(connection: ConnectionState): void {
    this.#connection = connection;
    this.#emit({ kind: 'connection', connection });
  }

  #emit(event: ClientEvent): void {
    for (const listener of this.#listeners) listener(event);
  }
}

function binary(): { ok: false; problem: string } {
  return { ok: false, problem: 'a binary message (frames are JSON text)' };
}

function describeClose(code: number, reason: string): string {
  return reason ? `code ${code}: ${reason}` : `code ${code}`;
}
