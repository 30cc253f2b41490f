/**
 * Pairing (`unknown_senders = "pair"`, after OpenClaw's DM pairing): a stranger who writes to
 * the bot in a direct chat is sent a short one-time code; the owner, told the code by the
 * stranger, lets them in with `oxydra channels pair <channel> <code>`. The code is the proof that
 * the stranger and the owner are in touch, so it is treated as a secret: stored only as a salted
 * hash, compared in constant time, valid for an hour, one open request per sender and a few per
 * channel (a stranger, or many, cannot flood the store or the owner's list; a sender whose
 * request is open is not answered again).
 */
import { createHash, randomBytes, randomInt, timingSafeEqual } from 'node:crypto';
import type { ChannelPairingRequest, ChannelStore } from '@oxydra/types';

/** How long a code is valid. */
export const PAIRING_TTL_MS = 60 * 60 * 1000;
/** Open requests per channel at most (OpenClaw's bound too): more strangers wait for one to expire. */
export const MAX_PENDING_PAIRINGS = 3;

/** No 0/O, 1/I/L: read aloud or copied from a phone without mistakes. 8 of 31 symbols ≈ 40 bits. */
const ALPHABET = 'ABCDEFGHJKMNPQRSTUVWXYZ23456789';
const CODE_LENGTH = 8;

export function newPairingCode(): string {
  let code = '';
  for (let i = 0; i < CODE_LENGTH; i += 1) code += ALPHABET[randomInt(ALPHABET.length)];
  return code;
}

/** The code as stored: "<salt>:<sha256(salt, code)>", hex. */
export function hashPairingCode(code: string, salt = randomBytes(16).toString('hex')): string {
  return `${salt}:${digest(salt, normalize(code))}`;
}

/** Whether `code` is the one `codeHash` was made from; constant time in the code's content. */
export function pairingCodeMatches(code: string, codeHash: string): boolean {
  const [salt, stored] = codeHash.split(':');
  if (salt === undefined || stored === undefined) return false;
  const expected = Buffer.from(stored, 'hex');
  const actual = Buffer.from(digest(salt, normalize(code)), 'hex');
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

/** The ISO time before which a request is expired. */
export function pairingStaleBefore(now: Date): string {
  return new Date(now.getTime() - PAIRING_TTL_MS).toISOString();
}

/**
 * The open request of `channel` whose code is `code`, if any. Every open request is compared
 * (at most MAX_PENDING_PAIRINGS), so the time taken does not tell which one matched.
 */
export async function findPairingRequest(
  store: ChannelStore,
  channel: string,
  code: string,
  now: Date,
): Promise<ChannelPairingRequest | undefined> {
  let found: ChannelPairingRequest | undefined;
  for (const request of await store.pairingRequests(channel, pairingStaleBefore(now))) {
    if (pairingCodeMatches(code, request.codeHash) && found === undefined) found = request;
  }
  return found;
}

/** What the stranger is sent. */
export function pairingMessage(channel: string, code: string): string {
  return [
    'This bot answers only people its owner has let in.',
    `Your pairing code: ${code}`,
    `Send it to the owner, who can let you in with: oxydra channels pair ${channel} ${code}`,
    'The code is valid for one hour.',
  ].join('\n');
}

const normalize = (code: string) => code.trim().toUpperCase();
const digest = (salt: string, code: string) => createHash('sha256').update(`${salt}:${code}`).digest('hex');
