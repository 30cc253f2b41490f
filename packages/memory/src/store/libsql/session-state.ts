/**
 * SQL of session_state: small named values per session with an epoch for compare-and-set.
 * A rolling summary is read, recomputed slowly (a model call), then written back only if
 * nobody wrote in between; the loser re-reads instead of overwriting newer work.
 */
import type { Client, InStatement, Transaction } from '@libsql/client';
import type { SessionStateValue } from '@oxydra/types';
import { integer, text } from '../../rows.js';

export type StateValue = SessionStateValue;

export async function selectState(
  db: Client,
  sessionId: string,
  key: string,
): Promise<StateValue | undefined> {
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
