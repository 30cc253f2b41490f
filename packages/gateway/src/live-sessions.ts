/**
 * Sessions in use: loaded while a client is attached or a turn runs, evicted when neither holds
 * (the database keeps everything, so an idle session costs no memory). Each has its subscribers
 * (every frame about the session goes to all of them) and at most one active turn.
 */

import { readTurnRecord, type TurnRecord } from '@oxydra/kernel/turn-records';
import type { Session, SessionStore } from '@oxydra/memory';
import type { ServerFrame, ServerPayload } from '@oxydra/types/gateway';
import { boundsTurn, frameType, TURN_ENDS } from './frame-type.js';
import { DEFAULT_AGENT } from './types.js';

/** Something frames can be sent to: a WebSocket connection. */
export interface Subscriber {
  sendText(text: string): void;
  /** Whether this client answers approval questions (it said "approvals" in hello). */
  readonly approves: boolean;
  /** The session was deleted (REST DELETE): tell the client and stop holding it. */
  sessionDeleted(live: LiveSession): void;
}

export interface ActiveTurn {
  turnId: string;
  index: number;
  requestId: string;
  controller: AbortController;
}

type ActiveTurnInfo = NonNullable<ServerPayload<'hello_ack'>['active_turn']>;

/** Where a session's frames go beyond this process's clients (the other gateway processes). */
export type FrameRelay = (sessionId: string, text: string, approversOnly: boolean) => void;

export class LiveSession {
  readonly subscribers = new Set<Subscriber>();
  active: ActiveTurn | undefined;
  lastTurn: TurnRecord | undefined;
  recordEpoch: number | null;
  /**
   * Turn-record writes, one after another: a turn's "completed" and the next turn's "running"
   * can be written at the same moment, and the later must land last.
   */
  recordWrites: Promise<void> = Promise.resolve();
  /** A turn of this session running on another gateway process (seen in the store or its frames). */
  remote: { turnId: string } | undefined;

  constructor(
    readonly id: string,
    readonly userId: string,
    readonly agentName: string,
    loaded: { record?: TurnRecord; epoch: number | null },
    private readonly relay?: FrameRelay,
  ) {
    this.lastTurn = loaded.record;
    this.recordEpoch = loaded.epoch;
  }

  get ref(): ServerPayload<'hello_ack'>['session'] {
    return { user_id: this.userId, session_id: this.id };
  }

  /** The running turn, else how the last one ended (a "running" record with no live turn failed). */
  turnInfo(): ActiveTurnInfo | undefined {
    if (this.active) return { turn_id: this.active.turnId, state: 'running' };
    if (this.remote) return { turn_id: this.remote.turnId, state: 'running' };
    if (!this.lastTurn) return undefined;
    const state = this.lastTurn.state === 'running' ? 'failed' : this.lastTurn.state;
    return { turn_id: this.lastTurn.turn_id, state };
  }

  /** Sends one frame to every subscriber, serialised once. */
  broadcast(frame: ServerFrame): void {
    if (this.subscribers.size === 0 && !this.relay) return;
    const text = JSON.stringify(frame);
    for (const subscriber of this.subscribers) subscriber.sendText(text);
    this.relay?.(this.id, text, false);
  }

  /** Sends a frame only to the subscribers that answer approvals (others would not parse it). */
  broadcastToApprovers(frame: ServerFrame): void {
    const text = JSON.stringify(frame);
    for (const subscriber of this.subscribers) if (subscriber.approves) subscriber.sendText(text);
    this.relay?.(this.id, text, true);
  }

  /**
   * A frame of this session from another gateway process, for this process's clients only (it
   * is not relayed again). Keeps track of that process's turn, for hello_ack and health.
   */
  deliver(text: string, approversOnly: boolean): void {
    for (const subscriber of this.subscribers) {
      if (!approversOnly || subscriber.approves) subscriber.sendText(text);
    }
    // Only a turn's start and end change what is known of it: the rest (every delta) is not parsed.
    if (!boundsTurn(frameType(text))) return;
    let frame: { type?: unknown; payload?: { turn?: { turn_id?: unknown; index?: unknown } } };
    try {
      frame = JSON.parse(text);
    } catch {
      return;
    }
    const turn = frame.payload?.turn;
    if (typeof turn?.turn_id !== 'string') return;
    if (frame.type === 'turn_started') this.remote = { turnId: turn.turn_id };
    const ended = typeof frame.type === 'string' ? TURN_ENDS.get(frame.type) : undefined;
    if (ended && typeof turn.index === 'number') {
      this.remote = undefined;
      this.lastTurn = { turn_id: turn.turn_id, index: turn.index, state: ended };
    }
  }

  hasApprover(): boolean {
    for (const subscriber of this.subscribers) if (subscriber.approves) return true;
    return false;
  }

  get idle(): boolean {
    return this.subscribers.size === 0 && this.active === undefined;
  }
}

export class SessionRegistry {
  readonly #live = new Map<string, LiveSession>();
  readonly #loading = new Map<string, Promise<LiveSession>>();

  constructor(
    readonly store: SessionStore,
    /** Set when this process is one of several: frames go to the others too, and turns held there are seen. */
    private readonly cluster?: {
      relay: FrameRelay;
      /** The id of the process running a turn of the session now, if any. */
      runOf(sessionId: string): Promise<{ processId: string; turnId: string | null } | undefined>;
      readonly processId: string;
    },
  ) {}

  get(id: string): LiveSession | undefined {
    return this.#live.get(id);
  }

  /** The live session for a stored one, loading its turn record once even if asked twice at once. */
  async open(session: Session, userId: string): Promise<LiveSession> {
    const live = this.#live.get(session.id);
    if (live) return live;
    let loading = this.#loading.get(session.id);
    if (!loading) {
      loading = Promise.all([readTurnRecord(this.store, session.id), this.cluster?.runOf(session.id)])
        .then(([record, run]) => {
          const opened = new LiveSession(
            session.id,
            userId,
            session.agent ?? DEFAULT_AGENT,
            record,
            this.cluster?.relay,
          );
          if (run && run.processId !== this.cluster?.processId) {
            opened.remote = { turnId: run.turnId ?? record.record?.turn_id ?? 'unknown' };
          }
          this.#live.set(session.id, opened);
          return opened;
        })
        .finally(() => this.#loading.delete(session.id));
      this.#loading.set(session.id, loading);
    }
    return loading;
  }

  /** The live object registered for `live`'s session: the one there, or `live` itself if none is. */
  adopt(live: LiveSession): LiveSession {
    const current = this.#live.get(live.id);
    if (current) return current;
    this.#live.set(live.id, live);
    return live;
  }

  /** Drops the session from memory if nothing holds it. */
  release(live: LiveSession): void {
    if (live.idle && this.#live.get(live.id) === live) this.#live.delete(live.id);
  }

  /** Forgets a session (it was deleted), whatever holds it. */
  forget(id: string): void {
    this.#live.delete(id);
  }

  all(): IterableIterator<LiveSession> {
    return this.#live.values();
  }

  get size(): number {
    return this.#live.size;
  }
}
