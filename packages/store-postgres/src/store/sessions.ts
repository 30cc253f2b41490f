/**
 * The PostgreSQL SessionStore: sessions, their append-only message log (conversation_events) and
 * their state (session_state). The log's position (last_seq, last_turn, last_at) is kept on the
 * session's row: an append is one statement that moves it (taking the row's lock, so two writers
 * on any connections queue there) and inserts the turn's messages after it, all or none.
 */
import {
  CorruptEventError,
  checkCount,
  checkNewSession,
  checkSearch,
  checkStateWrite,
  checkTitle,
  checkTurnEnd,
  containsPattern,
  DEFAULT_LIST_LIMIT,
  decodePayload,
  deriveTitle,
  encodeTurn,
  getOrCreateSession,
  MAX_LIST_LIMIT,
  MemoryValidationError,
  nowIso,
  roomLimit,
} from '@oxydra/memory/store-input';
import {
  type AppendedTurn,
  type Message,
  matchSessionId,
  type NewSession,
  type Role,
  SessionExistsError,
  type SessionFilter,
  SessionLimitError,
  SessionNotFoundError,
  type SessionRoom,
  type SessionStamp,
  type SessionStateValue,
  type SessionStore,
  type StateWriteOptions,
  type StoredEvent,
  type StoredSession,
  type StoredSessionSummary,
  type TurnEnd,
  type TurnEndResult,
} from '@oxydra/types';
import type pg from 'pg';
import type { ClaimedSessions } from './claimed-sessions.js';
import { RELEASE_RUN_SQL } from './cluster.js';
import type { PgDatabase } from './database.js';
import { holdsNul } from './nul-keys.js';
import {
  COLUMNS,
  type SessionRow,
  type StampRow,
  stampOf,
  stampStatement,
  toSession,
} from './session-rows.js';
import { FOREIGN_KEY_VIOLATION, hasCode } from './sql-errors.js';
import { stateStatement } from './state-statements.js';
import { takeXactLock } from './xact-lock.js';

/** Which of a user's sessions a SessionRoom counts, the user being parameter `user`. */
const activeOf = (user: string) => `user_id = ${user} AND archived_at IS NULL AND parent_session_id IS NULL`;

/** The insert of a new session ($1-$7, created_at = updated_at = $6), only when `where` holds. */
function insertSql(where: string): string {
  return `INSERT INTO sessions (id, title, user_id, agent, parent_session_id, created_at, updated_at, channel_origin)
    SELECT $1, $2, $3, $4, $5, $6, $6, $7 ${where} ON CONFLICT (id) DO NOTHING RETURNING ${COLUMNS}`;
}

/** The WHERE clause of a SessionFilter, its parameters numbered from `args.length + 1`. */
function filterSql(filter: SessionFilter, args: unknown[]): string {
  const clauses: string[] = [];
  const param = (value: unknown) => {
    args.push(value);
    return `$${args.length}`;
  };
  // A user id holding a NUL is no user's (nul-keys.ts): matched by nothing, never sent.
  if (holdsNul(filter.userId)) clauses.push('false');
  else if (filter.userId !== undefined) clauses.push(`user_id = ${param(filter.userId)}`);
  if (filter.archived !== undefined)
    clauses.push(filter.archived ? 'archived_at IS NOT NULL' : 'archived_at IS NULL');
  if (filter.subagents === false) clauses.push('parent_session_id IS NULL');
  if (filter.updatedBefore !== undefined) clauses.push(`updated_at < ${param(filter.updatedBefore)}`);
  const search = checkSearch(filter.search);
  if (search !== undefined) {
    // ILIKE on "C"-collated text folds ASCII letters only, as SQLite's LIKE; wildcards escaped.
    const pattern = param(containsPattern(search));
    clauses.push(`(id ILIKE ${pattern} ESCAPE '\\' OR title ILIKE ${pattern} ESCAPE '\\')`);
  }
  return clauses.length > 0 ? `WHERE ${clauses.join(' AND ')}` : '';
}

