/**
 * What leaves the Slack adapter, free of its secrets: the Web API's errors sorted into "retry"
 * (a 429 with Slack's Retry-After, a network error, a 5xx) and "refused" (anything else), by the
 * rules every adapter shares (../platform-errors.ts), and
 * Bolt's and the Socket Mode client's log lines, quiet below warnings, each scrubbed.
 */
import { ChannelRetryableError } from '@oxydra/types';
import type { Logger } from '@slack/bolt';
import {
  byStatus,
  errorText,
  PlatformError,
  retryAfterMs,
  type Scrub,
  scrubbed,
  scrubber,
} from '../platform-errors.js';

/** The Web API's errors (by their documented `code`), sorted into retry or not, scrubbed. */
export function classify(error: unknown, scrub: Scrub): Error {
  const e = error as {
    code?: string;
    message?: string;
    retryAfter?: number;
    statusCode?: number;
    data?: { error?: string };
  };
  const refused = (message: string) => new PlatformError('Slack', message);
  switch (e?.code) {
    case 'slack_webapi_rate_limited_error':
      return new ChannelRetryableError('Slack: rate limited (429)', retryAfterMs(e.retryAfter, 1));
    case 'slack_webapi_request_error':
      return new ChannelRetryableError(scrub(`Slack unreachable: ${e.message}`));
    case 'slack_webapi_http_error':
      // (A 429 comes as rate_limited_error above: the client rejects rate-limited calls.)
      return byStatus(e.statusCode ?? 500, `Slack: HTTP ${e.statusCode}`, refused);
    case 'slack_webapi_platform_error':
      return e.data?.error === 'ratelimited'
        ? new ChannelRetryableError('Slack: ratelimited', 1000)
        : refused(scrub(`Slack: ${e.data?.error ?? 'refused'}`));
  }
  return scrubbed(error, scrub);
}

/** Every secret of the adapter, and any other Slack token that shows up (a refreshed one), cut out. */
export function slackScrubber(secrets: readonly (string | undefined)[]): Scrub {
  return scrubber(secrets, '<secret>', {
    pattern: /xox[abposr]-[A-Za-z0-9-]+|xapp-[A-Za-z0-9-]+/g,
    placeholder: '<token>',
  });
}

/** Bolt's Logger, quiet below warnings, every line scrubbed of the tokens. */
export function scrubbingLogger(scrub: Scrub, log: (line: string) => void): Logger {
  let level = 'warn';
  const line = (parts: unknown[]) => scrub(parts.map(textOf).join(' '));
  return {
    debug: () => {},
    info: () => {},
    warn: (...parts: unknown[]) => log(line(parts)),
    error: (...parts: unknown[]) => log(line(parts)),
    setLevel: (next) => {
      level = next;
    },
    getLevel: () => level as ReturnType<Logger['getLevel']>,
    setName: () => {},
  };
}

function textOf(part: unknown): string {
  if (part instanceof Error || typeof part === 'string') return errorText(part);
  try {
    return JSON.stringify(part);
  } catch {
    return String(part);
  }
}
