/**
 * A client of the gateway's WebSocket protocol (v2), independent of any view: it connects with a
 * bearer token, says hello and waits (10 s) for hello_ack, matches answers to requests by
 * request_id, checks the gateway's health every ~5 s, and when the connection drops reconnects
 * with backoff (250 ms doubling to 5 s, jittered) and resumes its session by saying hello with
 * that session's id. Listeners receive every frame, connection change and malformed frame.
 */
import { randomUUID } from 'node:crypto';
import {
  type ClientFrame,
  type ClientFrameType,
  type ClientPayload,
  GATEWAY_PROTOCOL_VERSION,
  type ServerFrame,
  type ServerPayload,
} from '@oxydra/types';
import WebSocket, { type RawData } from 'ws';
import { type BackoffPolicy, DEFAULT_BACKOFF, reconnectDelay } from './backoff.js';
import { GatewayConnectError, GatewayRequestError } from './errors.js';
import type { ClientEvent, ClientListener, ConnectionState, HelloAck, SessionRef } from './events.js';
import { decodeServerFrame, encodeClientFrame } from './frame-codec.js';

export interface GatewayClientOptions {
  /** ws://host:port/ws or wss://... */
  url: string;
  /** Sent as `Authorization: Bearer <token>` on the upgrade request; never logged or shown. */
  token: string;
  userId?: string;
  /** Join this session on the first hello; without it the gateway creates a new session. */
  sessionId?: string;
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
  timer: NodeJS.Timeout;
}

/** ws error codes that mean nothing is listening at the address. */
const UNREACHABLE_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN']);

export class GatewayClient {
  private readonly helloTimeoutMs: number;
  private readonly healthIntervalMs: number;
  private readonly requestTimeoutMs: number;
  private readonly backoff: BackoffPolicy;
  private readonly random: () => number;
  private readonly idPrefix = `tui-${randomUUID().slice(0, 8)}`;
  private readonly listeners = new Set<ClientListener>();
  private readonly pending = new Map<string, PendingRequest>();
  private requestCounter = 0;
  private socket: WebSocket | undefined;
  private sessionRef: SessionRef | undefined;
  private connectionState: ConnectionState = { state: 'connecting' };
  private started = false;
  private closing = false;
  private attempt = 0;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private healthTimer: NodeJS.Timeout | undefined;
  private healthPending: { requestId: string; sentAt: number } | undefined;
  /** Why the current socket is being torn down by us, reported when it closes. */
  private dropReason: string | undefined;

  constructor(private readonly options: GatewayClientOptions) {
    this.helloTimeoutMs = options.helloTimeoutMs ?? 10_000;
    this.healthIntervalMs = options.healthIntervalMs ?? 5_000;
    this.requestTimeoutMs = options.requestTimeoutMs ?? 15_000;
    this.backoff = options.backoff ?? DEFAULT_BACKOFF;
    this.random = options.random ?? Math.random;
  }

  get url(): string {
    return this.options.url;
  }

  /** The session this connection is attached to (after hello_ack, /new or /switch). */
  get session(): SessionRef | undefined {
    return this.sessionRef;
  }

  get connection(): ConnectionState {
    return this.connectionState;
  }

