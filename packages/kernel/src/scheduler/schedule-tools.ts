/**
 * schedule_create, schedule_list, schedule_update and schedule_delete: an agent schedules work
 * for its own user, run later by the same agent. The model sets the prompt and the timing only:
 * the operator's limits ([scheduler] max_turns, max_cost, minimum interval, schedules per user)
 * are not parameters, so no schedule a model writes can raise them. Creating or changing one
 * is approved like a privileged call (approval = "ask"); pausing, listing and deleting are not.
 * Offered when [scheduler] enabled = true.
 */
import { isOxydraError, type Tool, type ToolContext, type ToolResult } from '@oxydra/types';
import { DEFAULT_SCHEDULE_USER, type ScheduleCalls, type ScheduleScope } from './schedule-calls.js';
import type { ScheduleInfo } from './types.js';

export const SCHEDULE_TOOLS = [
  'schedule_create',
  'schedule_list',
  'schedule_update',
  'schedule_delete',
] as const;

export interface ScheduleToolsOptions {
  calls: ScheduleCalls;
  /** The [agents.<name>] the calling agent runs (its schedules run the same agent). */
  agentNameOf(agentId: string | undefined): string | undefined;
}

const TIMING_PROPERTIES = {
  cron: { type: 'string', description: '5 fields, e.g. "0 9 * * 1-5"' },
  every: { type: 'string', description: 'e.g. "30m", "2h", "1d"' },
  at: { type: 'string', description: 'one time, ISO 8601, e.g. "2026-12-01T09:00"' },
  timezone: { type: 'string', description: 'IANA, e.g. "Europe/Paris"; default: the operator\'s' },
} as const;

const ID = { type: 'string', minLength: 1, description: 'id (sch_...) or name' } as const;

/** The calling agent's user, and the agent itself: it changes only the schedules it runs. */
function scopeOf(context: ToolContext, options: ScheduleToolsOptions): ScheduleScope {
  const userId = context.userId ?? DEFAULT_SCHEDULE_USER;
  const agent = options.agentNameOf(context.agentId) ?? 'default';
  return { userId, actor: `agent:${context.agentId ?? 'unknown'}`, agent };
}

function line(info: ScheduleInfo): string {
  const next =
    info.nextRunAt !== undefined
      ? new Date(info.nextRunAt).toISOString()
      : info.enabled
        ? 'never again'
        : 'paused';
  return `${info.id} "${info.name}": ${info.timing} (${info.timezone}), next ${next}${info.disabledReason ? ` — ${info.disabledReason}` : ''}\n  prompt: ${info.prompt.slice(0, 200)}`;
}

/** The named arguments the model gave as strings (the tool's schema allows no other type). */
function textArgs<K extends string>(
  args: Record<string, unknown>,
  keys: readonly K[],
): Partial<Record<K, string>> {
  const picked: Partial<Record<K, string>> = {};
  for (const key of keys) if (typeof args[key] === 'string') picked[key] = args[key];
  return picked;
}

/** Runs a call; a refusal (a limit, a bad cron) goes back to the model as its error text. */
async function attempt(fn: () => Promise<string>): Promise<ToolResult> {
  try {
    return { content: await fn() };
  } catch (error) {
    if (!isOxydraError(error)) throw error;
    return { content: `${error.message}${error.hint ? ` (${error.hint})` : ''}`, isError: true };
  }
}

export function scheduleTools(options: ScheduleToolsOptions): Tool[] {
  const { calls } = options;
  return [
    {
      name: 'schedule_create',
      description:
        "Schedule a task this agent runs later on its own for this user, who is notified of each result: a prompt with everything the run needs (nobody will be there to answer) and exactly one of cron, every or at. Needs the user's approval.",
      parameters: {
        type: 'object',
        properties: {
          prompt: { type: 'string', minLength: 1 },
          name: { type: 'string' },
          ...TIMING_PROPERTIES,
        },
        required: ['prompt'],
        additionalProperties: false,
      },
      safety: 'side_effecting',
      // Work that outlives the conversation (and could repeat what a hostile page asked for) is
      // a person's decision: asked like a privileged call under approval = "ask".
      needsApproval: () => true,
      async execute(args, context) {
        return attempt(async () => {
          const agent = options.agentNameOf(context.agentId);
          const info = await calls.schedule(
            {
              ...textArgs(args, ['name', 'cron', 'every', 'at', 'timezone']),
              prompt: String(args.prompt),
              ...(agent !== undefined ? { agent } : {}),
            },
            scopeOf(context, options),
          );
          return `scheduled ${line(info)}`;
        });
      },
    },
    {
      name: 'schedule_list',
      description: "List this user's schedules: id, name, timing, next run, prompt.",
      parameters: { type: 'object', properties: {}, additionalProperties: false },
      safety: 'read_only',
      async execute(_args, context) {
        const list = await calls.list(scopeOf(context, options));
        return { content: list.length === 0 ? 'no schedules' : list.map(line).join('\n') };
      },
    },
    {
      name: 'schedule_update',
      description:
        "Change one of this user's schedules: prompt, name, timing (one of cron, every, at), time zone, or pause/resume it (enabled). Changes other than pausing need the user's approval.",
      parameters: {
        type: 'object',
        properties: {
          schedule: ID,
          prompt: { type: 'string', minLength: 1 },
          name: { type: 'string' },
          enabled: { type: 'boolean' },
          ...TIMING_PROPERTIES,
        },
        required: ['schedule'],
        additionalProperties: false,
      },
      safety: 'side_effecting',
      // Pausing needs nobody; a new prompt, timing or a resume is new standing work.
      needsApproval: (args) =>
        Object.keys(args).some((key) => key !== 'schedule' && !(key === 'enabled' && args.enabled === false)),
      async execute(args, context) {
        return attempt(async () => {
          const info = await calls.update(
            String(args.schedule),
            {
              ...textArgs(args, ['prompt', 'name', 'cron', 'every', 'at', 'timezone']),
              ...(typeof args.enabled === 'boolean' ? { enabled: args.enabled } : {}),
            },
            scopeOf(context, options),
          );
          return `updated ${line(info)}`;
        });
      },
    },
    {
      name: 'schedule_delete',
      description: "Delete one of this user's schedules and its run history.",
      parameters: {
        type: 'object',
        properties: { schedule: ID },
        required: ['schedule'],
        additionalProperties: false,
      },
      safety: 'side_effecting',
      async execute(args, context) {
        return attempt(async () => {
          const info = await calls.unschedule(String(args.schedule), scopeOf(context, options));
          return `deleted ${info.id} "${info.name}"`;
        });
      },
    },
  ];
}
