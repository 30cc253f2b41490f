/**
 * The scheduler's system calls on stored schedules (Oxios's schedule/unschedule): create, list,
 * show, change, pause, resume, delete, and the run history. Every call is scoped to one user
 * when a scope is given (an agent's tools, a user's token): another user's schedule is "not
 * found", never shown. Changes are audited. Nothing here runs an agent: the Scheduler does.
 */
import { randomBytes } from 'node:crypto';
import type {
  AgentConfig,
  ControlStoreGroup,
  ControlStores,
  ScheduleStore,
  StoredSchedule,
} from '@oxydra/types';
import { didYouMean, UsageError, withoutNul } from '@oxydra/types';
import type { KernelAudit } from '../services/audit/audit-log.js';
import { specFields, specInput } from '../spec/request.js';
import { scheduleInfo, scheduleRun, timingOfStored } from './schedule-rows.js';
import { checkTimeZone, checkTiming, machineTimeZone, nextRun, type Timing, timingOf } from './timing.js';
import { runTokenOf, userWithoutToken } from './token-standing.js';
import type { ScheduleChange, ScheduleInfo, ScheduleRun, ScheduleSpec } from './types.js';

/** Who a call acts for: `userId` limits it to that user's schedules; `actor` is audited. */
export interface ScheduleScope {
  userId?: string;
  actor: string;
  /**
   * An agent's own tools: the agent they act for ("default" for the default one). A schedule that
   * runs another agent is refused to them, so an agent cannot hand its work to an agent with more
   * tools or permissions by rewriting that agent's schedule (it may not create one for it either).
   */
  agent?: string;
}

export interface ScheduleCalls {
  /** Stores a schedule for `owner` (default: the scope's user, else "default"). */
  schedule(spec: ScheduleSpec, scope: ScheduleScope, owner?: string): Promise<ScheduleInfo>;
  unschedule(idOrName: string, scope: ScheduleScope): Promise<ScheduleInfo>;
  list(scope?: Partial<ScheduleScope>): Promise<ScheduleInfo[]>;
  get(idOrName: string, scope?: Partial<ScheduleScope>): Promise<ScheduleInfo>;
  update(idOrName: string, change: ScheduleChange, scope: ScheduleScope): Promise<ScheduleInfo>;
  pause(idOrName: string, scope: ScheduleScope): Promise<ScheduleInfo>;
  resume(idOrName: string, scope: ScheduleScope): Promise<ScheduleInfo>;
  /** Finished and running runs, newest first. */
  history(idOrName: string, scope?: Partial<ScheduleScope>, limit?: number): Promise<ScheduleRun[]>;
  run(runId: string): Promise<ScheduleRun | undefined>;
}

/** The user a schedule belongs to when nobody is named: the gateway's default user. */
export const DEFAULT_SCHEDULE_USER = 'default';

const NAME = /^[A-Za-z0-9][A-Za-z0-9 ._:-]{0,63}$/;
const MAX_PROMPT_CHARS = 16_000;

export interface ScheduleCallsOptions {
  config: AgentConfig;
  now?: () => number;
  /** Where schedules are kept: the kernel database's control stores, or a host's (PostgreSQL's). */
  stores: ControlStoreGroup;
}

