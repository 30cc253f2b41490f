/**
 * When a schedule runs: a cron expression (croner: 5 fields, or 6 with seconds), a fixed
 * interval ("every 15m") or one time ("at 2026-12-01T09:00"), each in an IANA time zone. A cron
 * expression and a time without an offset are read in that zone, daylight saving included.
 */
import { UsageError } from '@oxydra/types';
import { isTimeZone } from '@oxydra/types/config-full';
import { Cron } from 'croner';

export type TimingKind = 'cron' | 'every' | 'once';

export interface Timing {
  kind: TimingKind;
  /** The cron expression, the interval in seconds, or the time as given. */
  spec: string;
}

/** What a person or a model writes: exactly one of the three. */
export interface TimingInput {
  cron?: string | undefined;
  every?: string | undefined;
  at?: string | undefined;
}

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400, w: 604_800 };
const DURATION = /^(?:\d+[smhdw])+$/;
const MAX_SPEC_CHARS = 200;

/** "90s", "15m", "1h30m", "2d": seconds. */
export function parseDuration(text: string): number {
  const compact = text.trim().toLowerCase().replace(/\s+/g, '');
  if (!DURATION.test(compact)) {
    throw new UsageError(`"${text.slice(0, 40)}" is not a duration`, {
      hint: 'write a number and a unit: 90s, 15m, 1h30m, 2d, 1w',
    });
  }
  let seconds = 0;
  for (const [, amount, unit] of compact.matchAll(/(\d+)([smhdw])/g)) {
    seconds += Number(amount) * UNIT_SECONDS[unit!]!;
  }
  if (!Number.isSafeInteger(seconds) || seconds <= 0) {
    throw new UsageError(`"${text.slice(0, 40)}" is not a usable duration`, { hint: 'e.g. 15m or 1h' });
  }
  return seconds;
}

export function timingOf(input: TimingInput): Timing {
  const given = (['cron', 'every', 'at'] as const).filter((key) => input[key] !== undefined);
  if (given.length !== 1) {
    throw new UsageError(
      given.length === 0
        ? 'say when it runs: one of cron, every or at (--cron, --every, --at)'
        : `give one of cron, every and at, not ${given.join(' and ')}`,
      { hint: 'cron "0 9 * * 1-5", every "30m", or at "2026-12-01T09:00"' },
    );
  }
  const key = given[0]!;
  const text = String(input[key]).trim();
  if (text === '' || text.length > MAX_SPEC_CHARS) {
    throw new UsageError(`${key}: give 1-${MAX_SPEC_CHARS} characters`);
  }
  if (key === 'every') return { kind: 'every', spec: String(parseDuration(text)) };
  return { kind: key === 'cron' ? 'cron' : 'once', spec: text };
}

export function checkTimeZone(zone: string): string {
  if (!isTimeZone(zone)) {
    throw new UsageError(`unknown time zone "${zone.slice(0, 60)}"`, {
      hint: 'use an IANA name such as "Europe/Paris", "America/New_York" or "UTC"',
    });
  }
  return zone;
}

/** This machine's zone: the default when [scheduler] default_timezone is unset. */
export function machineTimeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
}

function cronOf(timing: Timing, zone: string): Cron {
  try {
    return new Cron(timing.spec, {
      timezone: zone,
      paused: true,
      mode: timing.kind === 'cron' ? '5-or-6-parts' : 'auto',
    });
  } catch (error) {
    // croner reads a time that is not ISO as a pattern: its words (parts, fields) fit cron only.
    const problem =
      timing.kind === 'cron'
        ? `invalid cron expression "${timing.spec}": ${(error as Error).message.replace(/^\w+: /, '')}`
        : `invalid time "${timing.spec}": not an ISO date and time`;
    throw new UsageError(problem, {
      hint:
        timing.kind === 'cron'
          ? 'five fields: minute hour day-of-month month day-of-week, e.g. "0 9 * * 1-5"'
          : "an ISO time such as 2026-12-01T09:00 (in the schedule's zone) or 2026-12-01T09:00Z",
    });
  }
}

/**
 * The first run strictly after `afterMs`, or undefined when there is none (a one-time schedule
 * that has passed, a cron date that never comes). An interval counts from `anchorMs`, so runs
 * keep their rhythm however late a poll is.
 */
export function nextRun(timing: Timing, zone: string, afterMs: number, anchorMs: number): number | undefined {
  if (timing.kind === 'every') {
    const step = Number(timing.spec) * 1000;
    if (afterMs < anchorMs) return anchorMs;
    return anchorMs + (Math.floor((afterMs - anchorMs) / step) + 1) * step;
  }
  const next = cronOf(timing, zone).nextRun(new Date(afterMs));
  return next ? next.getTime() : undefined;
}

/** How many runs fell in (fromMs, toMs]: the ones a catch-up run stands for. At most `cap`. */
export function runsBetween(
  timing: Timing,
  zone: string,
  fromMs: number,
  toMs: number,
  anchorMs: number,
  cap = 1000,
): number {
  let count = 0;
  for (let at = nextRun(timing, zone, fromMs, anchorMs); at !== undefined && at <= toMs; ) {
    if (++count >= cap) break;
    at = nextRun(timing, zone, at, anchorMs);
  }
  return count;
}

/**
 * Checks a timing before it is stored: it parses, it will run at least once after `nowMs`, and
 * its runs are at least `minIntervalSecs` apart (measured over the next runs of a cron).
 */
export function checkTiming(
  timing: Timing,
  zone: string,
  nowMs: number,
  minIntervalSecs: number,
): { firstRunAt: number } {
  checkTimeZone(zone);
  if (timing.kind === 'every') {
    if (Number(timing.spec) < minIntervalSecs) {
      throw new UsageError(`runs every ${timing.spec}s, more often than the minimum of ${minIntervalSecs}s`, {
        hint: '[scheduler] min_interval_secs sets the minimum',
      });
    }
    return { firstRunAt: nowMs + Number(timing.spec) * 1000 };
  }
  const cron = cronOf(timing, zone);
  const first = cron.nextRun(new Date(nowMs));
  if (!first) {
    throw new UsageError(
      timing.kind === 'once'
        ? `${timing.spec} is in the past (in ${zone})`
        : `the cron expression "${timing.spec}" never matches a date`,
      { hint: timing.kind === 'once' ? 'give a time in the future' : 'check its day and month fields' },
    );
  }
  if (timing.kind === 'cron') {
    const runs = cron.nextRuns(8, new Date(nowMs)).map((date) => date.getTime());
    for (let i = 1; i < runs.length; i++) {
      const gap = (runs[i]! - runs[i - 1]!) / 1000;
      if (gap < minIntervalSecs) {
        throw new UsageError(
          `"${timing.spec}" runs ${gap}s apart, more often than the minimum of ${minIntervalSecs}s`,
          { hint: '[scheduler] min_interval_secs sets the minimum' },
        );
      }
    }
  }
  return { firstRunAt: first.getTime() };
}

/** "cron 0 9 * * 1-5", "every 15m", "once 2026-12-01T09:00": for lists and the model. */
export function describeTiming(timing: Timing): string {
  if (timing.kind !== 'every') return `${timing.kind} ${timing.spec}`;
  let left = Number(timing.spec);
  const parts: string[] = [];
  for (const [unit, size] of [
    ['d', 86_400],
    ['h', 3600],
    ['m', 60],
    ['s', 1],
  ] as const) {
    if (left >= size) {
      parts.push(`${Math.floor(left / size)}${unit}`);
      left %= size;
    }
  }
  return `every ${parts.join('')}`;
}
