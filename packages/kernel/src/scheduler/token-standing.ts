/**
 * Whether a schedule's user may still run it. A schedule runs as its user with nobody watching,
 * so it must not outlive that user's access: once the user holds no usable gateway token (the
 * last one revoked), or the token the schedule runs under (the one that made or last resumed
 * it) is revoked, the schedule is paused, persisted with the reason, and nothing runs until a
 * person resumes it. Users who never held a token are the workspace owner's own (`default`,
 * `local`, a name given at the terminal): their schedules run as before.
 *
 * Checked when a run is claimed (run-claims.ts), at run-now, at resume, and when a token is
 * revoked (admin-services.ts), so `oxydra schedule list` shows the pause at once.
 */
import type { KernelAudit } from '../services/audit/audit-log.js';
import type { KernelDb } from '../store/kernel-db.js';
import { type ScheduleRow, scheduleInfo } from './schedule-rows.js';
import type { ScheduleInfo } from './types.js';

type Standing = Pick<ScheduleRow, 'id' | 'user_id' | 'run_token'>;

const when = (iso: string) => `${iso.slice(0, 16).replace('T', ' ')} UTC`;
const resume = (id: string) => `resume with \`oxydra schedule resume ${id}\``;

/** Why the user has no standing: undefined when they hold an active token or never held one. */
export function userWithoutToken(db: KernelDb, user: string): string | undefined {
  const [total, active, lastRevoked] = db
    .prepare(
      `SELECT count(*), coalesce(sum(revoked_at IS NULL AND pending = 0), 0), max(revoked_at)
         FROM gateway_tokens WHERE user_id = ?`,
    )
    .raw(true)
    .get(user) as [number, number, string | null];
  if (total === 0 || active > 0) return undefined;
  return lastRevoked !== null
    ? `the user's last token was revoked on ${when(lastRevoked)}`
    : `user ${user} has no active token`;
}

/** Why `row` may not run now (the pause reason), or undefined when it may. */
export function standingProblem(db: KernelDb, row: Standing): string | undefined {
  const user = userWithoutToken(db, row.user_id);
  if (user) return `paused: ${user}; ${resume(row.id)} after issuing a token`;
  if (row.run_token === null) return undefined;
  const revoked = db
    .prepare('SELECT revoked_at FROM gateway_tokens WHERE id = ?')
    .raw(true)
    .get(row.run_token) as [string | null] | undefined;
  if (revoked?.[0] == null) return undefined;
  return `paused: the token it runs under (${row.run_token}) was revoked on ${when(revoked[0])}; ${resume(row.id)}`;
}

/** The stored token an actor ("token:<id>") names, else null (the terminal, an agent, the owner's token). */
export function runTokenOf(db: KernelDb, actor: string): string | null {
  if (!actor.startsWith('token:')) return null;
  const id = actor.slice('token:'.length);
  return db.prepare('SELECT 1 FROM gateway_tokens WHERE id = ?').get(id) ? id : null;
}

/** Pauses a schedule with the reason (audited as the scheduler's); call inside a write transaction. */
export function pauseForStanding(
  db: KernelDb,
  audit: KernelAudit | undefined,
  row: ScheduleRow,
  reason: string,
  now: number,
): ScheduleInfo {
  db.prepare('UPDATE schedules SET enabled = 0, disabled_reason = ?, updated_at = ? WHERE id = ?').run(
    reason,
    now,
    row.id,
  );
  audit?.record(
    'scheduler',
    'schedule_pause',
    { id: row.id, user: row.user_id, name: row.name, reason },
    `schedule:${row.id}`,
  );
  return scheduleInfo({ ...row, enabled: 0, disabled_reason: reason, updated_at: now });
}

/**
 * Pauses the running schedules a revoked token leaves without standing: its user's, and those
 * running under it. Call inside the revocation's write transaction.
 */
export function pauseAfterRevoke(
  db: KernelDb,
  audit: KernelAudit,
  tokenId: string,
  now: number,
): ScheduleInfo[] {
  const owner = db.prepare('SELECT user_id FROM gateway_tokens WHERE id = ?').raw(true).get(tokenId) as
    | [string]
    | undefined;
  const rows = db
    .prepare('SELECT * FROM schedules WHERE enabled = 1 AND (user_id = ? OR run_token = ?)')
    .all(owner?.[0] ?? null, tokenId) as ScheduleRow[];
  const paused: ScheduleInfo[] = [];
  for (const row of rows) {
    const reason = standingProblem(db, row);
    if (reason) paused.push(pauseForStanding(db, audit, row, reason, now));
  }
  return paused;
}
