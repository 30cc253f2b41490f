/**
 * Stored conversations as a store contract: sessions, each with an append-only log of messages
 * numbered 1, 2, 3... (seq, no gaps) in turns, and small named values with an epoch for
 * compare-and-set. The libSQL file is the embedded default (@oxydra/memory); PostgreSQL (issue
 * 33) implements the same interface and passes @oxydra/testkit/store-contracts' suite. Every
 * method is one atomic unit, also across processes sharing the store; ids are made by the
 * caller or, when left out, by the store (UUID v7); times are the store's, ISO 8601 UTC.
 */
import { OxydraError } from '../errors.js';
import type { SessionRecord } from '../interfaces.js';
import type { Message, Role } from '../messages.js';

export interface StoredSession extends SessionRecord {
  /** The session that delegated to this one, when a sub-agent runs it. */
  parentSessionId?: string;
  /** Where the session was started (e.g. "gateway"); unset for sessions the CLI started. */
  channelOrigin?: string;
  /** When the session was archived for being idle; unset while it is active. */
  archivedAt?: string;
}

export interface StoredSessionSummary extends StoredSession {
  messageCount: number;
}

export interface NewSession {
  /** Default: a new UUID v7, which sorts by creation time. */
  id?: string;
  title?: string;
  userId?: string;
  agent?: string;
  parentSessionId?: string;
  channelOrigin?: string;
}

/**
 * A per-user limit a creation keeps ([gateway] max_sessions_per_user): the user's active
 * sessions are those not archived and not a sub-agent's (count's `archived: false, subagents:
 * false`). Only a session with a userId is limited.
 */
export interface SessionRoom {
  maxActive: number;
}

/** Which sessions list and count look at; every filter is optional. */
export interface SessionFilter {
  userId?: string;
  /** true: only archived sessions; false: only active ones; unset: both. */
  archived?: boolean;
  /** false leaves out sub-agent sessions (those with a parent); default true. */
  subagents?: boolean;
  /** Only sessions last active before this ISO time (the idle sweep's question). */
  updatedBefore?: string;
  /**
   * Only sessions whose id or title contains this text, taken literally (`%`, `_` and `\` are
   * not wildcards) and case-insensitively for ASCII letters. Empty: no filter. At most 500 characters.
   */
  search?: string;
}

export interface AppendedTurn {
  /** This turn's number in the session: 1 for the first appendTurn. */
  turn: number;
  firstSeq: number;
  lastSeq: number;
  /** The time stored with every message of the turn. */
  createdAt: string;
}

/**
 * Where a session's conversation log stands, cheap to read: what a cache of its messages compares
 * to learn whether anything was written since. The log is append-only, so an unchanged generation
 * and tail means unchanged messages; a longer log with the same generation means appended messages.
 */
export interface SessionStamp {
  /** The session row's identity: a different value means it was deleted and created again. */
  generation: string;
  /** The last message's seq; 0 when the session has none. */
  lastSeq: number;
  /** The last message's turn (0 when none). */
  lastTurn: number;
  /** The last message's time ('' when none). */
  lastAt: string;
  /** The session's row, read in the same statement: only when asked (`stamp(id, { session: true })`). */
  session?: StoredSession;
}

export interface StoredEvent {
  seq: number;
  turn: number;
  role: Role;
  /** When the turn was stored (every message of a turn has the same time). */
  createdAt: string;
  /** The message as stored: attachment bytes omitted. */
  message: Message;
}

export interface SessionStateValue {
  value: string;
  /** 1 after the first write, +1 per write. */
  epoch: number;
}

export interface SessionStore {
  /**
   * False while the store's database does not exist yet: a new workspace's local memory database
   * is created at its first use (@oxydra/memory's deferredMemory), so a readiness probe asks this
   * instead of reading, which would create it. A store without it exists.
   */
  exists?(): boolean;
  /**
   * A new session; an explicit id that exists already rejects with SessionExistsError. With
   * `room`, refused with SessionLimitError when `fields.userId` already has `room.maxActive`
   * active sessions (SessionRoom): counted and inserted as one unit, so creations at once, from
   * any number of processes, never store more.
   */
  create(fields?: NewSession, room?: SessionRoom): Promise<StoredSession>;
  get(id: string): Promise<StoredSession | undefined>;
  /**
   * The session `id`, created with `fields` if missing (two racing callers get the same one);
   * `room` as for create, checked only when it is created.
   */
  getOrCreate(id: string, fields?: Omit<NewSession, 'id'>, room?: SessionRoom): Promise<StoredSession>;
  /** Newest activity first, each with its message count (default limit 50, at most 1000). */
  list(options?: SessionFilter & { limit?: number; offset?: number }): Promise<StoredSessionSummary[]>;
  /** The ids `typed` could name (full id, short id or prefix), only `userId`'s when given. */
  lookup(typed: string, scope?: { userId?: string }): Promise<string[]>;
  count(filter?: SessionFilter): Promise<number>;
  /** False when it was archived already or does not exist. */
  archive(id: string): Promise<boolean>;
  /** Moves updated_at to now and un-archives; SessionNotFoundError when missing. */
  markActive(id: string): Promise<StoredSession>;
  /** Deletes the session with its messages, state and search chunks; sub-agent sessions stay, unlinked. */
  delete(id: string): Promise<boolean>;
  rename(id: string, title: string): Promise<StoredSession>;
  /**
   * Appends one turn's messages: all of them or none. seq continues from the session's last
   * (no gaps, no repeats, also with two writers); an archived session becomes active; an
   * untitled one takes its title from the first user message. SessionNotFoundError when missing.
   * `options.relaxed` as for setState: only when the caller commits a write that waits for the
   * disk before it tells anyone the messages are stored (a gateway turn of a deployment).
   */
  appendTurn(
    sessionId: string,
    messages: readonly Message[],
    options?: StateWriteOptions,
  ): Promise<AppendedTurn>;
  /** The messages in order (after `afterSeq` when given); SessionNotFoundError when missing. */
  loadMessages(sessionId: string, options?: { afterSeq?: number }): Promise<Message[]>;
  loadEvents(sessionId: string, options?: { afterSeq?: number }): Promise<StoredEvent[]>;
  /**
   * undefined when the session does not exist. `options.session`: with the session's row as
   * `get` reads it, in the same statement (a turn opening its session reads the row once).
   */
  stamp(sessionId: string, options?: { session?: boolean }): Promise<SessionStamp | undefined>;
  countMessages(sessionId: string): Promise<number>;
  getState(sessionId: string, key: string): Promise<SessionStateValue | undefined>;
  /**
   * Writes `value` under `key` only if its epoch is still `expectedEpoch` (null: only if it has
   * no value yet). False: another writer got there first. SessionNotFoundError when missing.
   * Not relaxed, it waits for the store's flush even when it writes nothing (false): every
   * relaxed write of the store before it is on disk once it returns, either way.
   */
  setState(
    sessionId: string,
    key: string,
    value: string,
    expectedEpoch: number | null,
    options?: StateWriteOptions,
  ): Promise<boolean>;
  /**
   * The end of a turn in one transaction, so one commit (and, on PostgreSQL, one round trip
   * and one WAL flush) instead of one per write: the messages, then each state write, then the
   * claim's release. All or nothing, except that a compare-and-set that finds another epoch
   * writes nothing and the rest still commits (`written`). Waits for the store's flush even when
   * it writes nothing, like setState without `relaxed`: every relaxed write of the store before
   * it is on disk once it returns. A missing session rejects with SessionNotFoundError, with no
   * message or state written (the claim, when named, is released all the same: a run must not
   * hold one for a session that is gone).
   */
  endTurn(sessionId: string, end: TurnEnd): Promise<TurnEndResult>;
}

