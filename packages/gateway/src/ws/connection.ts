/**
 * One WebSocket client. Frames are checked as they arrive (rate limit, size, text) and then
 * handled strictly in order: hello first, then turns and session commands on the session the
 * connection is attached to. Every bad frame gets an error frame and the connection stays up;
 * only a client that keeps flooding past the rate limit is disconnected.
 */

import type { Socket } from 'node:net';
import { Cancelled } from '@oxydra/types';
import {
  type ClientFrame,
  type ClientPayload,
  clientFrameSchema,
  GATEWAY_CAPABILITIES,
  GATEWAY_PROTOCOL_VERSION,
  type ServerFrame,
} from '@oxydra/types/gateway';
import type { RawData, WebSocket } from 'ws';
import { OWNER, type Principal } from '../auth.js';
import { GatewayError, publicError } from '../errors.js';
import { errorFrame } from '../frames.js';
import type { GatewayHub } from '../hub.js';
import { nestsTooDeep, tooDeepMessage } from '../json-depth.js';
import type { ActiveTurn, LiveSession, Subscriber } from '../live-sessions.js';
import { TokenBucket } from '../rate-limit.js';
import { MAX_UNREAD_BYTES } from '../slow-readers.js';
import { TOKEN_REVOKED } from '../token-holds.js';
import { DEFAULT_USER } from '../types.js';
import { describeInvalidFrame, requestIdOf } from './frame-errors.js';

/** Close codes: RFC 6455 policy violation and protocol error. */
const CLOSE_POLICY = 1008;
const CLOSE_PROTOCOL = 1002;

export class GatewayConnection implements Subscriber {
  readonly #bucket: TokenBucket;
  #queue: Promise<void> = Promise.resolve();
  #userId: string | undefined;
  #session: LiveSession | undefined;
  /** What the client asked for in hello that this gateway does ("approvals"). */
  #capabilities = new Set<string>();
  #closed = false;
  /**
   * The turns this client sent, with their sessions: stopped if its token is revoked (a session
   * turn runs on when its client leaves, for the client's return). Entries go as turns end.
   */
  readonly #sent = new Map<ActiveTurn, LiveSession>();
  /** Answered the last heartbeat ping. */
  alive = true;

  /** The TCP socket under the WebSocket, corked while frames of one tick pile up. */
  readonly #tcp: Socket | undefined;
  #corked = false;

