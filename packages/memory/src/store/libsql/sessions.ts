/**
 * The libSQL SessionStore (the embedded default of the contract in @oxydra/types): the sessions
 * table, and the API over it, its conversation log (events.ts) and its state (below).
 */
export { DEFAULT_LIST_LIMIT, MAX_LIST_LIMIT, MAX_SEARCH_CHARS } from '../../store-input.js';

import type { Client, Row, Transaction } from '@libsql/client';
import {
  type AppendedTurn,
  type Message,
  matchSessionId,
  type NewSession,
  SessionExistsError,
  type SessionFilter,
  SessionLimitError,
  SessionNotFoundError,
  type SessionRoom,
  type SessionStamp,
  type SessionStateValue,
  type SessionStore,
  type StoredEvent,
  type StoredSession,
  type StoredSessionSummary,
  type TurnEnd,
  type TurnEndResult,
} from '@oxydra/types';
import { MemoryValidationError } from '../../errors.js';
import {
  checkCount,
  checkNewSession,
  checkSearch,
  checkStateWrite,
  checkTitle,
  checkTurnEnd,
  containsPattern,
  DEFAULT_LIST_LIMIT,
  deriveTitle,
  encodeTurn,
  getOrCreateSession,
  MAX_LIST_LIMIT,
  nowIso,
  roomLimit,
} from '../../store-input.js';
import { groupWrite } from '../local/write-group.js';
import { integer, optionalText, text } from './db.js';
import {
  compareAndSetState,
  countEvents,
  deleteEventsStatement,
  deleteStateStatement,
  insertStatements,
  LAST_SEQ,
  LAST_TURN,
  selectEvents,
  selectState,
} from './events.js';

/** The names this package always used for the contract's types. */
export type Session = StoredSession;
export type SessionSummary = StoredSessionSummary;

const COLUMNS =
  'id, title, user_id, agent, parent_session_id, created_at, updated_at, channel_origin, archived_at';
/** COLUMNS of the sessions row aliased `s`, each under its own name (stamp's join). */
const SESSION_COLUMNS = COLUMNS.split(', ')
  .map((column) => `s.${column} AS ${column}`)
  .join(', ');

/** The WHERE clause (with its arguments) of a SessionFilter. */
function filterSql(filter: SessionFilter): { where: string; args: string[] } {
  const clauses: string[] = [];
  const args: string[] = [];
  if (filter.userId !== undefined) {
    clauses.push('user_id = ?');
    args.push(filter.userId);
  }
  if (filter.archived !== undefined)
    clauses.push(filter.archived ? 'archived_at IS NOT NULL' : 'archived_at IS NULL');
  if (filter.subagents === false) clauses.push('parent_session_id IS NULL');
  if (filter.updatedBefore !== undefined) {
    clauses.push('updated_at < ?');
    args.push(filter.updatedBefore);
  }
  const search = checkSearch(filter.search);
  if (search !== undefined) {
    // The text is an argument, never SQL; its own % and _ are escaped so they match themselves.
    const pattern = containsPattern(search);
    clauses.push("(id LIKE ? ESCAPE '\\' OR title LIKE ? ESCAPE '\\')");
    args.push(pattern, pattern);
  }
  return { where: clauses.length > 0 ? `WHERE ${clauses.join(' AND ')}` : '', args };
}

function toSession(row: Row): Session {
  const session: Session = {
    id: text(row, 'id'),
    createdAt: text(row, 'created_at'),
    updatedAt: text(row, 'updated_at'),
  };
  const title = optionalText(row, 'title');
  const userId = optionalText(row, 'user_id');
  const agent = optionalText(row, 'agent');
  const parent = optionalText(row, 'parent_session_id');
  const channelOrigin = optionalText(row, 'channel_origin');
  const archivedAt = optionalText(row, 'archived_at');
  if (title !== undefined) session.title = title;
  if (userId !== undefined) session.userId = userId;
  if (agent !== undefined) session.agent = agent;
  if (parent !== undefined) session.parentSessionId = parent;
  if (channelOrigin !== undefined) session.channelOrigin = channelOrigin;
  if (archivedAt !== undefined) session.archivedAt = archivedAt;
  return session;
}

export class LibsqlSessionStore implements SessionStore {
  readonly #db: Client;

  constructor(client: Client) {
    this.#db = client;
  }

