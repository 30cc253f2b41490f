/**
 * A send's nonce (Discord: at most 25 characters; with `enforce_nonce`, a second message from the
 * same bot in the same channel with the same nonce within a few minutes is not created, Discord
 * answers with the first). Derived from the outbox key, so the try after a crash (the platform
 * took the message, the outbox had not yet marked it sent) is the same message, not a second.
 */
import { createHash } from 'node:crypto';
import type { ChannelSendOptions, ChannelTarget } from '@oxydra/types';

const NONCE_LENGTH = 25;

/** `{ nonce, enforce_nonce }` for a send with an idempotency key; nothing without one. */
export function sendNonce(
  target: ChannelTarget,
  options: ChannelSendOptions | undefined,
): { nonce: string; enforce_nonce: true } | Record<string, never> {
  const key = options?.idempotencyKey;
  if (key === undefined) return {};
  const hash = createHash('sha256').update(`${target.chatId}\n${key}`).digest('hex');
  return { nonce: hash.slice(0, NONCE_LENGTH), enforce_nonce: true };
}
