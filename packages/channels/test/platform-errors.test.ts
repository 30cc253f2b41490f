/**
 * The error mapping every adapter shares (src/platform-errors.ts): secrets cut out, a 429 or a
 * 5xx retryable (with the platform's retry-after), anything else refused, an error not
 * classified by the adapter scrubbed without losing its kind.
 */
import { ChannelRetryableError } from '@oxydra/types';
import { describe, expect, it } from 'vitest';
import { byStatus, PlatformError, retryAfterMs, scrubbed, scrubber } from '../src/platform-errors.js';

describe('platform errors', () => {
  it('cuts every secret out, ignoring empty ones, then what the pattern matches', () => {
    const scrub = scrubber(['s3cret', '', undefined, 'tok:en'], '<secret>', {
      pattern: /xoxb-[a-z0-9]+/g,
      placeholder: '<token>',
    });
    expect(scrub('GET /bots3cret/x?t=tok:en&o=xoxb-abc1 s3cret')).toBe(
      'GET /bot<secret>/x?t=<secret>&o=<token> <secret>',
    );
    expect(scrubber([''], '<password>')('nothing to cut')).toBe('nothing to cut');
  });

  it('sorts a status: 429 and 5xx retryable (with the retry-after), others refused', () => {
    const limited = byStatus(429, 'slow down', undefined, 3000);
    expect(limited).toBeInstanceOf(ChannelRetryableError);
    expect((limited as ChannelRetryableError).retryAfterMs).toBe(3000);
    expect(byStatus(503, 'down')).toBeInstanceOf(ChannelRetryableError);
    const refused = byStatus(
      403,
      'Telegram sendMessage: 403 Forbidden',
      (m) => new PlatformError('Telegram', m, 403, 403),
    );
    expect(refused).not.toBeInstanceOf(ChannelRetryableError);
    expect(refused.name).toBe('TelegramError');
    expect((refused as PlatformError).code).toBe(403);
    const plain = byStatus(404, 'not found');
    expect([plain.name, plain.message, plain instanceof ChannelRetryableError]).toEqual([
      'Error',
      'not found',
      false,
    ]);
  });

  it('reads a retry-after in seconds as milliseconds, with a fallback', () => {
    expect(retryAfterMs('2')).toBe(2000);
    expect(retryAfterMs(0.5)).toBe(500);
    expect(retryAfterMs(null)).toBeUndefined();
    expect(retryAfterMs('soon')).toBeUndefined();
    expect(retryAfterMs(undefined, 1)).toBe(1000);
  });

  it('scrubs an unclassified error and keeps its kind', () => {
    const scrub = scrubber(['T0KEN'], '<token>');
    const retry = scrubbed(new ChannelRetryableError('fetch /botT0KEN failed', 700), scrub);
    expect(retry).toBeInstanceOf(ChannelRetryableError);
    expect([retry.message, (retry as ChannelRetryableError).retryAfterMs]).toEqual([
      'fetch /bot<token> failed',
      700,
    ]);
    const type = scrubbed(new TypeError('bad T0KEN'), scrub);
    expect([type.name, type.message]).toEqual(['TypeError', 'bad <token>']);
    expect(scrubbed('thrown T0KEN', scrub).message).toBe('thrown <token>');
    const refusal = new PlatformError('Slack', 'Slack: channel_not_found');
    expect(scrubbed(refusal, scrub)).toBe(refusal);
  });
});