export class PostgresSessionStore implements SessionStore {
  readonly #db: PgDatabase;
  readonly #claimed: ClaimedSessions | undefined;

  /** `claimed`: the sessions the cluster store's claims read (the same instance there). */
  constructor(db: PgDatabase, claimed?: ClaimedSessions) {
    this.#db = db;
    this.#claimed = claimed;
  }

  async create(fields: NewSession = {}, room?: SessionRoom): Promise<StoredSession> {
    const session = checkNewSession(fields);
    const maxActive = roomLimit(session.userId, room);
    const args = [
      session.id,
      session.title ?? null,
      session.userId ?? null,
      session.agent ?? null,
      session.parentSessionId ?? null,
      nowIso(),
      session.channelOrigin ?? null,
    ];
    let row: SessionRow | undefined;
    try {
      row =
        maxActive === undefined
          ? (await this.#db.run((sql) => sql.query<SessionRow>(insertSql(''), args))).rows[0]
          : await this.#insertWithin(session.userId!, maxActive, args);
    } catch (error) {
      if (!hasCode(error, FOREIGN_KEY_VIOLATION)) throw error;
      throw new MemoryValidationError(
        'parentSessionId',
        `parent session ${session.parentSessionId} does not exist`,
      );
    }
    if (!row) throw new SessionExistsError(session.id);
    return toSession(row);
  }

  /**
   * The insert of a session of `userId` within `maxActive`, behind the user's sessions lock
   * (xact-lock.ts): a creation at once on another connection waits here until this one commits,
   * then counts it. The lock, the count and the insert (which counts again at its own snapshot,
   * the same rows) go in one round trip.
   */
  async #insertWithin(userId: string, maxActive: number, args: unknown[]): Promise<SessionRow | undefined> {
    const [, counted, inserted] = await this.#db.batch((sql) =>
      Promise.all([
        takeXactLock(sql, 'oxydra-sessions-of:', userId),
        sql.query<{ n: number }>(`SELECT count(*) AS n FROM sessions WHERE ${activeOf('$1')}`, [userId]),
        sql.query<SessionRow>(
          insertSql(`WHERE (SELECT count(*) FROM sessions WHERE ${activeOf('$3')}) < $8`),
          [...args, maxActive],
        ),
      ]),
    );
    const active = counted.rows[0]?.n ?? 0;
    if (inserted.rows[0] === undefined && active >= maxActive) {
      throw new SessionLimitError(userId, active, maxActive);
    }
    return inserted.rows[0];
  }

  getOrCreate(id: string, fields: Omit<NewSession, 'id'> = {}, room?: SessionRoom): Promise<StoredSession> {
    return getOrCreateSession(this, id, fields, room);
  }

  async get(id: string): Promise<StoredSession | undefined> {
    if (holdsNul(id)) return undefined;
    const { rows } = await this.#db.run((sql) =>
      sql.query<SessionRow>(`SELECT ${COLUMNS} FROM sessions WHERE id = $1`, [id]),
    );
    return rows[0] ? toSession(rows[0]) : undefined;
  }

  async list(
    options: SessionFilter & { limit?: number; offset?: number } = {},
  ): Promise<StoredSessionSummary[]> {
    const limit = checkCount('limit', options.limit, DEFAULT_LIST_LIMIT, MAX_LIST_LIMIT);
    const offset = checkCount('offset', options.offset, 0, Number.MAX_SAFE_INTEGER);
    const args: unknown[] = [];
    const where = filterSql(options, args);
    // seq numbers a session's messages 1, 2, 3... without gaps: the last one is the count.
    const { rows } = await this.#db.run((sql) =>
      sql.query<SessionRow & { last_seq: number }>(
        `SELECT ${COLUMNS}, last_seq FROM sessions ${where}
         ORDER BY updated_at DESC, generation DESC LIMIT $${args.length + 1} OFFSET $${args.length + 2}`,
        [...args, limit, offset],
      ),
    );
    return rows.map((row) => ({ ...toSession(row), messageCount: row.last_seq }));
  }

  async lookup(typed: string, scope: { userId?: string } = {}): Promise<string[]> {
    if (holdsNul(typed, scope.userId)) return [];
    const args: unknown[] = [];
    const where = filterSql(scope, args);
    const exact = await this.#db.run((sql) =>
      sql.query(`SELECT id FROM sessions ${where ? `${where} AND` : 'WHERE'} id = $${args.length + 1}`, [
        ...args,
        typed,
      ]),
    );
    if (exact.rows.length > 0) return [typed];
    const { rows } = await this.#db.run((sql) =>
      sql.query<{ id: string }>(`SELECT id FROM sessions ${where}`, args),
    );
    const match = matchSessionId(
      typed,
      rows.map((row) => row.id),
    );
    return match.ok ? [match.id] : match.candidates;
  }

  async count(filter: SessionFilter = {}): Promise<number> {
    const args: unknown[] = [];
    const where = filterSql(filter, args);
    const { rows } = await this.#db.run((sql) =>
      sql.query<{ n: number }>(`SELECT count(*) AS n FROM sessions ${where}`, args),
    );
    return rows[0]?.n ?? 0;
  }

  async archive(id: string): Promise<boolean> {
    this.#claimed?.drop(id);
    const result = await this.#db.run((sql) =>
      sql.query('UPDATE sessions SET archived_at = $1 WHERE id = $2 AND archived_at IS NULL', [nowIso(), id]),
    );
    return (result.rowCount ?? 0) > 0;
  }

  async markActive(id: string): Promise<StoredSession> {
    return this.#updated(id, 'updated_at = $1, archived_at = NULL', [nowIso()]);
  }

  /** Its messages and state go with it (ON DELETE CASCADE); sub-agent sessions stay, unlinked (SET NULL). */
  async delete(id: string): Promise<boolean> {
    this.#claimed?.drop(id);
    const result = await this.#db.run((sql) => sql.query('DELETE FROM sessions WHERE id = $1', [id]));
    return (result.rowCount ?? 0) > 0;
  }

  async rename(id: string, title: string): Promise<StoredSession> {
    return this.#updated(id, 'title = $1, updated_at = $2', [checkTitle(title), nowIso()]);
  }

  async appendTurn(
    sessionId: string,
    messages: readonly Message[],
    options: StateWriteOptions = {},
  ): Promise<AppendedTurn> {
    if (messages.length === 0)
      throw new MemoryValidationError('messages', 'a turn needs at least one message');
    const now = nowIso();
    this.#claimed?.drop(sessionId);
    // One statement: the UPDATE takes the session row's lock and moves the log's position; the
    // messages go in after the position it returns. A second writer waits for the lock, then
    // sees the first's position. A missing session updates nothing, so nothing is inserted.
    const append = appendStatement(sessionId, messages, now);
    const { rows } = await this.#db.run(
      (sql) => sql.query<{ seq: number; turn: number }>(append.text, append.values),
      options.relaxed ? 'relaxed' : 'flushed',
    );
    if (rows.length === 0) throw new SessionNotFoundError(sessionId);
    return appended(rows, now);
  }

  async loadMessages(sessionId: string, options: { afterSeq?: number } = {}): Promise<Message[]> {
    return (await this.loadEvents(sessionId, options)).map((event) => event.message);
  }

  async loadEvents(sessionId: string, options: { afterSeq?: number } = {}): Promise<StoredEvent[]> {
    const afterSeq = checkCount('afterSeq', options.afterSeq, 0, Number.MAX_SAFE_INTEGER);
    const { rows } = await this.#db.run((sql) =>
      sql.query<{ seq: number; turn: number; role: string; payload: string; created_at: string }>(
        `SELECT seq, turn, role, payload, created_at FROM conversation_events
         WHERE session_id = $1 AND seq > $2 ORDER BY seq`,
        [sessionId, afterSeq],
      ),
    );
    if (rows.length === 0) await this.#require(sessionId);
    return rows.map((row) => {
      const message = decodePayload(row.payload, row.role);
      if (typeof message === 'string') throw new CorruptEventError(sessionId, row.seq, message);
      return { seq: row.seq, turn: row.turn, role: row.role as Role, createdAt: row.created_at, message };
    });
  }

  async stamp(sessionId: string, options: { session?: boolean } = {}): Promise<SessionStamp | undefined> {
    // The row's columns too when asked: a turn opening its session reads the row once (one
    // statement, where get and stamp were two, on two pool connections); none at all when the
    // turn's claim read them (ClaimedSessions).
    if (options.session) {
      const claimed = this.#claimed?.take(sessionId);
      if (claimed) return claimed;
    }
    const read = stampStatement(sessionId, options.session === true);
    const { rows } = await this.#db.run((sql) => sql.query<StampRow>(read.text, read.values));
    return rows[0] ? stampOf(rows[0], options.session === true) : undefined;
  }

  async countMessages(sessionId: string): Promise<number> {
    const { rows } = await this.#db.run((sql) =>
      sql.query<{ last_seq: number }>('SELECT last_seq FROM sessions WHERE id = $1', [sessionId]),
    );
    if (!rows[0]) throw new SessionNotFoundError(sessionId);
    return rows[0].last_seq;
  }

  async getState(sessionId: string, key: string): Promise<SessionStateValue | undefined> {
    const { rows } = await this.#db.run((sql) =>
      sql.query<SessionStateValue>(
        'SELECT value, epoch FROM session_state WHERE session_id = $1 AND key = $2',
        [sessionId, key],
      ),
    );
    return rows[0] ? { value: rows[0].value, epoch: rows[0].epoch } : undefined;
  }

  async setState(
    sessionId: string,
    key: string,
    value: string,
    expectedEpoch: number | null,
    options: StateWriteOptions = {},
  ): Promise<boolean> {
    checkStateWrite(key, value, expectedEpoch);
    const now = nowIso();
    const write = stateStatement(sessionId, key, value, expectedEpoch, now);
    let written: number;
    try {
      written = await this.#db.run(
        async (sql) =>
          options.relaxed
            ? ((await sql.query(write.text, write.values)).rowCount ?? 0)
            : // Flushed even when it writes nothing (another writer got there first): then a
              // transactional WAL record of no meaning (a logical message, any wal_level, any
              // role) gives the commit a transaction id and WAL, so it waits for the flush like a
              // write would (a commit without WAL does not, even with an id), and every relaxed
              // write before it is on disk when it returns: the final record of a reaped turn
              // (docs/postgres.md, "Fifth round"). The same round trip; nothing more when it writes.
              (
                await sql.query<{ n: number }>(
                  `WITH written AS (${write.text})
                   SELECT n, CASE WHEN n = 0 THEN pg_logical_emit_message(true, 'oxydra', 'flush') END AS barrier
                   FROM (SELECT count(*)::int AS n FROM written) AS counted`,
                  write.values,
                )
              ).rows[0]!.n,
        options.relaxed ? 'relaxed' : 'flushed',
      );
    } catch (error) {
      // The session was deleted between the EXISTS and the insert's foreign-key check.
      if (hasCode(error, FOREIGN_KEY_VIOLATION)) throw new SessionNotFoundError(sessionId);
      throw error;
    }
    if (written === 1) return true;
    await this.#require(sessionId);
    return false;
  }

  async endTurn(sessionId: string, end: TurnEnd): Promise<TurnEndResult> {
    checkTurnEnd(end);
    const now = nowIso();
    this.#claimed?.drop(sessionId);
    if (end.releaseRun !== undefined) this.#claimed?.released(end.releaseRun);
    const states = (end.states ?? []).map((write) =>
      stateStatement(sessionId, write.key, write.value, write.expectedEpoch, now),
    );
    type Answers = [pg.QueryResult<{ seq: number; turn: number }> | undefined, ...pg.QueryResult[]];
    let answers: Answers;
    try {
      // Every statement goes out before any answer, the COMMIT right behind them (batch): one
      // round trip and one WAL flush for the whole end of the turn. A compare-and-set that finds
      // another epoch writes nothing and fails nothing; the release is ClusterStore.release's
      // statement (RELEASE_RUN_SQL). The logical message gives the commit WAL of its own, so it waits for the flush
      // also when nothing else wrote (setState says why).
      answers = await this.#db.batch(async (sql) => {
        const append = end.messages ? appendStatement(sessionId, end.messages, now) : undefined;
        const sent = [
          append ? sql.query<{ seq: number; turn: number }>(append.text, append.values) : undefined,
          ...states.map((write) => sql.query(write.text, write.values)),
          ...(end.releaseRun !== undefined ? [sql.query(RELEASE_RUN_SQL, [end.releaseRun])] : []),
          sql.query(
            `SELECT EXISTS (SELECT 1 FROM sessions WHERE id = $1) AS found,
               pg_logical_emit_message(true, 'oxydra', 'flush') AS barrier`,
            [sessionId],
          ),
        ];
        return (await Promise.all(sent)) as Answers;
      });
    } catch (error) {
      if (hasCode(error, FOREIGN_KEY_VIOLATION)) throw new SessionNotFoundError(sessionId);
      throw error;
    }
    const [appendAnswer, ...rest] = answers;
    const found = (rest.pop() as pg.QueryResult<{ found: boolean }>).rows[0]?.found === true;
    const released = end.releaseRun !== undefined ? (rest.pop()?.rowCount ?? 0) > 0 : undefined;
    // Gone: the append and the state writes found no row to write (the claim went all the same).
    if (!found) throw new SessionNotFoundError(sessionId);
    return {
      ...(appendAnswer ? { appended: appended(appendAnswer.rows, now) } : {}),
      written: rest.map((answer) => (answer.rowCount ?? 0) === 1),
      ...(released !== undefined ? { released } : {}),
    };
  }

  async #updated(id: string, set: string, args: unknown[]): Promise<StoredSession> {
    this.#claimed?.drop(id);
    const { rows } = await this.#db.run((sql) =>
      sql.query<SessionRow>(
        `UPDATE sessions SET ${set} WHERE id = $${args.length + 1} RETURNING ${COLUMNS}`,
        [...args, id],
      ),
    );
    if (!rows[0]) throw new SessionNotFoundError(id);
    return toSession(rows[0]);
  }

  async #require(id: string): Promise<void> {
    const { rows } = await this.#db.run((sql) => sql.query('SELECT 1 FROM sessions WHERE id = $1', [id]));
    if (rows.length === 0) throw new SessionNotFoundError(id);
  }
}

