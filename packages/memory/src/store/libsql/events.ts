/**
 * The SQL of a session's own tables, below its sessions row (the session store's helpers):
 * conversation_events, the append-only log of a session's messages (seq numbers a session's
 * messages 1, 2, 3... with no gaps; turn numbers the appendTurn calls), and session_state, its
 * small named values (at the end).
 */
import type { Client, InStatement, Row, Transaction } from '@libsql/client';
import type { Role, SessionStateValue, StoredEvent } from '@oxydra/types';
import { CorruptEventError } from '../../errors.js';
import { decodePayload } from '../../store-input.js';
import { integer, text } from './db.js';

export type { StoredEvent };

/**
 * The last seq and turn of a session (NULL when it has no messages), as expressions for a
 * statement on its sessions row (appendTurn's UPDATE returns them). The last message has the
 * highest turn too, so one seek down the primary key finds each: `MAX(seq), MAX(turn)` in one
 * SELECT is not SQLite's min/max optimisation and read every row of the session, each turn.
 */
export const LAST_SEQ =
  '(SELECT seq FROM conversation_events WHERE session_id = sessions.id ORDER BY seq DESC LIMIT 1)';
export const LAST_TURN =
  '(SELECT turn FROM conversation_events WHERE session_id = sessions.id ORDER BY seq DESC LIMIT 1)';

export function insertStatements(
  sessionId: string,
  turn: number,
  firstSeq: number,
  encoded: ReadonlyArray<{ role: Role; payload: string }>,
  createdAt: string,
): InStatement[] {
  return encoded.map(({ role, payload }, index) => ({
    sql: `INSERT INTO conversation_events (session_id, seq, turn, role, payload, created_at)
          VALUES (?, ?, ?, ?, ?, ?)`,
    args: [sessionId, firstSeq + index, turn, role, payload, createdAt],
  }));
}

function toEvent(sessionId: string, row: Row): StoredEvent {
  const seq = integer(row, 'seq');
  const role = text(row, 'role');
  const message = decodePayload(text(row, 'payload'), role);
  if (typeof message === 'string') throw new CorruptEventError(sessionId, seq, message);
  return { seq, turn: integer(row, 'turn'), role: role as Role, createdAt: text(row, 'created_at'), message };
}

/** A session's events in order, those after `afterSeq` only when given. */
export async function selectEvents(db: Client, sessionId: string, afterSeq = 0): Promise<StoredEvent[]> {
  const result = await db.execute({
    sql: `SELECT seq, turn, role, payload, created_at FROM conversation_events
          WHERE session_id = ? AND seq > ? ORDER BY seq`,
    args: [sessionId, afterSeq],
  });
  return result.rows.map((row) => toEvent(sessionId, row));
}

export async function countEvents(db: Client, sessionId: string): Promise<number> {
  const result = await db.execute({
    sql: 'SELECT COUNT(*) AS n FROM conversation_events WHERE session_id = ?',
    args: [sessionId],
  });
  const row = result.rows[0];
  return row ? integer(row, 'n') : 0;
}

export function deleteEventsStatement(sessionId: string): InStatement {
  return { sql: 'DELETE FROM conversation_events WHERE session_id = ?', args: [sessionId] };
}

/**
 * SQL of session_state: small named values per session with an epoch for compare-and-set.
 * A rolling summary is read, recomputed slowly (a model call), then written back only if
 * nobody wrote in between; the loser re-reads instead of overwriting newer work.
 */

export async function selectState(
  db: Client,
  sessionId: string,
  key: string,
): Promise<SessionStateValue | undefined> {
  const result = await db.execute({
    sql: 'SELECT value, epoch FROM session_state WHERE session_id = ? AND key = ?',
    args: [sessionId, key],
  });
  const row = result.rows[0];
  return row ? { value: text(row, 'value'), epoch: integer(row, 'epoch') } : undefined;
}

/**
 * Writes `value` if the stored epoch is `expectedEpoch` (null: no value yet). One statement
 * each way, so the check and the write are atomic without a transaction. True if written.
 */
export async function compareAndSetState(
  db: Client | Transaction,
  sessionId: string,
  key: string,
  value: string,
  expectedEpoch: number | null,
  now: string,
): Promise<boolean> {
  const result =
    expectedEpoch === null
      ? await db.execute({
          // WHERE EXISTS: no state for a missing session, even where foreign keys are not enforced.
          sql: `INSERT INTO session_state (session_id, key, value, epoch, updated_at)
                SELECT ?, ?, ?, 1, ? WHERE EXISTS (SELECT 1 FROM sessions WHERE id = ?)
                ON CONFLICT (session_id, key) DO NOTHING`,
          args: [sessionId, key, value, now, sessionId],
        })
      : await db.execute({
          sql: `UPDATE session_state SET value = ?, epoch = epoch + 1, updated_at = ?
                WHERE session_id = ? AND key = ? AND epoch = ?`,
          args: [value, now, sessionId, key, expectedEpoch],
        });
  return result.rowsAffected === 1;
}

export function deleteStateStatement(sessionId: string): InStatement {
  return { sql: 'DELETE FROM session_state WHERE session_id = ?', args: [sessionId] };
}
