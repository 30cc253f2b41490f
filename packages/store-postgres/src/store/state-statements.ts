/**
 * A compare-and-set write of a session's state (session_state) as one statement: SessionStore's
 * setState and endTurn send it, and a session turn's claim sends it in its own transaction
 * (ClusterStore.claim with `state`: the gateway's running record), guarded there by the claim's
 * insert so it writes only when the claim placed the run.
 */

/**
 * An insert when no epoch is expected, else an update; 1 row when it wrote. `heldBy`: a run id
 * whose claim (cluster_runs) must be there, seen by a later statement of the claim's own
 * transaction only when its insert placed the run.
 */
export function stateStatement(
  sessionId: string,
  key: string,
  value: string,
  expectedEpoch: number | null,
  now: string,
  heldBy?: string,
): { text: string; values: unknown[] } {
  const values: unknown[] =
    expectedEpoch === null ? [sessionId, key, value, now] : [value, now, sessionId, key, expectedEpoch];
  if (heldBy !== undefined) values.push(heldBy);
  const held =
    heldBy === undefined ? '' : ` AND EXISTS (SELECT 1 FROM cluster_runs WHERE run_id = $${values.length})`;
  return expectedEpoch === null
    ? {
        text: `INSERT INTO session_state (session_id, key, value, epoch, updated_at)
               SELECT $1, $2, $3, 1, $4 WHERE EXISTS (SELECT 1 FROM sessions WHERE id = $1)${held}
               ON CONFLICT (session_id, key) DO NOTHING RETURNING 1`,
        values,
      }
    : {
        text: `UPDATE session_state SET value = $1, epoch = epoch + 1, updated_at = $2
               WHERE session_id = $3 AND key = $4 AND epoch = $5${held} RETURNING 1`,
        values,
      };
}