/** appendTurn's statement (see there): moves the session's log position and inserts after it. */
function appendStatement(
  sessionId: string,
  messages: readonly Message[],
  now: string,
): { text: string; values: unknown[] } {
  const encoded = encodeTurn(messages);
  return {
    text: `WITH moved AS (
           UPDATE sessions SET updated_at = $2, archived_at = NULL, title = COALESCE(title, $3),
             last_seq = last_seq + $4, last_turn = last_turn + 1, last_at = $2
           WHERE id = $1 RETURNING last_seq, last_turn)
         INSERT INTO conversation_events (session_id, seq, turn, role, payload, created_at)
         SELECT $1, moved.last_seq - $4 + message.ord, moved.last_turn, message.role, message.payload, $2
         FROM moved, unnest($5::text[], $6::text[]) WITH ORDINALITY AS message (role, payload, ord)
         RETURNING seq, turn`,
    values: [
      sessionId,
      now,
      deriveTitle(messages) ?? null,
      encoded.length,
      encoded.map((message) => message.role),
      encoded.map((message) => message.payload),
    ],
  };
}

function appended(rows: readonly { seq: number; turn: number }[], now: string): AppendedTurn {
  const seqs = rows.map((row) => row.seq);
  return { turn: rows[0]!.turn, firstSeq: Math.min(...seqs), lastSeq: Math.max(...seqs), createdAt: now };
}