  /** A new session; an explicit id that exists already is an error (see getOrCreate). */
  async create(fields: NewSession = {}, room?: SessionRoom): Promise<Session> {
    const session = checkNewSession(fields);
    const maxActive = roomLimit(session.userId, room);
    const now = nowIso();
    const result = await groupWrite(this.#db, async (tx) => {
      // Counted inside the write transaction: another process's creation waits for this one.
      if (maxActive !== undefined) await this.#checkRoom(tx, session.userId!, maxActive);
      if (session.parentSessionId !== undefined) {
        // Which error wins when both apply stays the same: the taken id.
        if (await this.#exists(tx, session.id)) throw new SessionExistsError(session.id);
        if (!(await this.#exists(tx, session.parentSessionId))) {
          throw new MemoryValidationError(
            'parentSessionId',
            `parent session ${session.parentSessionId} does not exist`,
          );
        }
      }
      // An id taken already inserts nothing and returns no row (one statement, not a read first).
      const inserted = await tx.execute({
        sql: `INSERT INTO sessions (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL)
              ON CONFLICT (id) DO NOTHING RETURNING ${COLUMNS}`,
        args: [
          session.id,
          session.title ?? null,
          session.userId ?? null,
          session.agent ?? null,
          session.parentSessionId ?? null,
          now,
          now,
          session.channelOrigin ?? null,
        ],
      });
      if (inserted.rows.length === 0) throw new SessionExistsError(session.id);
      return inserted;
    });
    return toSession(result.rows[0]!);
  }

  async get(id: string): Promise<Session | undefined> {
    const result = await this.#db.execute({
      sql: `SELECT ${COLUMNS} FROM sessions WHERE id = ?`,
      args: [id],
    });
    const row = result.rows[0];
    return row ? toSession(row) : undefined;
  }

  /** The session `id`, created with `fields` if missing; an existing session's fields are left as they are. */
  getOrCreate(id: string, fields: Omit<NewSession, 'id'> = {}, room?: SessionRoom): Promise<Session> {
    return getOrCreateSession(this, id, fields, room);
  }

  async #checkRoom(tx: Transaction, userId: string, maxActive: number): Promise<void> {
    const counted = await tx.execute({
      sql: 'SELECT COUNT(*) AS n FROM sessions WHERE user_id = ? AND archived_at IS NULL AND parent_session_id IS NULL',
      args: [userId],
    });
    const active = Number(counted.rows[0]?.n ?? 0);
    if (active >= maxActive) throw new SessionLimitError(userId, active, maxActive);
  }

  /** Sessions newest first (by last activity), each with its message count; `search` narrows by id or title. */
  async list(options: SessionFilter & { limit?: number; offset?: number } = {}): Promise<SessionSummary[]> {
    const limit = checkCount('limit', options.limit, DEFAULT_LIST_LIMIT, MAX_LIST_LIMIT);
    const offset = checkCount('offset', options.offset, 0, Number.MAX_SAFE_INTEGER);
    const { where, args } = filterSql(options);
    const result = await this.#db.execute({
      // rowid breaks ties in the same millisecond: later inserts first.
      sql: `SELECT ${COLUMNS},
              (SELECT COUNT(*) FROM conversation_events e WHERE e.session_id = s.id) AS message_count
            FROM sessions s ${where}
            ORDER BY updated_at DESC, rowid DESC LIMIT ? OFFSET ?`,
      args: [...args, limit, offset],
    });
    return result.rows.map((row) => ({ ...toSession(row), messageCount: integer(row, 'message_count') }));
  }

  /**
   * The ids of the sessions `typed` could name: a full id, a short id (its tail) or a prefix
   * (matchSessionId's rule). One id when it names exactly one; several when it is ambiguous;
   * none when unknown. Only `userId`'s sessions when given.
   */
  async lookup(typed: string, scope: { userId?: string } = {}): Promise<string[]> {
    const { where, args } = filterSql(scope);
    // A full id (what the gateway and scripts pass) needs no scan of every id.
    const exact = await this.#db.execute({
      sql: `SELECT id FROM sessions ${where ? `${where} AND` : 'WHERE'} id = ?`,
      args: [...args, typed],
    });
    if (exact.rows.length > 0) return [typed];
    const result = await this.#db.execute({ sql: `SELECT id FROM sessions ${where}`, args });
    const ids = result.rows.map((row) => text(row, 'id'));
    const match = matchSessionId(typed, ids);
    return match.ok ? [match.id] : match.candidates;
  }

  /** How many sessions match (e.g. a user's active ones, for a per-user limit). */
  async count(filter: SessionFilter = {}): Promise<number> {
    const { where, args } = filterSql(filter);
    const result = await this.#db.execute({ sql: `SELECT COUNT(*) AS n FROM sessions ${where}`, args });
    return integer(result.rows[0]!, 'n');
  }

  /**
   * Archives an active session (it stays stored and can be resumed). False when it was
   * archived already or does not exist.
   */
  async archive(id: string): Promise<boolean> {
    const result = await this.#db.execute({
      sql: 'UPDATE sessions SET archived_at = ? WHERE id = ? AND archived_at IS NULL',
      args: [nowIso(), id],
    });
    return result.rowsAffected > 0;
  }

  /** Records activity now (a client attached or left): moves updated_at and un-archives. */
  async markActive(id: string): Promise<Session> {
    const result = await this.#db.execute({
      sql: `UPDATE sessions SET updated_at = ?, archived_at = NULL WHERE id = ? RETURNING ${COLUMNS}`,
      args: [nowIso(), id],
    });
    const row = result.rows[0];
    if (!row) throw new SessionNotFoundError(id);
    return toSession(row);
  }

  /**
   * Deletes the session with its messages and state (and, through foreign keys, its search
   * chunks); sub-agent sessions it started are kept, unlinked. False if there was none.
   */
  async delete(id: string): Promise<boolean> {
    const tx = await this.#db.transaction('write');
    try {
      // Explicit deletes: correct even on a remote server that does not enforce foreign keys.
      await tx.batch([
        deleteEventsStatement(id),
        deleteStateStatement(id),
        // The session's search index: vectors first, then chunks (their triggers keep FTS in step).
        {
          sql: 'DELETE FROM chunk_vectors WHERE chunk_id IN (SELECT id FROM chunks WHERE session_id = ?)',
          args: [id],
        },
        { sql: 'DELETE FROM chunks WHERE session_id = ?', args: [id] },
        { sql: 'UPDATE sessions SET parent_session_id = NULL WHERE parent_session_id = ?', args: [id] },
      ]);
      const result = await tx.execute({
        sql: 'DELETE FROM sessions WHERE id = ? RETURNING id',
        args: [id],
      });
      await tx.commit();
      return result.rows[0] !== undefined;
    } finally {
      tx.close();
    }
  }

  async rename(id: string, title: string): Promise<Session> {
    const clean = checkTitle(title);
    const result = await this.#db.execute({
      sql: `UPDATE sessions SET title = ?, updated_at = ? WHERE id = ? RETURNING ${COLUMNS}`,
      args: [clean, nowIso(), id],
    });
    const row = result.rows[0];
    if (!row) throw new SessionNotFoundError(id);
    return toSession(row);
  }

  /**
   * Appends one turn's messages in one write transaction: all of them or, if anything fails
   * (or the process dies), none. seq continues from the session's last; the session's
   * updated_at moves (and an archived one is active again), and an untitled session takes its
   * title from the first user message. The contract's `relaxed` option changes nothing here (as
   * for setState): the file never waits for a disk flush per commit (WAL, synchronous = NORMAL).
   */
  async appendTurn(sessionId: string, messages: readonly Message[]): Promise<AppendedTurn> {
    if (messages.length === 0)
      throw new MemoryValidationError('messages', 'a turn needs at least one message');
    const encoded = encodeTurn(messages);
    const title = deriveTitle(messages) ?? null;
    const now = nowIso();
    // BEGIN IMMEDIATE: the write lock is taken before the last seq is read, so no other
    // writer (another process) can take the same seq in between. Appends arriving together
    // share the transaction (write-group.ts), each still all-or-nothing and committed before
    // its promise settles.
    return groupWrite(this.#db, (tx) => appendIn(tx, sessionId, encoded, title, now));
  }

  /**
   * The end of a turn in one write transaction (a group's, as appendTurn's): the messages, then
   * each compare-and-set, all or nothing except a compare-and-set that finds another epoch. This
   * file holds no run claims (one process alone needs none), so `releaseRun` is refused.
   */
  async endTurn(sessionId: string, end: TurnEnd): Promise<TurnEndResult> {
    checkTurnEnd(end);
    if (end.releaseRun !== undefined)
      throw new MemoryValidationError(
        'releaseRun',
        'this store holds no run claims (a deployment needs PostgreSQL)',
      );
    const messages = end.messages;
    const encoded = messages ? encodeTurn(messages) : undefined;
    const title = messages ? (deriveTitle(messages) ?? null) : null;
    const now = nowIso();
    return groupWrite(this.#db, async (tx) => {
      // The session's row is touched first either way: a missing session fails before any write.
      const appended = encoded ? await appendIn(tx, sessionId, encoded, title, now) : undefined;
      if (!appended && !(await this.#exists(tx, sessionId))) throw new SessionNotFoundError(sessionId);
      const written: boolean[] = [];
      for (const write of end.states ?? []) {
        written.push(
          await compareAndSetState(tx, sessionId, write.key, write.value, write.expectedEpoch, now),
        );
      }
      return { ...(appended ? { appended } : {}), written };
    });
  }

  /** The session's messages in order (after `afterSeq` when given), attachment bytes omitted. */
  async loadMessages(sessionId: string, options: { afterSeq?: number } = {}): Promise<Message[]> {
    return (await this.loadEvents(sessionId, options)).map((event) => event.message);
  }

  /** Like loadMessages, with each message's seq, turn and time. */
  async loadEvents(sessionId: string, options: { afterSeq?: number } = {}): Promise<StoredEvent[]> {
    const afterSeq = checkCount('afterSeq', options.afterSeq, 0, Number.MAX_SAFE_INTEGER);
    const events = await selectEvents(this.#db, sessionId, afterSeq);
    if (events.length === 0) await this.#require(sessionId);
    return events;
  }

  /**
   * The session's stamp (see SessionStamp), undefined when it does not exist: one query whose
   * cost does not grow with the conversation (a seek down the log's primary key).
   */
  async stamp(sessionId: string, options: { session?: boolean } = {}): Promise<SessionStamp | undefined> {
    const result = await this.#db.execute({
      sql: `SELECT s.generation AS generation,${options.session ? ` ${SESSION_COLUMNS},` : ''}
              e.seq AS seq, e.turn AS turn, e.created_at AS event_at
            FROM sessions s LEFT JOIN conversation_events e
              ON e.rowid = (SELECT rowid FROM conversation_events
                            WHERE session_id = s.id ORDER BY seq DESC LIMIT 1)
            WHERE s.id = ?`,
      args: [sessionId],
    });
    const row = result.rows[0];
    if (!row) return undefined;
    const none = row.seq === null;
    return {
      generation: String(integer(row, 'generation')),
      lastSeq: none ? 0 : integer(row, 'seq'),
      lastTurn: none ? 0 : integer(row, 'turn'),
      lastAt: none ? '' : text(row, 'event_at'),
      ...(options.session ? { session: toSession(row) } : {}),
    };
  }

  async countMessages(sessionId: string): Promise<number> {
    const count = await countEvents(this.#db, sessionId);
    if (count === 0) await this.#require(sessionId);
    return count;
  }

  async getState(sessionId: string, key: string): Promise<StateValue | undefined> {
    return selectState(this.#db, sessionId, key);
  }

  /**
   * Writes `value` under `key` only if its epoch is still `expectedEpoch` (null: only if
   * it has no value yet), moving the epoch up by one. False: another writer got there first;
   * re-read and decide again.
   */
  async setState(
    sessionId: string,
    key: string,
    value: string,
    expectedEpoch: number | null,
  ): Promise<boolean> {
    checkStateWrite(key, value, expectedEpoch);
    const now = nowIso();
    // One statement, but on a local file its own commit: every kernel turn writes the audit
    // head into its session's state (audit-log.ts), so there state writes share the group
    // commit of the turns' appends (write-group.ts), committed before this settles as before.
    // A remote server keeps the one statement (a transaction would be three round trips).
    const written =
      this.#db.protocol === 'file'
        ? await groupWrite(this.#db, (tx) =>
            compareAndSetState(tx, sessionId, key, value, expectedEpoch, now),
          )
        : await compareAndSetState(this.#db, sessionId, key, value, expectedEpoch, now);
    if (written) return true;
    await this.#require(sessionId);
    return false;
  }

  async #exists(db: Client | Transaction, id: string): Promise<boolean> {
    const result = await db.execute({ sql: 'SELECT 1 FROM sessions WHERE id = ?', args: [id] });
    return result.rows.length > 0;
  }

  async #require(id: string): Promise<void> {
    if (!(await this.#exists(this.#db, id))) throw new SessionNotFoundError(id);
  }
}

/** appendTurn's writes inside `tx` (see there). */
async function appendIn(
  tx: Transaction,
  sessionId: string,
  encoded: ReturnType<typeof encodeTurn>,
  title: string | null,
  now: string,
): Promise<AppendedTurn> {
  const touched = await tx.execute({
    // The same statement returns where the log ends (events.ts: one statement, not two) and
    // whether the session is archived. A new turn is activity: an archived session becomes
    // active again, by a second statement only then. Not `archived_at = NULL` here: a column
    // in SET makes SQLite rewrite every index that column filters (sessions_active_by_user,
    // whose key does not change), one more page written by every append of an active session.
    sql: `UPDATE sessions SET updated_at = ?, title = COALESCE(title, ?) WHERE id = ?
          RETURNING ${LAST_SEQ} AS seq, ${LAST_TURN} AS turn, archived_at IS NOT NULL AS archived`,
    args: [now, title, sessionId],
  });
  const row = touched.rows[0];
  if (row === undefined) throw new SessionNotFoundError(sessionId);
  if (integer(row, 'archived') !== 0) {
    await tx.execute({ sql: 'UPDATE sessions SET archived_at = NULL WHERE id = ?', args: [sessionId] });
  }
  const last =
    row.seq === null ? { seq: 0, turn: 0 } : { seq: integer(row, 'seq'), turn: integer(row, 'turn') };
  const turn = last.turn + 1;
  await tx.batch(insertStatements(sessionId, turn, last.seq + 1, encoded, now));
  return { turn, firstSeq: last.seq + 1, lastSeq: last.seq + encoded.length, createdAt: now };
}

export type StateValue = SessionStateValue;