export function scheduleCalls(audit: KernelAudit, options: ScheduleCallsOptions): ScheduleCalls {
  const { config, stores } = options;
  const settings = config.scheduler;
  const now = options.now ?? Date.now;
  const defaultZone = () => settings.default_timezone ?? machineTimeZone();

  /** The schedule `idOrName` names (in `schedules`: a transaction's, when inside one). */
  const find = async (
    idOrName: string,
    scope: Partial<ScheduleScope> = {},
    schedules: ScheduleStore = stores.schedules,
  ): Promise<StoredSchedule> => {
    const byId = await schedules.get(idOrName, scope.userId);
    if (byId) return ownAgents(byId, scope);
    const byName = await schedules.named(idOrName, scope.userId);
    if (byName.length === 1) return ownAgents(byName[0]!, scope);
    if (byName.length > 1) {
      throw new UsageError(`"${idOrName}" names schedules of several users`, {
        hint: `use the id: ${byName.map((found) => found.id).join(', ')}`,
      });
    }
    const known = (await schedules.list(scope.userId)).map((found) => found.name);
    throw new UsageError(`no schedule "${idOrName.slice(0, 80)}"${didYouMean(idOrName, known)}`, {
      hint: known.length > 0 ? 'see `oxydra schedule list`' : 'there are no schedules yet',
    });
  };

  const ownAgents = (found: StoredSchedule, scope: Partial<ScheduleScope>): StoredSchedule => {
    const runs = found.agent ?? 'default';
    if (scope.agent !== undefined && runs !== scope.agent) {
      throw new UsageError(`schedule ${found.id} "${found.name}" runs the agent ${runs}, not this one`, {
        hint: 'an agent changes only the schedules it runs; its user may change this one with `oxydra schedule`',
      });
    }
    return found;
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

  // Without NUL characters, which PostgreSQL cannot store (withoutNul): the same prompt on both stores.
  const checkPrompt = (given: string) => {
    const prompt = withoutNul(given);
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
    tx: ControlStores,
    scope: ScheduleScope,
    type: string,
    info: ScheduleInfo,
    extra: Record<string, unknown> = {},
  ) =>
    audit.recordIn(
      tx,
      scope.actor,
      type,
      { id: info.id, user: info.userId, name: info.name, ...extra },
      `schedule:${info.id}`,
    );

  const calls: ScheduleCalls = {
    async schedule(spec, scope, owner) {
      const userId = scope.userId ?? owner ?? DEFAULT_SCHEDULE_USER;
      const timing = timingOf(spec);
      const zone = checkTimeZone(spec.timezone ?? defaultZone());
      const agent = checkAgent(spec.agent);
      const prompt = checkPrompt(spec.prompt);
      // Checked now, not at the first run: a malformed criterion, or a command nobody may approve.
      if (spec.spec !== undefined) specInput(prompt, spec.spec, config.tools.approval);
      const at = now();
      const first = firstRun(timing, zone, at);
      const id = `sch_${randomBytes(5).toString('hex')}`;
      const name = checkName(spec.name?.trim() || id);
      return stores.transaction(async (tx) => {
        const count = (await tx.schedules.list(userId)).length;
        if (count >= settings.max_schedules_per_user) {
          throw new UsageError(`${userId} already has ${count} schedules, the most allowed`, {
            hint: 'delete one first ([scheduler] max_schedules_per_user sets the limit)',
          });
        }
        if ((await tx.schedules.named(name, userId)).length > 0) {
          throw new UsageError(`${userId} already has a schedule named "${name}"`, {
            hint: 'choose another name',
          });
        }
        const stored: StoredSchedule = {
          id,
          userId,
          name,
          agent: agent ?? null,
          prompt,
          kind: timing.kind,
          spec: timing.spec,
          timezone: zone,
          enabled: true,
          nextRunAt: first,
          anchorAt: at,
          consecutiveFailures: 0,
          disabledReason: null,
          runToken: await runTokenOf(tx, scope.actor),
          directive: spec.spec !== undefined ? JSON.stringify(specFields(spec.spec)) : null,
          createdBy: scope.actor,
          createdAt: at,
          updatedAt: at,
        };
        await tx.schedules.insert(stored);
        const info = scheduleInfo(stored);
        await record(tx, scope, 'schedule_create', info, {
          timing: info.timing,
          timezone: zone,
          agent: agent ?? 'default',
          ...(spec.spec !== undefined ? { spec: true } : {}),
        });
        return info;
      });
    },

    unschedule(idOrName, scope) {
      return stores.transaction(async (tx) => {
        const info = scheduleInfo(await find(idOrName, scope, tx.schedules));
        await tx.schedules.delete(info.id);
        await record(tx, scope, 'schedule_delete', info);
        return info;
      });
    },

    async list(scope = {}) {
      return (await stores.schedules.list(scope.userId)).map(scheduleInfo);
    },

    async get(idOrName, scope = {}) {
      return scheduleInfo(await find(idOrName, scope));
    },

    update(idOrName, change, scope) {
      return stores.transaction(async (tx) => {
        const current = await find(idOrName, scope, tx.schedules);
        const next = { ...current };
        const at = now();
        if (change.name !== undefined) {
          next.name = checkName(change.name.trim());
          const clash = (await tx.schedules.named(next.name, current.userId)).some(
            (found) => found.id !== current.id,
          );
          if (clash) throw new UsageError(`${current.userId} already has a schedule named "${next.name}"`);
        }
        if (change.prompt !== undefined) next.prompt = checkPrompt(change.prompt);
        if (change.timezone !== undefined) next.timezone = checkTimeZone(change.timezone);
        const retimed = change.cron !== undefined || change.every !== undefined || change.at !== undefined;
        if (retimed) {
          const timing = timingOf(change);
          next.kind = timing.kind;
          next.spec = timing.spec;
        }
        const resumed = change.enabled === true && !current.enabled;
        if (resumed) {
          // A resume is a person vouching for the schedule again: it runs under their token from
          // now on (none from the terminal), but never for a user left without any.
          const without = await userWithoutToken(tx, current.userId);
          if (without) {
            throw new UsageError(`cannot resume ${current.id} "${current.name}": ${without}`, {
              hint: `issue one with \`oxydra token add --user ${current.userId}\`, then resume`,
            });
          }
          next.runToken = await runTokenOf(tx, scope.actor);
        }
        if (change.enabled !== undefined) {
          next.enabled = change.enabled;
          next.disabledReason = change.enabled ? null : `paused by ${scope.actor}`;
          if (change.enabled) next.consecutiveFailures = 0;
        }
        if (retimed || change.timezone !== undefined || resumed) {
          // A new rhythm, or a resume, starts from now: runs missed while paused are not made up.
          next.anchorAt = at;
          next.nextRunAt = firstRun(timingOfStored(next), next.timezone, at);
        }
        next.updatedAt = at;
        await tx.schedules.update(next);
        const info = scheduleInfo(next);
        const changed = Object.keys(change).filter(
          (key) => change[key as keyof ScheduleChange] !== undefined,
        );
        const type =
          changed.length === 1 && change.enabled !== undefined
            ? change.enabled
              ? 'schedule_resume'
              : 'schedule_pause'
            : 'schedule_update';
        await record(tx, scope, type, info, { changed });
        return info;
      });
    },

    pause(idOrName, scope) {
      return calls.update(idOrName, { enabled: false }, scope);
    },

    resume(idOrName, scope) {
      return calls.update(idOrName, { enabled: true }, scope);
    },

    async history(idOrName, scope = {}, limit = 100) {
      const info = await calls.get(idOrName, scope);
      return (await stores.schedules.history(info.id, Math.max(1, Math.min(limit, 10_000)))).map(scheduleRun);
    },

    async run(runId) {
      const found = await stores.schedules.getRun(runId);
      return found ? scheduleRun(found) : undefined;
    },
  };
  return calls;
}

/** When a schedule runs next after `afterMs` (undefined: never again). */
export function nextRunOf(schedule: StoredSchedule, afterMs: number): number | undefined {
  return nextRun(timingOfStored(schedule), schedule.timezone, afterMs, schedule.anchorAt);
}
