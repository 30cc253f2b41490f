/**
 * `oxydra schedule add|list|show|pause|resume|rm|history|run-now`: the workspace's schedules,
 * kept in `.oxydra/kernel.db`. Changing them runs nothing and needs no running gateway (one
 * running on the workspace sees the change at its next poll); `run-now` runs one here, in the
 * foreground, and records it like any run. `oxydra scheduler run` (scheduler-run.ts) fires them.
 */
import { DEFAULT_SCHEDULE_USER, type ScheduleInfo, type ScheduleRun } from '@oxydra/kernel/scheduler';
import type { SpecRequest } from '@oxydra/kernel/spec';
import { type AgentConfig, UsageError, visibleLine } from '@oxydra/types';
import type { ConfigFlagValues } from '../config-flags.js';
import { EXIT_FAILURE, EXIT_OK } from '../exit-codes.js';
import { openMemberKernel, stderrMemberLog } from '../run/deployment-member.js';
import { agentWorkspace } from '../run/load-config.js';
import { maxAttemptsFlag } from '../run/max-attempts.js';
import { printBody, printLines } from '../run/print.js';
import { deliverScheduleResultsToChats } from '../run/schedule-chats.js';
import { isSpecRun } from '../run/spawn-flags.js';
import { onInterrupt } from '../run/terminal-run.js';
import { withWorkspaceServices } from '../run/workspace-services.js';
import { costsCheck } from './doctor-costs.js';

const CLI = { actor: 'cli' };

interface AddOptions {
  cron?: string;
  every?: string;
  at?: string;
  tz?: string;
  name?: string;
  agent?: string;
  user?: string;
  /** A chat the results go to, "<channel>:<chat id>". */
  notify?: string;
  json?: boolean;
  spec?: boolean;
  goal?: string;
  criterion?: string[];
  constraint?: string[];
  maxAttempts?: string;
}

/** The schedule's spec from the add flags (any of them makes it a spec schedule); none: plain. */
function specOf(options: AddOptions): SpecRequest | undefined {
  const spec =
    options.spec === true ||
    options.goal !== undefined ||
    options.maxAttempts !== undefined ||
    isSpecRun(options);
  if (!spec) return undefined;
  return {
    ...(options.goal !== undefined ? { goal: options.goal } : {}),
    constraints: options.constraint ?? [],
    acceptance_criteria: options.criterion ?? [],
    ...(options.maxAttempts !== undefined ? { max_attempts: maxAttemptsFlag(options.maxAttempts) } : {}),
  };
}

