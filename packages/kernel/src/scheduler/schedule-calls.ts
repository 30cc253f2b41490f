/**
 * The scheduler's system calls on stored schedules (Oxios's schedule/unschedule): create, list,
 * show, change, pause, resume, delete, and the run history. Every call is scoped to one user
 * when a scope is given (an agent's tools, a user's token): another user's schedule is "not
 * found", never shown. Changes are audited. Nothing here runs an agent: the Scheduler does.
 */
import { randomBytes } from 'node:crypto';
import type { AgentConfig } from '@oxydra/types';
import { didYouMean, UsageError } from '@oxydra/types';
import type { KernelAudit } from '../services/audit/audit-log.js';
import { type KernelDb, writeTransaction } from '../store/kernel-db.js';
import { type RunRow, type ScheduleRow, scheduleInfo, scheduleRun } from './schedule-rows.js';
import { checkTimeZone, checkTiming, machineTimeZone, nextRun, type Timing, timingOf } from './timing.js';
import { runTokenOf, userWithoutToken } from './token-standing.js';
import type { ScheduleChange, ScheduleInfo, ScheduleRun, ScheduleSpec } from './types.js';

/** Who a call acts for: `userId` limits it to that user's schedules; `actor` is audited. */
export interface ScheduleScope {
  userId?: string;
  actor: string;
}

export interface ScheduleCalls {
  /** Stores a schedule for `owner` (default: the scope's user, else "default"). */
  schedule(spec: ScheduleSpec, scope: ScheduleScope, owner?: string): ScheduleInfo;
  unschedule(idOrName: string, scope: ScheduleScope): ScheduleInfo;
  list(scope?: Partial<ScheduleScope>): ScheduleInfo[];
  get(idOrName: string, scope?: Partial<ScheduleScope>): ScheduleInfo;
  update(idOrName: string, change: ScheduleChange, scope: ScheduleScope): ScheduleInfo;
  pause(idOrName: string, scope: ScheduleScope): ScheduleInfo;
  resume(idOrName: string, scope: ScheduleScope): ScheduleInfo;
  /** Finished and running runs, newest first. */
  history(idOrName: string, scope?: Partial<ScheduleScope>, limit?: number): ScheduleRun[];
  run(runId: string): ScheduleRun | undefined;
}

/** The user a schedule belongs to when nobody is named: the gateway's default user. */
export const DEFAULT_SCHEDULE_USER = 'default';

const NAME = /^[A-Za-z0-9][A-Za-z0-9 ._:-]{0,63}$/;
export const MAX_PROMPT_CHARS = 16_000;

export interface ScheduleCallsOptions {
  config: AgentConfig;
  now?: () => number;
}

