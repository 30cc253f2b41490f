/**
 * A Discord REST failure sorted into retry or not, its message free of the bot's and the
 * interactions' tokens: the one way the adapter's calls fail (adapter.ts `#call`).
 */
import { ChannelRetryableError } from '@oxydra/types';
import { DiscordAPIError, HTTPError, RateLimitError } from 'discord.js';
import { byStatus, errorText, PlatformError, scrubber } from '../platform-errors.js';

/** A REST failure, sorted into retry or not (PlatformError "DiscordError" with Discord's status and code). */
export function classify(what: string, error: unknown, secrets: string[]): Error {
  const scrub = scrubber(secrets, '<token>');
  if (error instanceof RateLimitError) {
    return new ChannelRetryableError(
      scrub(`Discord ${what}: rate limited for ${error.retryAfter} ms`),
      error.retryAfter,
    );
  }
  if (error instanceof DiscordAPIError) {
    // Its url can hold an interaction token; the message is built without it.
    const message = scrub(`Discord ${what}: ${error.status} ${error.code} ${error.message}`);
    return byStatus(error.status, message, (m) => new PlatformError('Discord', m, error.status, error.code));
  }
  if (error instanceof HTTPError) {
    const message = scrub(`Discord ${what}: ${error.status} ${error.message}`);
    return byStatus(
      error.status,
      message,
      (m) => new PlatformError('Discord', m, error.status, error.status),
    );
  }
  // A network error (refused, reset, timed out): retrying may work.
  return new ChannelRetryableError(`Discord ${what}: ${scrub(errorText(error))}`);
}
