/**
 * What every adapter (telegram/, slack/, discord/, email/) does with a platform's failure before it
 * leaves the adapter: sorted into "retry" (ChannelRetryableError, with the platform's retry-after
 * when it gave one: the host's outbox waits that long) or "refused" (PlatformError, or a plain
 * Error: retrying will not change it), and its message scrubbed of the adapter's secrets (tokens,
 * passwords), since client libraries quote request URLs and headers that carry them.
 */
import { ChannelRetryableError } from '@oxydra/types';

/** A text with the adapter's secrets cut out. */
export type Scrub = (text: string) => string;

/**
 * Cuts every secret (empty ones ignored) out of a text, each replaced by `placeholder`; `also`
 * then cuts what a pattern matches (tokens of the platform's shape that are not configured).
 */
export function scrubber(
  secrets: readonly (string | undefined)[],
  placeholder: string,
  also?: { pattern: RegExp; placeholder: string },
): Scrub {
  const cut = secrets.filter((s): s is string => s !== undefined && s !== '');
  return (text) => {
    const out = cut.reduce((t, secret) => t.split(secret).join(placeholder), text);
    return also ? out.replace(also.pattern, also.placeholder) : out;
  };
}

/** A refusal from a platform that retrying will not change (bad token, chat not found...), named `<Platform>Error`. */
export class PlatformError extends Error {
  constructor(
    platform: string,
    message: string,
    readonly status?: number,
    readonly code?: number | string,
  ) {
    super(message);
    this.name = `${platform}Error`;
  }
}

/** A failed HTTP status: a 429 or a 5xx may pass (retried, after `retryAfterMs` when known); any other is `refused`. */
export function byStatus(
  status: number,
  message: string,
  refused: (message: string) => Error = (m) => new Error(m),
  retryAfterMs?: number,
): Error {
  return status === 429 || status >= 500
    ? new ChannelRetryableError(message, retryAfterMs)
    : refused(message);
}

/** A retry-after in seconds (a number, or a Retry-After header's text) as milliseconds; `fallbackSecs` when there is none. */
export function retryAfterMs(
  seconds: number | string | null | undefined,
  fallbackSecs?: number,
): number | undefined {
  const n = seconds === null || seconds === undefined ? Number.NaN : Number(seconds);
  if (Number.isFinite(n) && n >= 0) return n * 1000;
  return fallbackSecs !== undefined ? fallbackSecs * 1000 : undefined;
}

/** An error's (or a thrown value's) text. */
export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * An error not classified by the adapter, its message scrubbed: a retryable one stays retryable
 * (with its retry-after), a PlatformError (scrubbed when made) passes, any other keeps its name.
 */
export function scrubbed(error: unknown, scrub: Scrub): Error {
  if (error instanceof ChannelRetryableError)
    return new ChannelRetryableError(scrub(error.message), error.retryAfterMs);
  if (error instanceof PlatformError) return error;
  const out = new Error(scrub(errorText(error)));
  if (error instanceof Error) out.name = error.name;
  return out;
}