export function scheduleCalls(
  db: KernelDb,
  audit: KernelAudit,
  options: ScheduleCallsOptions,
): ScheduleCalls {
  const { config } = options;
  const settings = config.scheduler;
  const now = options.now ?? Date.now;
  const defaultZone = () => settings.default_timezone ?? machineTimeZone();

  const row = (idOrName: string, scope: Partial<ScheduleScope> = {}): ScheduleRow => {
    const userFilter = scope.userId !== undefined ? ' AND user_id = ?' : '';
    const params = scope.userId !== undefined ? [scope.userId] : [];
    const byId = db.prepare(`SELECT * FROM schedules WHERE id = ?${userFilter}`).get(idOrName, ...params);
    if (byId) return byId as ScheduleRow;
    const byName = db
      .prepare(`SELECT * FROM schedules WHERE name = ?${userFilter} ORDER BY created_at`)
      .all(idOrName, ...params) as ScheduleRow[];
    if (byName.length === 1) return byName[0]!;
    if (byName.length > 1) {
      throw new UsageError(`"${idOrName}" names schedules of several users`, {
        hint: `use the id: ${byName.map((r) => r.id).join(', ')}`,
      });
    }
    const known = (
      db.prepare(`SELECT name FROM schedules WHERE 1=1${userFilter}`).all(...params) as {
        name: string;
      }[]
    ).map((r) => r.name);
    throw new UsageError(`no schedule "${idOrName.slice(0, 80)}"${didYouMean(idOrName, known)}`, {
      hint: known.length > 0 ? 'see `oxydra schedule list`' : 'there are no schedules yet',
    });
  };

  const checkAgent = (agent: string | undefined) => {
    if (agent === undefined || agent === 'default') return undefined;
    if (!Object.hasOwn(config.agents, agent)) {
      const known = Object.keys(config.agents);
      throw new UsageError(`unknown agent "${agent}"${didYouMean(agent, known)}`, {
        hint:
          known.length > 0 ? `agents: default, ${known.join(', ')}` : 'only the default agent is configured',
      });
    }
    return agent;
  };

  const checkPrompt = (prompt: string) => {
    if (prompt.trim() === '') throw new UsageError('the schedule needs a prompt: what the agent should do');
    if (prompt.length > MAX_PROMPT_CHARS) {
      throw new UsageError(`the prompt is longer than ${MAX_PROMPT_CHARS} characters`);
    }
    return prompt;
  };

  const checkName = (name: string) => {
    if (!NAME.test(name)) {
      throw new UsageError(
        `schedule name "${name.slice(0, 80)}": use 1-64 letters, digits, spaces, ".", "_", ":" or "-"`,
      );
    }
    return name;
  };

  const firstRun = (timing: Timing, zone: string, at: number) =>
    checkTiming(timing, zone, at, settings.min_interval_secs).firstRunAt;

  const record = (
    scope: ScheduleScope,
    type: string,
    info: ScheduleInfo,
    extra: Record<string, unknown> = {},
  ) =>
    audit.record(
      scope.actor,
      type,
      { id: info.id, user: info.userId, name: info.name, ...extra },
      `schedule:${info.id}`,
    );

  const calls: ScheduleCalls = {
    schedule(spec, scope, owner) {
      const userId = scope.userId ?? owner ?? DEFAULT_SCHEDULE_USER;
      const timing = timingOf(spec);
      const zone = checkTimeZone(spec.timezone ?? defaultZone());
      const agent = checkAgent(spec.agent);
      const prompt = checkPrompt(spec.prompt);
      const at = now();
      const first = firstRun(timing, zone, at);
      const id = `sch_${randomBytes(5).toString('hex')}`;
      const name = checkName(spec.name?.trim() || id);
      return writeTransaction(db, () => {
        const { count } = db
          .prepare('SELECT count(*) AS count FROM schedules WHERE user_id = ?')
          .get(userId) as {
          count: number;
        };
        if (count >= settings.max_schedules_per_user) {
          throw new UsageError(`${userId} already has ${count} schedules, the most allowed`, {
            hint: 'delete one first ([scheduler] max_schedules_per_user sets the limit)',
          });
        }
        if (db.prepare('SELECT 1 FROM schedules WHERE user_id = ? AND name = ?').get(userId, name)) {
          throw new UsageError(`${userId} already has a schedule named "${name}"`, {
            hint: 'choose another name',
          });
        }
        db.prepare(
          `INSERT INTO schedules (id, user_id, name, agent, prompt, kind, spec, timezone, enabled, next_run_at,
             anchor_at, run_token, created_by, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?, ?, ?, ?)`,
        ).run(
          id,
          userId,
          name,
          agent ?? null,
          prompt,
          timing.kind,
          timing.spec,
          zone,
          first,
          at,
          runTokenOf(db, scope.actor),
          scope.actor,
          at,
          at,
        );
        const info = scheduleInfo(db.prepare('SELECT * FROM schedules WHERE id = ?').get(id) as ScheduleRow);
        record(scope, 'schedule_create', info, {
          timing: info.timing,
          timezone: zone,
          agent: agent ?? 'default',
        });
        return info;
      });
    },

    unschedule(idOrName, scope) {
      return writeTransaction(db, () => {
        const info = scheduleInfo(row(idOrName, scope));
        db.prepare('DELETE FROM schedule_runs WHERE schedule_id = ? AND status != ?').run(info.id, 'running');
        db.prepare('DELETE FROM schedules WHERE id = ?').run(info.id);
        record(scope, 'schedule_delete', info);
        return info;
      });
    },

    list(scope = {}) {
      const rows = (
        scope.userId !== undefined
          ? db.prepare('SELECT * FROM schedules WHERE user_id = ? ORDER BY created_at').all(scope.userId)
          : db.prepare('SELECT * FROM schedules ORDER BY user_id, created_at').all()
      ) as ScheduleRow[];
      return rows.map(scheduleInfo);
    },

    get(idOrName, scope = {}) {
      return scheduleInfo(row(idOrName, scope));
    },

    update(idOrName, change, scope) {
      return writeTransaction(db, () => {
        const current = row(idOrName, scope);
        const next = { ...current };
        const at = now();
        if (change.name !== undefined) {
          next.name = checkName(change.name.trim());
          const clash = db
            .prepare('SELECT 1 FROM schedules WHERE user_id = ? AND name = ? AND id != ?')
            .get(current.user_id, next.name, current.id);
          if (clash) throw new UsageError(`${current.user_id} already has a schedule named "${next.name}"`);
        }
        if (change.prompt !== undefined) next.prompt = checkPrompt(change.prompt);
        if (change.timezone !== undefined) next.timezone = checkTimeZone(change.timezone);
        const retimed = change.cron !== undefined || change.every !== undefined || change.at !== undefined;
        if (retimed) {
          const timing = timingOf(change);
          next.kind = timing.kind;
          next.spec = timing.spec;
        }
        if (change.enabled === true && current.enabled === 0) {
          // A resume is a person vouching for the schedule again: it runs under their token from
          // now on (none from the terminal), but never for a user left without any.
          const without = userWithoutToken(db, current.user_id);
          if (without) {
            throw new UsageError(`cannot resume ${current.id} "${current.name}": ${without}`, {
              hint: `issue one with \`oxydra token add --user ${current.user_id}\`, then resume`,
            });
          }
          next.run_token = runTokenOf(db, scope.actor);
        }
        if (change.enabled !== undefined) {
          next.enabled = change.enabled ? 1 : 0;
          next.disabled_reason = change.enabled ? null : `paused by ${scope.actor}`;
          if (change.enabled) next.consecutive_failures = 0;
        }
        if (retimed || change.timezone !== undefined || (change.enabled === true && current.enabled === 0)) {
          // A new rhythm, or a resume, starts from now: runs missed while paused are not made up.
          next.anchor_at = at;
          next.next_run_at = firstRun({ kind: next.kind, spec: next.spec }, next.timezone, at);
        }
        db.prepare(
          `UPDATE schedules SET name = ?, prompt = ?, kind = ?, spec = ?, timezone = ?, enabled = ?, next_run_at = ?,
             anchor_at = ?, consecutive_failures = ?, disabled_reason = ?, run_token = ?, updated_at = ? WHERE id = ?`,
        ).run(
          next.name,
          next.prompt,
          next.kind,
          next.spec,
          next.timezone,
          next.enabled,
          next.next_run_at,
          next.anchor_at,
          next.consecutive_failures,
          next.disabled_reason,
          next.run_token,
          at,
          current.id,
        );
        const info = scheduleInfo(
          db.prepare('SELECT * FROM schedules WHERE id = ?').get(current.id) as ScheduleRow,
        );
        const changed = Object.keys(change).filter(
          (key) => change[key as keyof ScheduleChange] !== undefined,
        );
        const type =
          changed.length === 1 && change.enabled !== undefined
            ? change.enabled
              ? 'schedule_resume'
              : 'schedule_pause'
            : 'schedule_update';
        record(scope, type, info, { changed });
        return info;
      });
    },

    pause(idOrName, scope) {
      return calls.update(idOrName, { enabled: false }, scope);
    },

    resume(idOrName, scope) {
      return calls.update(idOrName, { enabled: true }, scope);
    },

    history(idOrName, scope = {}, limit = 100) {
      const info = calls.get(idOrName, scope);
      const rows = db
        .prepare(
          'SELECT * FROM schedule_runs WHERE schedule_id = ? ORDER BY started_at DESC, rowid DESC LIMIT ?',
        )
        .all(info.id, Math.max(1, Math.min(limit, 10_000))) as RunRow[];
      return rows.map(scheduleRun);
    },

    run(runId) {
      const found = db.prepare('SELECT * FROM schedule_runs WHERE id = ?').get(runId) as RunRow | undefined;
      return found ? scheduleRun(found) : undefined;
    },
  };
  return calls;
}

/** When a schedule runs next after `afterMs` (undefined: never again). */
export function nextRunOf(row: ScheduleRow, afterMs: number): number | undefined {
  return nextRun({ kind: row.kind, spec: row.spec }, row.timezone, afterMs, Number(row.anchor_at));
}
