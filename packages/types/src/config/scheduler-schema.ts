/**
 * `[scheduler]`: agents that run on their own (Oxydra's scheduler keys and defaults). The
 * per-run limits here are the operator's: no schedule, and no model creating one, can raise them.
 */
import { z } from 'zod';
import { once } from '../once.js';

/** Whether `zone` is an IANA time zone this Node.js knows (Intl throws a RangeError otherwise). */
export function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** A chat results go to: `<channel>:<chat id>[:<thread>]` (`schedule add --notify` takes the same). */
export const NOTIFY_TARGET = /^([A-Za-z0-9][A-Za-z0-9_-]{0,63}):([^:\s]{1,128})(?::([^:\s]{1,64}))?$/;

/**
 * `[scheduler] notify` names an enabled `[channels.*]` section, a built-in platform's or a
 * plugin's `[channels.plugin.<name>]` (the format is the schema's): an issue on the key
 * otherwise, naming the fix.
 */
export function schedulerNotifyProblem(
  notify: string | undefined,
  builtin: Record<string, { enabled: boolean }>,
  plugin: Record<string, { enabled: boolean }>,
): string | undefined {
  const channel = notify !== undefined ? NOTIFY_TARGET.exec(notify)?.[1] : undefined;
  if (channel === undefined) return undefined;
  const inPlugins = Object.hasOwn(plugin, channel);
  const section = inPlugins
    ? plugin[channel]
    : Object.hasOwn(builtin, channel)
      ? builtin[channel]
      : undefined;
  if (section === undefined) {
    const names = [...Object.keys(builtin), ...Object.keys(plugin)];
    return `no channel "${channel}"; use one of ${names.join(', ')} (e.g. "telegram:123456789")`;
  }
  if (!section.enabled) {
    return `[channels.${inPlugins ? 'plugin.' : ''}${channel}] is not enabled; set enabled = true there, or remove notify`;
  }
  return undefined;
}

// What an absent [scheduler] parses to is also in absent-sections.ts, which a configuration
// without the section gets (a test holds the two equal): change a default in both.
export const schedulerSchema = once(() =>
  z.strictObject({
    enabled: z
      .boolean()
      .default(false)
      .describe('`oxydra gateway` fires due schedules and agents get the schedule_* tools'),
    poll_interval_secs: z
      .int()
      .min(1)
      .max(3600)
      .default(15)
      .describe('how often due schedules are looked for'),
    max_concurrent: z.int().min(1).max(64).default(2).describe('scheduled runs at once, across processes'),
    max_schedules_per_user: z.int().min(1).default(50).describe('schedules each user may have'),
    max_turns: z.int().min(1).default(10).describe('model calls per scheduled run (operator limit)'),
    max_cost: z.number().positive().default(0.5).describe('US dollars per scheduled run (operator limit)'),
    run_timeout_secs: z
      .int()
      .min(1)
      .default(1800)
      .describe('a scheduled run still going after this is stopped'),
    max_run_history: z.int().min(1).max(10_000).default(20).describe('finished runs kept per schedule'),
    min_interval_secs: z
      .int()
      .min(1)
      .default(60)
      .describe('shortest time between two runs of one schedule (cron or interval)'),
    default_timezone: z
      .string()
      .refine(isTimeZone, 'not an IANA time zone this Node.js knows (e.g. "Europe/Paris", "UTC")')
      .optional()
      .describe("IANA zone for schedules that name none; default: this machine's zone"),
    auto_disable_after_failures: z
      .int()
      .min(0)
      .default(5)
      .describe('consecutive failed runs that pause a schedule; 0: never'),
    notify_after_failures: z
      .int()
      .min(0)
      .default(3)
      .describe('consecutive failed runs after which each failure is announced as an alert; 0: never'),
    notify: z
      .string()
      .regex(
        NOTIFY_TARGET,
        'not "<channel>:<chat id>" (e.g. "telegram:123456789"); fix the value or remove notify',
      )
      .optional()
      .describe(
        'the chat ("<channel>:<chat id>") every schedule\'s results and alerts go to, unless it names its own (`schedule add --notify`); see docs/channels.md',
      ),
  }),
);