  subscribe(listener: ClientListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The first connection. Throws GatewayConnectError; later drops are retried for ever. */
  async connect(): Promise<HelloAck> {
    if (this.started) throw new Error('GatewayClient.connect() may be called once');
    this.started = true;
    this.setConnection({ state: 'connecting' });
    try {
      return await this.open(this.options.sessionId, false);
    } catch (error) {
      this.setConnection({ state: 'closed' });
      throw error;
    }
  }

  /** Send a frame whose answers arrive as events (send_turn, cancels); returns its request_id. */
  send<T extends ClientFrameType>(type: T, payload: RequestPayload<T>): string {
    const socket = this.socket;
    if (!socket || socket.readyState !== WebSocket.OPEN || this.connectionState.state !== 'connected')
      throw new GatewayRequestError('not connected to the gateway', false);
    const requestId = this.nextRequestId();
    socket.send(encodeClientFrame({ type, payload: { ...payload, request_id: requestId } } as ClientFrame));
    return requestId;
  }

  /** Send a request and wait for its answer frame (an error frame rejects). */
  request<T extends AnsweredRequest>(
    type: T,
    payload: RequestPayload<T>,
    timeoutMs = this.requestTimeoutMs,
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
        this.pending.delete(requestId);
        reject(
          new GatewayRequestError(`the gateway did not answer ${type} within ${timeoutMs / 1000} s`, false),
        );
      }, timeoutMs);
      this.pending.set(requestId, {
        answer: ANSWERS[type],
        resolve: resolve as (payload: unknown) => void,
        reject,
        timer,
      });
    });
  }

  newTurnId(): string {
    return randomUUID();
  }

  /** Disconnect for good: no reconnects, pending requests rejected. */
  async close(): Promise<void> {
    this.closing = true;
    clearTimeout(this.reconnectTimer);
    this.stopHealthChecks();
    this.rejectPending('the client was closed');
    const socket = this.socket;
    this.socket = undefined;
    if (socket && socket.readyState !== WebSocket.CLOSED) {
      const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
      socket.close(1000, 'bye');
      // A gateway that never completes the closing handshake does not keep us waiting.
      const force = setTimeout(() => socket.terminate(), 1_000);
      await closed;
      clearTimeout(force);
    }
    this.setConnection({ state: 'closed' });
  }

  // ---- connection lifecycle ----

  /**
   * Open a socket, complete the hello handshake and make it the live socket. It is attached in
   * the same tick as hello_ack arrives: frames right behind it (a running turn's deltas) would
   * otherwise be emitted before anyone listens.
   */
  private open(sessionId: string | undefined, resumed: boolean): Promise<HelloAck> {
    const url = this.options.url;
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(url, {
        headers: { Authorization: `Bearer ${this.options.token}` },
        handshakeTimeout: this.helloTimeoutMs,
        perMessageDeflate: false,
      });
      const helloId = this.nextRequestId();
      let settled = false;
      const finish = () => {
        settled = true;
        clearTimeout(timer);
        socket.removeAllListeners();
      };
      const fail = (error: GatewayConnectError) => {
        if (settled) return;
        finish();
        socket.on('error', () => {}); // a late error from the torn-down socket is expected
        socket.terminate();
        reject(error);
      };
      const timer = setTimeout(
        () =>
          fail(
            new GatewayConnectError(
              'timeout',
              `the gateway at ${url} did not answer hello within ${this.helloTimeoutMs / 1000} s`,
            ),
          ),
        this.helloTimeoutMs,
      );
      socket.on('unexpected-response', (_request, response) => {
        const status = response.statusCode ?? 0;
        response.resume();
        fail(
          status === 401 || status === 403
            ? new GatewayConnectError(
                'unauthorized',
                `the gateway at ${url} refused the token (HTTP ${status})`,
              )
            : new GatewayConnectError(
                'rejected',
                `the gateway at ${url} refused the connection (HTTP ${status})`,
              ),
        );
      });
      socket.on('error', (error: NodeJS.ErrnoException) => fail(this.connectFailure(error)));
      socket.on('close', (code, reason) =>
        fail(
          new GatewayConnectError(
            'rejected',
            `the gateway at ${url} closed the connection before hello_ack (${describeClose(code, reason)})`,
          ),
        ),
      );
      socket.on('open', () => {
        const hello: ClientFrame = {
          type: 'hello',
          payload: {
            request_id: helloId,
            protocol_version: GATEWAY_PROTOCOL_VERSION,
            ...(this.options.userId ? { user_id: this.options.userId } : {}),
            ...(sessionId ? { session_id: sessionId } : {}),
            // No session named: a fresh conversation, as Oxydra's TUI starts one.
            create_new_session: !sessionId,
            // The TUI asks the user y/n when an agent wants to run a privileged tool.
            capabilities: ['approvals'],
          },
        };
        socket.send(encodeClientFrame(hello));
      });
      socket.on('message', (data, isBinary) => {
        const decoded = decodeMessage(data, isBinary);
        if (!decoded.ok) {
          this.emit({ kind: 'malformed', problem: decoded.problem });
          return;
        }
        const frame = decoded.frame;
        if (frame.type === 'hello_ack') {
          if (frame.payload.protocol_version !== GATEWAY_PROTOCOL_VERSION) {
            fail(
              new GatewayConnectError(
                'protocol',
                `the gateway at ${url} speaks protocol version ${frame.payload.protocol_version}; this oxydra tui speaks ${GATEWAY_PROTOCOL_VERSION}: run the same oxydra version on both ends`,
              ),
            );
            return;
          }
          if (this.closing) {
            fail(new GatewayConnectError('rejected', 'the client was closed'));
            return;
          }
          finish();
          this.attach(socket, frame.payload, resumed);
          resolve(frame.payload);
          return;
        }
        if (frame.type === 'error' && (frame.payload.request_id ?? helloId) === helloId) {
          fail(new GatewayConnectError('rejected', `the gateway refused hello: ${frame.payload.message}`));
          return;
        }
        this.emit({ kind: 'frame', frame });
      });
    });
  }

  private connectFailure(error: NodeJS.ErrnoException): GatewayConnectError {
    const url = this.options.url;
    if (error.code && UNREACHABLE_CODES.has(error.code))
      return new GatewayConnectError(
        'unreachable',
        `no gateway at ${url}; start one with \`oxydra gateway\``,
      );
    if (/handshake has timed out/i.test(error.message))
      return new GatewayConnectError(
        'timeout',
        `the gateway at ${url} did not accept the connection within ${this.helloTimeoutMs / 1000} s`,
      );
    return new GatewayConnectError(
      'unreachable',
      `cannot connect to the gateway at ${url}: ${error.code ?? error.message}`,
    );
  }

  /** Make a handshaken socket the live one. */
  private attach(socket: WebSocket, ack: HelloAck, resumed: boolean): void {
    this.socket = socket;
    this.sessionRef = ack.session;
    this.attempt = 0;
    this.dropReason = undefined;
    socket.on('message', (data, isBinary) => this.onMessage(data, isBinary));
    socket.on('error', () => {}); // 'close' follows every error and drives the reconnect
    socket.on('close', (code, reason) => this.onClose(socket, code, reason));
    this.emit({ kind: 'hello', ack, resumed });
    this.setConnection({ state: 'connected' });
    this.startHealthChecks();
  }

  private onMessage(data: RawData, isBinary: boolean): void {
    const decoded = decodeMessage(data, isBinary);
    if (!decoded.ok) {
      this.emit({ kind: 'malformed', problem: decoded.problem });
      return;
    }
    const frame = decoded.frame;
    // The client's own bookkeeping first, so listeners see a consistent client.
    if (frame.type === 'session_created' || frame.type === 'session_switched')
      this.sessionRef = frame.payload.session;
    const requestId = 'request_id' in frame.payload ? frame.payload.request_id : undefined;
    if (frame.type === 'health_status' && requestId === this.healthPending?.requestId)
      this.healthPending = undefined;
    const pending = requestId === undefined ? undefined : this.pending.get(requestId);
    if (pending && (frame.type === pending.answer || frame.type === 'error')) {
      this.pending.delete(requestId!);
      clearTimeout(pending.timer);
      if (frame.type === 'error')
        pending.reject(new GatewayRequestError(frame.payload.message, true, frame.payload.code));
      else pending.resolve(frame.payload);
    }
    this.emit({ kind: 'frame', frame });
  }

  private onClose(socket: WebSocket, code: number, reason: Buffer): void {
    if (socket !== this.socket) return;
    this.socket = undefined;
    this.stopHealthChecks();
    this.rejectPending('the connection to the gateway was lost');
    if (this.closing) return;
    this.scheduleReconnect(this.dropReason ?? `connection lost (${describeClose(code, reason)})`);
  }

  private scheduleReconnect(reason: string): void {
    this.attempt += 1;
    const delayMs = reconnectDelay(this.attempt, this.backoff, this.random);
    this.setConnection({ state: 'reconnecting', attempt: this.attempt, delayMs, reason });
    this.reconnectTimer = setTimeout(() => void this.reconnect(), delayMs);
  }

  private async reconnect(): Promise<void> {
    if (this.closing) return;
    // Resume where we were: the session the last hello_ack, /new or /switch left us in.
    const sessionId = this.sessionRef?.session_id ?? this.options.sessionId;
    try {
      await this.open(sessionId, true);
    } catch (error) {
      if (this.closing) return;
      this.scheduleReconnect(error instanceof Error ? error.message : String(error));
    }
  }

  // ---- health checks ----

  private startHealthChecks(): void {
    this.stopHealthChecks();
    this.healthTimer = setInterval(() => this.checkHealth(), this.healthIntervalMs);
  }

  private stopHealthChecks(): void {
    clearInterval(this.healthTimer);
    this.healthTimer = undefined;
    this.healthPending = undefined;
  }

  private checkHealth(): void {
    const socket = this.socket;
    if (!socket || socket.readyState !== WebSocket.OPEN) return;
    if (this.healthPending) {
      // A gateway that stops answering is treated as gone: drop the socket and reconnect.
      if (Date.now() - this.healthPending.sentAt >= this.helloTimeoutMs) {
        this.dropReason = 'the gateway stopped answering health checks';
        socket.terminate();
      }
      return;
    }
    try {
      const requestId = this.send('health_check', {});
      this.healthPending = { requestId, sentAt: Date.now() };
    } catch {
      // Not connected: the close handler is already reconnecting.
    }
  }

  // ---- helpers ----

  private nextRequestId(): string {
    this.requestCounter += 1;
    return `${this.idPrefix}-${this.requestCounter}`;
  }

  private rejectPending(message: string): void {
    for (const [id, pending] of this.pending) {
      clearTimeout(pending.timer);
      pending.reject(new GatewayRequestError(message, false));
      this.pending.delete(id);
    }
  }

  private setConnection(connection: ConnectionState): void {
    this.connectionState = connection;
    this.emit({ kind: 'connection', connection });
  }

  private emit(event: ClientEvent): void {
    for (const listener of this.listeners) listener(event);
  }
}

/** A WebSocket message as a server frame, or why it is not one. */
function decodeMessage(data: RawData, isBinary: boolean): ReturnType<typeof decodeServerFrame> {
  return isBinary
    ? { ok: false as const, problem: 'a binary message (frames are JSON text)' }
    : decodeServerFrame(rawText(data));
}

function rawText(data: RawData): string {
  if (Buffer.isBuffer(data)) return data.toString('utf8');
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.from(data).toString('utf8');
}

function describeClose(code: number, reason: Buffer): string {
  const text = reason.toString('utf8');
  return text ? `code ${code}: ${text}` : `code ${code}`;
}