/** "2026-11-24 09:00 Asia/Tokyo": a time as the schedule's zone reads it. */
export function whenIn(ms: number | undefined, zone: string): string {
  if (ms === undefined) return '-';
  const parts = new Intl.DateTimeFormat('en-CA', {
    timeZone: zone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(new Date(ms));
  const get = (type: string) => parts.find((part) => part.type === type)?.value ?? '';
  return `${get('year')}-${get('month')}-${get('day')} ${get('hour')}:${get('minute')} ${zone}`;
}

function state(info: ScheduleInfo): string {
  if (!info.enabled) return 'paused';
  return info.nextRunAt === undefined ? 'done' : 'on';
}

const usd = (cost: number | undefined) => (cost === undefined ? '$?' : `$${cost.toFixed(4)}`);
const print = (value: unknown) => process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);

export async function runScheduleAdd(promptWords: string[], options: AddOptions): Promise<number> {
  const prompt = promptWords.join(' ').trim();
  if (prompt === '') {
    throw new UsageError('give the prompt: what the agent should do at each run', {
      hint: 'e.g. oxydra schedule add --cron "0 9 * * 1-5" "Summarize yesterday\'s commits"',
    });
  }
  const spec = specOf(options);
  return withWorkspaceServices(['schedules'], async ({ schedules }, config) => {
    const userId = options.user ?? DEFAULT_SCHEDULE_USER;
    // The chat is checked before the schedule exists: a refused --notify leaves nothing behind.
    const channels = options.notify !== undefined ? await import('@oxydra/channels') : undefined;
    const target =
      options.notify !== undefined
        ? await channels!.checkedScheduleNotify(agentWorkspace(), config, userId, options.notify)
        : undefined;
    const info = await schedules.schedule(
      {
        prompt,
        ...(options.name !== undefined ? { name: options.name } : {}),
        ...(options.agent !== undefined ? { agent: options.agent } : {}),
        ...(options.cron !== undefined ? { cron: options.cron } : {}),
        ...(options.every !== undefined ? { every: options.every } : {}),
        ...(options.at !== undefined ? { at: options.at } : {}),
        ...(options.tz !== undefined ? { timezone: options.tz } : {}),
        ...(spec !== undefined ? { spec } : {}),
      },
      CLI,
      userId,
    );
    if (target) await channels!.saveScheduleNotify(agentWorkspace(), info.id, target);
    const none = target?.channel === channels?.NO_CHAT;
    const notify = target && (none ? 'none' : `${target.channel}:${target.chatId}`);
    if (options.json) print({ ...info, ...(notify ? { notify } : {}) });
    else {
      printLines(
        `scheduled ${info.id} "${visibleLine(info.name)}": ${info.timing}, next ${whenIn(info.nextRunAt, info.timezone)}\n`,
      );
      if (info.directive) {
        const criteria = info.directive.acceptance_criteria.length;
        printLines(
          `each run is a spec run: ${criteria > 0 ? `${criteria} acceptance criteria` : 'criteria crystallized each run'}\n`,
        );
      }
      if (none) printLines('results go to no chat\n');
      else if (target) printLines(`results go to ${target.channel} chat ${target.chatId}\n`);
      printLines(`${await limitsLine(config)}\n`);
    }
    return EXIT_OK;
  });
}

export async function runScheduleList(options: { user?: string; json?: boolean }): Promise<number> {
  return withWorkspaceServices(['schedules'], async ({ schedules }, config) => {
    const all = await schedules.list(options.user !== undefined ? { userId: options.user } : {});
    if (options.json) print(all);
    else if (all.length === 0) {
      printLines('no schedules: add one with `oxydra schedule add --every 1h "<prompt>"`\n');
    } else {
      for (const info of all) {
        printLines(
          `${info.id}  ${state(info).padEnd(6)}  ${info.userId.padEnd(10)}  ${visibleLine(info.name).padEnd(20)}  ${info.timing.padEnd(22)}  next ${whenIn(info.nextRunAt, info.timezone)}${info.consecutiveFailures > 0 ? `  ${info.consecutiveFailures} failed in a row` : ''}${info.disabledReason ? `  (${info.disabledReason})` : ''}\n`,
        );
      }
    }
    if (!config.scheduler.enabled && !options.json && all.length > 0) {
      process.stderr.write(
        'note: [scheduler] enabled = false: `oxydra gateway` does not fire these; set it, or run `oxydra scheduler run`\n',
      );
    }
    return EXIT_OK;
  });
}

export async function runScheduleShow(idOrName: string, options: { json?: boolean }): Promise<number> {
  return withWorkspaceServices(['schedules'], async ({ schedules }) => {
    const info = await schedules.get(idOrName);
    const [last] = await schedules.history(info.id, {}, 1);
    if (options.json) {
      print({ ...info, lastRun: last ?? null });
      return EXIT_OK;
    }
    const rows: [string, string][] = [
      ['schedule', `${info.id} "${visibleLine(info.name)}"`],
      ['user', info.userId],
      ['agent', info.agent ?? 'default'],
      ['timing', `${info.timing} (${info.timezone})`],
      ['state', `${state(info)}${info.disabledReason ? ` — ${info.disabledReason}` : ''}`],
      ['next run', whenIn(info.nextRunAt, info.timezone)],
      ['failures', `${info.consecutiveFailures} in a row`],
      ['last run', last ? runLine(last, info.timezone) : '-'],
      ['created', `${whenIn(info.createdAt, info.timezone)} by ${info.createdBy}`],
      ['prompt', info.prompt],
      ...specRows(info),
    ];
    for (const [key, value] of rows) printLines(`${key.padEnd(10)}${visibleLine(value)}\n`);
    return EXIT_OK;
  });
}

/** A spec schedule's goal, constraints and criteria (`schedule show`). */
function specRows(info: ScheduleInfo): [string, string][] {
  if (info.directive === undefined) return [];
  if (info.directive === null) return [['spec', 'unreadable: delete the schedule and add it again']];
  const { goal, constraints, acceptance_criteria: criteria, max_attempts: attempts } = info.directive;
  return [
    [
      'spec',
      `${criteria.length > 0 ? `${criteria.length} criteria` : 'criteria crystallized each run'}, ${attempts ?? 'default'} attempts`,
    ],
    ...(goal !== undefined ? [['goal', goal] as [string, string]] : []),
    ...constraints.map((text): [string, string] => ['constraint', text]),
    ...criteria.map((text): [string, string] => ['criterion', text]),
  ];
}

function runLine(run: ScheduleRun, zone: string): string {
  const took = run.durationMs !== undefined ? `${(run.durationMs / 1000).toFixed(1)}s` : 'running';
  const extra =
    run.trigger === 'catch_up'
      ? ` catch-up for ${run.missed + 1} missed`
      : run.trigger === 'manual'
        ? ' manual'
        : '';
  const spec = run.spec
    ? `  spec ${run.spec.passed ? 'passed' : 'FAILED'} ${run.spec.results.filter((r) => r.passed).length}/${run.spec.results.length}`
    : '';
  return `${run.id}  ${whenIn(run.startedAt, zone)}  ${run.status.padEnd(11)}  ${took}  ${run.turns ?? 0} turns  ${usd(run.costUsd)}${extra}${spec}`;
}

export async function runSchedulePause(idOrName: string): Promise<number> {
  return withWorkspaceServices(['schedules'], async ({ schedules }) => {
    const info = await schedules.pause(idOrName, CLI);
    printLines(`paused ${info.id} "${visibleLine(info.name)}"\n`);
    return EXIT_OK;
  });
}

export async function runScheduleResume(idOrName: string): Promise<number> {
  return withWorkspaceServices(['schedules'], async ({ schedules }) => {
    const info = await schedules.resume(idOrName, CLI);
    printLines(
      `resumed ${info.id} "${visibleLine(info.name)}": next ${whenIn(info.nextRunAt, info.timezone)}\n`,
    );
    return EXIT_OK;
  });
}

export async function runScheduleRemove(idOrName: string): Promise<number> {
  return withWorkspaceServices(['schedules'], async ({ schedules }) => {
    const info = await schedules.unschedule(idOrName, CLI);
    printLines(`deleted ${info.id} "${visibleLine(info.name)}" and its run history\n`);
    return EXIT_OK;
  });
}

export async function runScheduleHistory(
  idOrName: string,
  options: { limit?: string; json?: boolean; output?: boolean },
): Promise<number> {
  const limit = options.limit !== undefined ? Number(options.limit) : 20;
  if (!Number.isInteger(limit) || limit < 1)
    throw new UsageError(`--limit: a positive whole number, got "${options.limit}"`);
  return withWorkspaceServices(['schedules'], async ({ schedules }) => {
    const info = await schedules.get(idOrName);
    const runs = await schedules.history(info.id, {}, limit);
    if (options.json) print(runs);
    else if (runs.length === 0)
      printLines(
        `"${visibleLine(info.name)}" has not run yet; next ${whenIn(info.nextRunAt, info.timezone)}\n`,
      );
    else {
      for (const run of runs) {
        printLines(`${runLine(run, info.timezone)}\n`);
        if (run.error) printLines(`    error: ${visibleLine(run.error)}\n`);
        // A run's answer is a model's text: drawn as `oxydra run` draws it.
        if (options.output && run.output) printBody(`${indent(run.output)}\n`);
      }
    }
    return EXIT_OK;
  });
}

const indent = (text: string) =>
  text
    .split('\n')
    .map((line) => `    ${line}`)
    .join('\n');

/**
 * Runs a schedule now, here, recorded as a manual run; the answer goes to stdout. On PostgreSQL
 * this process is a member of the deployment (kind `schedule`) for the run: it takes its user's
 * slot in the per-user limit of every process (waiting for it, as a scheduled run does), a dead
 * one's claim is reaped by the others, and it leaves when the run ends.
 */
export async function runScheduleRunNow(idOrName: string, flags: ConfigFlagValues): Promise<number> {
  // Lines about the run and its chats carry a chat platform's or a run's error text.
  const say = (line: string) => printLines(`${visibleLine(line)}\n`, process.stderr);
  const { kernel, close } = await openMemberKernel(
    flags,
    { workspace: agentWorkspace(), host: 'scheduler' },
    'schedule',
    stderrMemberLog(say),
  );
  const stopChats = await deliverScheduleResultsToChats(kernel, say);
  try {
    const { run, done } = await (await kernel.service('scheduler')).runNow(idOrName, CLI);
    const info = await (await kernel.service('scheduler')).get(run.scheduleId);
    printLines(
      `running ${info.id} "${visibleLine(info.name)}" as ${info.userId} (run ${run.id})\n`,
      process.stderr,
    );
    const release = onInterrupt(() => void close());
    const finished = await done.finally(release);
    if (!finished) return EXIT_FAILURE;
    if (finished.output) printBody(`${finished.output.trimEnd()}\n`);
    printLines(
      `${runLine(finished, info.timezone)}${finished.error ? `: ${visibleLine(finished.error)}` : ''}\n`,
      process.stderr,
    );
    return finished.status === 'completed' ? EXIT_OK : EXIT_FAILURE;
  } finally {
    await stopChats();
    await close();
  }
}

/**
 * What each run of a schedule may use, and whether its dollar cap can hold for the model the
 * runs use (the same rule as `oxydra doctor`'s costs line): said once, when it is added.
 */
async function limitsLine(config: AgentConfig): Promise<string> {
  const { max_turns, max_cost, run_timeout_secs } = config.scheduler;
  const limits = `each run: at most ${max_turns} model calls, ${Math.round(run_timeout_secs / 60)} min and $${max_cost} (scheduler.max_cost)`;
  const costs = await costsCheck(config);
  return costs.status === 'ok'
    ? `${limits}; ${costs.detail}`
    : `${limits}\nwarning: ${costs.detail}\n  fix: ${costs.fix}`;
}