  constructor(
    readonly socket: WebSocket,
    readonly hub: GatewayHub,
    readonly remote: string,
    tcp?: Socket,
    /** Who authenticated the upgrade: a `user` token's hello may name only its own user. */
    readonly principal: Principal = OWNER,
    /** The frame budget it shares with the token's other connections; default its own. */
    bucket?: TokenBucket,
  ) {
    this.#tcp = tcp;
    const { limits, clock } = hub.options;
    this.#bucket = bucket ?? new TokenBucket(limits.rateLimitPerSec, limits.rateLimitBurst, clock);
    socket.on('message', (data, isBinary) => this.#receive(data, isBinary));
    socket.on('pong', () => {
      this.alive = true;
    });
    socket.once('close', () => void this.#closedByPeer());
    socket.on('error', () => undefined); // 'close' follows; nothing to add
  }

  /** The user its hello named; undefined before hello. */
  get userId(): string | undefined {
    return this.#userId;
  }

  get session(): LiveSession | undefined {
    return this.#session;
  }

  /** Whether this client answers approval questions (it asked for "approvals" in hello). */
  get approves(): boolean {
    return this.#capabilities.has('approvals');
  }

  sendText(text: string): void {
    if (this.socket.readyState !== this.socket.OPEN) return;
    if (this.socket.bufferedAmount > MAX_UNREAD_BYTES) {
      this.hub.options.log('warn', 'dropping a client that does not read its frames', {
        remote: this.remote,
      });
      this.socket.terminate();
      return;
    }
    // Deltas arrive in bursts (one read of the model's stream holds several): corking the
    // socket until the event loop moves on sends a burst in one write instead of one each.
    if (this.#tcp && !this.#corked) {
      this.#corked = true;
      this.#tcp.cork();
      setImmediate(() => {
        this.#corked = false;
        this.#tcp?.uncork();
      });
    }
    this.socket.send(text);
  }

  send(frame: ServerFrame): void {
    this.sendText(JSON.stringify(frame));
  }

  sessionDeleted(live: LiveSession): void {
    if (this.#session !== live) return;
    this.#session = undefined;
    this.send(
      errorFrame('session_deleted', `session ${live.id} was deleted; create or switch to another`, {
        session: live.ref,
      }),
    );
  }

  close(code: number, reason: string): void {
    this.#closed = true;
    this.socket.close(code, reason);
  }

  /** Its token was revoked: the turns it sent that still run stop, and it closes. */
  revoked(): void {
    for (const [turn, live] of this.#sent) {
      if (live.active === turn) turn.controller.abort(new Cancelled(TOKEN_REVOKED));
    }
    this.#sent.clear();
    this.close(CLOSE_POLICY, TOKEN_REVOKED);
  }

  #receive(data: RawData, isBinary: boolean): void {
    if (this.#closed) return;
    const { limits, log } = this.hub.options;
    if (!this.#bucket.take()) {
      // A refused request is answered with its request_id, so a client waiting for that answer
      // (a send_turn's end) learns it was refused instead of waiting forever; other refused
      // frames get one error per run of refusals. Bounded either way: a connection refused
      // rateLimitBurst times in a row is closed.
      const requestId = refusedRequestId(data, isBinary);
      if (requestId !== undefined || this.#bucket.refusedInARow === 1) {
        this.send(
          errorFrame(
            'rate_limited',
            `too many frames: at most ${limits.rateLimitPerSec} per second (bursts of ${limits.rateLimitBurst}); slow down`,
            { requestId },
          ),
        );
      }
      if (this.#bucket.refusedInARow >= limits.rateLimitBurst) {
        log('warn', 'closing a connection that keeps flooding', { remote: this.remote });
        this.close(CLOSE_POLICY, 'rate limit exceeded');
      }
      return;
    }
    const size = byteLength(data);
    if (size > limits.maxFrameBytes) {
      this.send(
        errorFrame(
          'frame_too_large',
          `frame of ${size} bytes is over the ${limits.maxFrameBytes}-byte limit ([gateway] max_frame_bytes)`,
        ),
      );
      return;
    }
    if (isBinary) {
      this.send(errorFrame('invalid_frame', 'binary frames are not supported: send JSON text frames'));
      return;
    }
    const text = frameText(data);
    this.#queue = this.#queue
      .then(() => this.#handle(text))
      .catch((error: unknown) => log('error', 'frame handling failed', { error: String(error) }));
  }

  async #handle(text: string): Promise<void> {
    if (this.#closed) return;
    // Before the parse: a deep frame costs the event loop far more than its size says (json-depth.ts).
    if (nestsTooDeep(text)) {
      this.send(errorFrame('invalid_frame', tooDeepMessage('the frame', 'frame')));
      return;
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      this.send(errorFrame('invalid_frame', 'the frame is not valid JSON'));
      return;
    }
    const parsed = clientFrameSchema().safeParse(json);
    if (!parsed.success) {
      this.send(
        errorFrame('invalid_frame', describeInvalidFrame(json, parsed.error), {
          requestId: requestIdOf(json),
        }),
      );
      return;
    }
    const frame = parsed.data;
    try {
      await this.#dispatch(frame);
    } catch (error) {
      const { code, message } = publicError(error);
      if (code === 'internal_error')
        this.hub.options.log('error', `${frame.type} failed`, { error: String(error) });
      this.send(errorFrame(code, message, { requestId: frame.payload.request_id }));
    }
  }

  async #dispatch(frame: ClientFrame): Promise<void> {
    switch (frame.type) {
      case 'hello':
        return this.#hello(frame.payload);
      case 'health_check':
        return this.#health(frame.payload.request_id);
    }
    const userId = this.#userId;
    if (userId === undefined) throw new GatewayError('hello_required', 'send a hello frame first');
    switch (frame.type) {
      case 'send_turn': {
        const live = this.#current(frame.payload.session_id);
        await this.hub.forgetGhostTurn(live);
        this.hub.submitTurn(live, {
          requestId: frame.payload.request_id,
          turnId: frame.payload.turn_id,
          prompt: frame.payload.prompt,
          attachments: (frame.payload.attachments ?? []).map((a) => ({
            mimeType: a.mime_type,
            data: a.data,
          })),
        });
        // submitTurn set the session's turn before returning: that one is this client's.
        for (const [turn, session] of this.#sent) if (session.active !== turn) this.#sent.delete(turn);
        if (live.active) this.#sent.set(live.active, live);
        return;
      }
      case 'cancel_active_turn': {
        const live =
          this.#session?.id === frame.payload.session_id
            ? this.#session
            : await this.hub.resumeSession(userId, frame.payload.session_id);
        if (!(await this.hub.cancelTurn(live))) {
          this.hub.registry.release(live);
          throw new GatewayError('no_active_turn', `session ${live.id} has no active turn`);
        }
        return;
      }
      case 'cancel_all_active_turns':
        this.hub.cancelAllTurns(userId);
        return;
      case 'approval_response':
        this.hub.approvals.respond(userId, frame.payload.approval_id, frame.payload.allow);
        return;
      case 'create_session': {
        const { request_id, display_name, agent_name } = frame.payload;
        const live = await this.#attach(
          await this.hub.createSession(userId, {
            ...(display_name !== undefined ? { displayName: display_name } : {}),
            ...(agent_name !== undefined ? { agentName: agent_name } : {}),
          }),
        );
        this.send({
          type: 'session_created',
          payload: {
            request_id,
            session: live.ref,
            ...(display_name ? { display_name } : {}),
            agent_name: live.agentName,
          },
        });
        return;
      }
      case 'list_sessions': {
        const { request_id, include_archived, include_subagent_sessions } = frame.payload;
        const sessions = await this.hub.listSessions(userId, {
          includeArchived: include_archived,
          includeSubagents: include_subagent_sessions,
        });
        this.send({ type: 'session_list', payload: { request_id, sessions } });
        return;
      }
      case 'switch_session': {
        const live = await this.#attach(await this.hub.resumeSession(userId, frame.payload.session_id));
        const activeTurn = live.turnInfo();
        this.send({
          type: 'session_switched',
          payload: {
            request_id: frame.payload.request_id,
            session: live.ref,
            ...(activeTurn ? { active_turn: activeTurn } : {}),
          },
        });
        return;
      }
    }
  }

  async #hello(payload: ClientPayload<'hello'>): Promise<void> {
    if (payload.protocol_version !== GATEWAY_PROTOCOL_VERSION) {
      this.send(
        errorFrame(
          'unsupported_protocol',
          `protocol_version ${payload.protocol_version} is not supported: this gateway speaks version ${GATEWAY_PROTOCOL_VERSION}`,
          { requestId: payload.request_id },
        ),
      );
      this.close(CLOSE_PROTOCOL, 'unsupported protocol version');
      return;
    }
    const userId = this.hub.checkUser(payload.user_id, DEFAULT_USER, this.principal);
    // A hello as someone else: the session held so far is let go first, unless the kernel's
    // ownership rule says the new user may use it too (the owner may use any).
    const held = this.#session;
    if (held && !this.hub.access.mayUse(held.userId, { userId })) await this.#detach();
    this.#userId = userId;
    const offered: readonly string[] = GATEWAY_CAPABILITIES;
    this.#capabilities = new Set((payload.capabilities ?? []).filter((c) => offered.includes(c)));
    const live = await this.#attach(
      payload.session_id !== undefined
        ? await this.hub.resumeSession(userId, payload.session_id)
        : payload.create_new_session
          ? await this.hub.createSession(userId)
          : await this.hub.legacySession(userId),
    );
    const activeTurn = live.turnInfo();
    this.send({
      type: 'hello_ack',
      payload: {
        request_id: payload.request_id,
        protocol_version: GATEWAY_PROTOCOL_VERSION,
        session: live.ref,
        ...(activeTurn ? { active_turn: activeTurn } : {}),
        ...(this.hub.options.sandbox ? { sandbox: this.hub.options.sandbox } : {}),
        ...(payload.capabilities !== undefined ? { capabilities: [...this.#capabilities] } : {}),
      },
    });
  }

  #health(requestId: string): void {
    const live = this.#session;
    const activeTurn = live?.turnInfo();
    this.send({
      type: 'health_status',
      payload: {
        request_id: requestId,
        healthy: !this.hub.closing,
        ...(live ? { session: live.ref } : {}),
        ...(activeTurn ? { active_turn: activeTurn } : {}),
        message: this.hub.closing ? 'shutting down' : 'ok',
      },
    });
  }

  /** The attached session, which a frame naming another one may not act on. */
  #current(sessionId: string): LiveSession {
    const live = this.#session;
    if (!live)
      throw new GatewayError(
        'session_not_found',
        'this connection has no session: create_session or switch_session first',
      );
    if (live.id !== sessionId) {
      throw new GatewayError(
        'session_mismatch',
        `this connection is attached to session ${live.id}, not ${sessionId}; switch_session first`,
      );
    }
    return live;
  }

  /** Subscribes to the new session before leaving the old one, so no frame about either is missed. */
  async #attach(wanted: LiveSession): Promise<LiveSession> {
    if (this.#session?.id === wanted.id) return this.#session;
    const live = await this.hub.subscribe(wanted, this);
    await this.#detach();
    this.#session = live;
    return live;
  }

  async #detach(): Promise<void> {
    const previous = this.#session;
    this.#session = undefined;
    if (previous) await this.hub.unsubscribe(previous, this);
  }

  async #closedByPeer(): Promise<void> {
    this.#closed = true;
    await this.#queue.catch(() => undefined);
    await this.#detach().catch(() => undefined);
  }
}

function byteLength(data: RawData): number {
  if (Array.isArray(data)) return data.reduce((sum, part) => sum + part.length, 0);
  return (data as Buffer | ArrayBuffer).byteLength;
}

/** Refused frames larger than this are not read for their request_id (an accepted one would be parsed whole). */
const REFUSED_READ_BYTES = 64 * 1024;

/** The request_id of a refused text frame of at most REFUSED_READ_BYTES, if it names one. */
function refusedRequestId(data: RawData, isBinary: boolean): string | undefined {
  if (isBinary || byteLength(data) > REFUSED_READ_BYTES) return undefined;
  const text = frameText(data);
  if (nestsTooDeep(text)) return undefined;
  try {
    return requestIdOf(JSON.parse(text));
  } catch {
    return undefined;
  }
}

/** A text frame's data as a string (ws hands it over as a Buffer, fragments or an ArrayBuffer). */
function frameText(data: RawData): string {
  return Array.isArray(data)
    ? Buffer.concat(data).toString('utf8')
    : Buffer.from(data as ArrayBuffer).toString('utf8');
}
