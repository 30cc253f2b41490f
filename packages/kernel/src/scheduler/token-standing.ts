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
import type { ControlStores, StoredSchedule } from '@oxydra/types';
import type { KernelAudit } from '../services/audit/audit-log.js';
import { scheduleInfo } from './schedule-rows.js';
import type { ScheduleInfo } from './types.js';

type Stores = ControlStores;
type Standing = Pick<StoredSchedule, 'id' | 'userId' | 'runToken'>;

const when = (iso: string) => `${iso.slice(0, 16).replace('T', ' ')} UTC`;
const resume = (id: string) => `resume with \`oxydra schedule resume ${id}\``;

/** Why the user has no standing: undefined when they hold an active token or never held one. */
export async function userWithoutToken({ tokens }: Stores, user: string): Promise<string | undefined> {
  const { total, usable, lastRevokedAt } = await tokens.standing(user);
  if (total === 0 || usable > 0) return undefined;
  return lastRevokedAt !== null
    ? `the user's last token was revoked on ${when(lastRevokedAt)}`
    : `user ${user} has no active token`;
}

/** Why `schedule` may not run now (the pause reason), or undefined when it may. */
export async function standingProblem(stores: Stores, schedule: Standing): Promise<string | undefined> {
  const user = await userWithoutToken(stores, schedule.userId);
  if (user) return `paused: ${user}; ${resume(schedule.id)} after issuing a token`;
  if (schedule.runToken === null) return undefined;
  const revokedAt = (await stores.tokens.get(schedule.runToken))?.revokedAt;
  if (revokedAt == null) return undefined;
  return `paused: the token it runs under (${schedule.runToken}) was revoked on ${when(revokedAt)}; ${resume(schedule.id)}`;
}

/** The stored token an actor ("token:<id>") names, else null (the terminal, an agent, the owner's token). */
export async function runTokenOf({ tokens }: Stores, actor: string): Promise<string | null> {
  if (!actor.startsWith('token:')) return null;
  const id = actor.slice('token:'.length);
  return (await tokens.get(id)) ? id : null;
}

/** Pauses a schedule with the reason (audited as the scheduler's); call inside a group transaction. */
export async function pauseForStanding(
  stores: Stores,
  audit: KernelAudit | undefined,
  schedule: StoredSchedule,
  reason: string,
  now: number,
): Promise<ScheduleInfo> {
  const paused = { ...schedule, enabled: false, disabledReason: reason, updatedAt: now };
  await stores.schedules.update(paused);
  await audit?.recordIn(
    stores,
    'scheduler',
    'schedule_pause',
    { id: schedule.id, user: schedule.userId, name: schedule.name, reason },
    `schedule:${schedule.id}`,
  );
  return scheduleInfo(paused);
}

/**
 * Pauses the running schedules a revoked token leaves without standing: its user's, and those
 * running under it. Call inside the revocation's group transaction.
 */
export async function pauseAfterRevoke(
  stores: Stores,
  audit: KernelAudit,
  tokenId: string,
  now: number,
): Promise<ScheduleInfo[]> {
  const owner = (await stores.tokens.get(tokenId))?.userId ?? null;
  const paused: ScheduleInfo[] = [];
  for (const schedule of await stores.schedules.enabledFor(owner, tokenId)) {
    const reason = await standingProblem(stores, schedule);
    if (reason) paused.push(await pauseForStanding(stores, audit, schedule, reason, now));
  }
  return paused;
}