/** One compare-and-set write of endTurn, as setState takes it. */
export interface SessionStateWrite {
  key: string;
  value: string;
  expectedEpoch: number | null;
}

/** What the end of a turn writes in one transaction (SessionStore.endTurn). */
export interface TurnEnd {
  /** The turn's last messages, appended as appendTurn would (at least one when given). */
  messages?: readonly Message[];
  /** Compare-and-set writes (the turn's record, the audit head's copy), each as setState. */
  states?: readonly SessionStateWrite[];
  /**
   * A run claimed in the ClusterStore of the same database (a deployment's session turn): its
   * claim ends in the same commit, as ClusterStore.release. Only a store that holds claims
   * (PostgreSQL) takes it; another rejects the call before writing anything.
   */
  releaseRun?: string;
}

export interface TurnEndResult {
  /** Set when `messages` were given. */
  appended?: AppendedTurn;
  /** One per `states` entry, in order: false when another writer got there first. */
  written: boolean[];
  /** Set when `releaseRun` was given: false when the claim was not there (released, reaped). */
  released?: boolean;
}

/**
 * Where a run's last writes go to be committed with its caller's end of the turn (the kernel's
 * SpawnSpec.sessionWrites.end; the gateway commits them through SessionStore.endTurn).
 */
export interface TurnEndWrites {
  /**
   * Adds a compare-and-set write of the run's session; resolves whether it was written (false
   * also when the end failed). undefined once the end has begun: the run writes it itself.
   */
  state(write: SessionStateWrite): Promise<boolean> | undefined;
  /**
   * Hands over the run's answer (its last unit, so far) to be appended first in the end's
   * transaction. `stored` resolves with where it was stored, or undefined when it was not:
   * withdrawn, or the end failed (the end then appends it on its own, and says if that failed
   * too). `withdraw`, before the end begins: the run appends it itself after all (another unit
   * follows it); false when the end has it already. undefined when the end has begun, or holds
   * an answer already: the run appends it itself.
   */
  append(
    messages: readonly Message[],
  ): { stored: Promise<AppendedTurn | undefined>; withdraw(): boolean } | undefined;
}

export interface StateWriteOptions {
  /**
   * The write may commit without waiting for the store's disk flush (PostgreSQL:
   * synchronous_commit off; the libSQL file never waits for one). It is visible to every reader
   * at once like any other, and on disk as soon as a later write of the same store that does wait
   * has committed (the log is written in order); only a crash of the database server before that
   * may lose it. For a value a flushed write of the same piece of work follows (a turn's record
   * before its claim's release), never for one the caller reports as stored. Default false.
   * Taken by setState and appendTurn.
   */
  relaxed?: boolean;
}

export class SessionNotFoundError extends OxydraError {
  readonly sessionId: string;
  constructor(sessionId: string) {
    super('usage_error', `there is no session ${sessionId}`, {
      hint: 'list sessions with `oxydra sessions`',
    });
    this.sessionId = sessionId;
  }
}

/** A creation with a SessionRoom the user has no room for: `active` is what the store counted. */
export class SessionLimitError extends OxydraError {
  readonly userId: string;
  readonly active: number;
  readonly maxActive: number;
  constructor(userId: string, active: number, maxActive: number) {
    super('usage_error', `user ${userId} has ${active} active sessions, the most allowed (${maxActive})`, {
      hint: 'archive or delete one, or raise the limit',
    });
    this.userId = userId;
    this.active = active;
    this.maxActive = maxActive;
  }
}

export class SessionExistsError extends OxydraError {
  readonly sessionId: string;
  constructor(sessionId: string) {
    super('usage_error', `a session with id ${sessionId} already exists`);
    this.sessionId = sessionId;
  }
}
