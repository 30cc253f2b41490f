/**
 * Entropy redaction catches credentials no keyword announces: a bare `sk-…` key in a log line, a
 * token in a URL path. Candidates are runs of token characters 24–512 long that mix letters and
 * digits and carry at least 3.8 bits of Shannon entropy per character. Exempt, because they are
 * identifiers the model needs: pure hex (commit hashes, UUIDs, digests), `note-<uuid>` memory ids,
 * and paths with three or more separators. Two more exemptions keep code readable, since
 * camelCase names with a digit reach 3.8 bits easily: names made mostly of words
 * (`createV2ResponsesAdapter`), and names whose `_`/`-`/`.` parts are each all letters or all
 * digits (`ERR_INVALID_ARG_1234`). By chance a random base62 key slips through the word test about
 * 4 times in 100 at 32 characters and 1 in 100 at 64; keys announced by a keyword, and the literal
 * keys the process holds, are redacted by the earlier rules anyway.
 */
import { REDACTED } from './literals.js';

/** Base64, base64url, JWT and key characters; `=` only as trailing padding, so `id=…` keeps its key. */
const TOKEN_CHARS = 'A-Za-z0-9_+/.~-';
const CANDIDATE = new RegExp(`(?<![${TOKEN_CHARS}])[${TOKEN_CHARS}]{24,512}={0,3}(?![=${TOKEN_CHARS}])`, 'g');
const MIN_BITS_PER_CHAR = 3.8;

const PURE_HEX = /^[0-9a-f-]+$/i;
/** A word: an optional capital and three or more lower-case letters. */
const WORD = /[A-Z]?[a-z]{3,}/g;
const MIN_WORD_SHARE = 0.4;
const WORDS_AND_NUMBERS = /^(?:[A-Za-z]+|[0-9]+)(?:[_.-](?:[A-Za-z]+|[0-9]+))+$/;
const NOTE_ID = /^note-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function shannonEntropy(text: string): number {
  const counts = new Map<string, number>();
  for (const char of text) counts.set(char, (counts.get(char) ?? 0) + 1);
  let bits = 0;
  for (const count of counts.values()) {
    const p = count / text.length;
    bits -= p * Math.log2(p);
  }
  return bits;
}

/** Share of the token's characters that are in words. */
function wordShare(token: string): number {
  let inWords = 0;
  for (const [word] of token.matchAll(WORD)) inWords += word.length;
  return inWords / token.length;
}

/** `token` without trailing dots, by a scan from the end (`/\.+$/` retries from every dot of a long run). */
function withoutTrailingDots(token: string): string {
  let end = token.length;
  while (end > 0 && token[end - 1] === '.') end--;
  return token.slice(0, end);
}

export function looksLikeSecret(token: string): boolean {
  // A dot may end the sentence rather than belong to the token ("Saved note note-<uuid>.").
  const bare = withoutTrailingDots(token);
  if (PURE_HEX.test(bare) || NOTE_ID.test(bare)) return false;
  if ((token.match(/\//g)?.length ?? 0) >= 3) return false;
  // Mixed classes: words, snake_case and kebab-case names have no digits; numbers have no letters.
  if (!/[A-Za-z]/.test(token) || !/[0-9]/.test(token)) return false;
  if (WORDS_AND_NUMBERS.test(token) || wordShare(token) >= MIN_WORD_SHARE) return false;
  return shannonEntropy(token) >= MIN_BITS_PER_CHAR;
}

export function redactHighEntropy(text: string): string {
  return text.replace(CANDIDATE, (token) => (looksLikeSecret(token) ? REDACTED : token));
}
