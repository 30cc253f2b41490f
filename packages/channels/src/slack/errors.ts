/**
 * What leaves the Slack adapter, free of its secrets: the Web API's errors sorted into "retry"
 * (a 429 with Slack's Retry-After, a network error, a 5xx) and "refused" (anything else), and
 * Bolt's and the Socket Mode client's log lines, quiet below warnings, each scrubbed.
 */
import { ChannelRetryableError } from '@oxydra/types';
import type { Logger } from '@slack/bolt';

/** A refusal from Slack that retrying will not change (channel_not_found, invalid_auth...). */
class SlackError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SlackError';
  }
}

/** The Web API's errors (by their documented `code`), sorted into retry or not, scrubbed. */
export function classify(error: unknown, scrub: (text: string) => string): Error {
  const e = error as {
    code?: string;
    message?: string;
    retryAfter?: number;
    statusCode?: number;
    data?: { error?: string };
  };
  switch (e?.code) {
    case 'slack_webapi_rate_limited_error':
      return new ChannelRetryableError('Slack: rate limited (429)', (e.retryAfter ?? 1) * 1000);
    case 'slack_webapi_request_error':
      return new ChannelRetryableError(scrub(`Slack unreachable: ${e.message}`));
    case 'slack_webapi_http_error':
      return (e.statusCode ?? 500) >= 500
        ? new ChannelRetryableError(`Slack: HTTP ${e.statusCode}`)
        : new SlackError(`Slack: HTTP ${e.statusCode}`);
    case 'slack_webapi_platform_error':
      return e.data?.error === 'ratelimited'
        ? new ChannelRetryableError('Slack: ratelimited', 1000)
        : new SlackError(scrub(`Slack: ${e.data?.error ?? 'refused'}`));
  }
  if (error instanceof ChannelRetryableError || error instanceof SlackError) return error;
  const scrubbed = new Error(scrub(error instanceof Error ? error.message : String(error)));
  if (error instanceof Error) scrubbed.name = error.name;
  return scrubbed;
}

/** Bolt's Logger, quiet below warnings, every line scrubbed of the tokens. */
export function scrubbingLogger(scrub: (text: string) => string, log: (line: string) => void): Logger {
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
  if (part instanceof Error) return part.message;
  if (typeof part === 'string') return part;
  try {
    return JSON.stringify(part);
  } catch {
    return String(part);
  }
}
