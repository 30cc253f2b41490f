/**
 * What an answer needs to land in its thread, carried in the channel target's `threadId` (the
 * host stores it with each outbox message, so a restart still replies in the right thread):
 * the subject and the Message-IDs for In-Reply-To and References. And the Message-ID of a
 * question, which carries its choices, so a reply to it maps to a button press after a restart.
 */
import { createHash, randomBytes } from 'node:crypto';

export interface ReplyContext {
  /** The subject of the mail answered (the answer's is "Re: " it). */
  subject: string;
  /** The Message-ID answered (In-Reply-To). */
  inReplyTo?: string;
  /** The thread so far, root first (References); kept short. */
  references: string[];
}

/** References kept: the root and the last few (RFC 5322 allows trimming the middle). */
const MAX_REFERENCES = 10;
/** The longest Message-ID accepted from a mail (ours are far shorter); a longer one is ignored. */
export const MAX_MESSAGE_ID = 250;

const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

function decode(text: string): unknown {
  try {
    return JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
}

export function encodeContext(context: ReplyContext): string {
  const refs = context.references;
  const references = refs.length > MAX_REFERENCES ? [refs[0]!, ...refs.slice(-(MAX_REFERENCES - 1))] : refs;
  return encode({ s: context.subject.slice(0, 300), m: context.inReplyTo, r: references });
}

export function decodeContext(threadId: string | undefined): ReplyContext | undefined {
  const value = threadId === undefined ? undefined : decode(threadId);
  if (typeof value !== 'object' || value === null) return undefined;
  const { s, m, r } = value as { s?: unknown; m?: unknown; r?: unknown };
  if (typeof s !== 'string' || !Array.isArray(r) || !r.every((x) => typeof x === 'string')) return undefined;
  return { subject: s, ...(typeof m === 'string' ? { inReplyTo: m } : {}), references: r as string[] };
}

/** "Re: <subject>", not "Re: Re: ...". */
export function replySubject(subject: string): string {
  const trimmed = subject.trim() || '(no subject)';
  return /^re:/i.test(trimmed) ? trimmed : `Re: ${trimmed}`;
}

/** A new Message-ID at the bot's domain, `<...>`. */
export function newMessageId(domain: string, prefix = 'oxy'): string {
  return `<${prefix}.${randomBytes(12).toString('hex')}@${domain}>`;
}

/**
 * The Message-ID of an outbox message: derived from its key and what makes it this mail (the
 * channel, recipient, thread, text), so the same message sent again after a crash carries the
 * same Message-ID (receiving servers and mail programs show it once), while a key reused after
 * the store was recreated, for another mail, does not collide.
 */
export function keyedMessageId(domain: string, parts: readonly string[]): string {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(`${part.length}:${part}`);
  return `<oxo.${hash.digest('hex').slice(0, 40)}@${domain}>`;
}

/** A question's Message-ID: its choices ([label, value] pairs) encoded in it. */
export function questionMessageId(domain: string, choices: [string, string][]): string {
  return `<oxq.${encode(choices)}.${randomBytes(8).toString('hex')}@${domain}>`;
}

/** The choices of a question, from its Message-ID; undefined for any other id. */
export function questionChoices(messageId: string | undefined): [string, string][] | undefined {
  const match = messageId?.match(/^<?oxq\.([A-Za-z0-9_-]{1,1000})\.[0-9a-f]+@/);
  const value = match ? decode(match[1]!) : undefined;
  if (!Array.isArray(value) || value.length > 20) return undefined;
  const valid = value.every(
    (pair) => Array.isArray(pair) && pair.length === 2 && pair.every((x) => typeof x === 'string'),
  );
  return valid ? (value as [string, string][]) : undefined;
}

/** A first line longer than this names no choice (labels and values are short). */
const MAX_CHOICE_LINE = 200;

/** The choice the first line of `text` names (a label or a value, any case), if any. */
export function chosen(text: string, choices: [string, string][]): string | undefined {
  const first = text
    .split('\n')
    .map((line) => line.trim())
    .find((line) => line !== '');
  // Bounded first: the trailing-punctuation pattern backtracks over a line's inner blanks with
  // the square of their number, and anyone can send a reply naming a question (In-Reply-To).
  if (first === undefined || first.length > MAX_CHOICE_LINE) return undefined;
  const word = first.replace(/[.!\s]+$/, '').toLowerCase();
  if (!word) return undefined;
  return choices.find(([label, value]) => label.toLowerCase() === word || value.toLowerCase() === word)?.[1];
}
