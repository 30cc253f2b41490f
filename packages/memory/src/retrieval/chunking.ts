/**
 * Text → overlapping chunks for indexing (Oxydra's 640 characters with 96 of overlap), cut
 * where a reader would: at a paragraph or sentence end near the limit, else at a space, and
 * only inside a word when a "word" is longer than the whole window (a URL, a base64 blob).
 * Offsets refer to the original text, so `text.slice(start, end) === chunk.text`.
 */
import { createHash } from 'node:crypto';
import { chunkTaint, type Message, messageText, type Provenance, withoutNul } from '@oxydra/types';

export const CHUNK_SIZE = 640;
export const CHUNK_OVERLAP = 96;

export interface TextChunk {
  text: string;
  start: number;
  end: number;
}

export interface ChunkOptions {
  /** Most characters (UTF-16 code units) in a chunk; default 640. */
  size?: number;
  /** Characters the next chunk repeats from the end of this one; default 96. */
  overlap?: number;
}

/** How far before the limit a natural break is looked for: the last quarter of a chunk. */
const BREAK_WINDOW = 0.25;
/** How far the next chunk's start may move back so it starts at a word. */
const WORD_BACKTRACK = 32;

const SPACE = /\s/;
// A sentence ends at . ! ? (or their CJK forms), optionally closed by a quote or bracket.
const SENTENCE_END = /[.!?。！？]["')\]»”’]?$/;

function isSpace(text: string, i: number): boolean {
  return SPACE.test(text[i] ?? '');
}

/** The best end (exclusive) in [from, limit]: paragraph > sentence > line > space > hard cut. */
function breakPoint(text: string, from: number, limit: number): number {
  let sentence = -1;
  let line = -1;
  let space = -1;
  for (let i = limit; i > from; i--) {
    // Every candidate ends right before whitespace, so the break never splits a word.
    if (!isSpace(text, i) || isSpace(text, i - 1)) continue;
    if (text.startsWith('\n\n', i) || text.startsWith('\r\n\r\n', i)) return i;
    if (sentence < 0 && SENTENCE_END.test(text.slice(Math.max(from, i - 2), i))) sentence = i;
    if (line < 0 && (text[i] === '\n' || text[i] === '\r')) line = i;
    if (space < 0) space = i;
  }
  if (sentence >= 0) return sentence;
  if (line >= 0) return line;
  if (space >= 0) return space;
  // One unbroken token: cut at the limit, but never between the halves of a surrogate pair.
  const code = text.charCodeAt(limit - 1);
  return code >= 0xd800 && code <= 0xdbff ? limit - 1 : limit;
}

/** Start of the next chunk: `overlap` before `end`, moved back to the start of its word. */
function nextStart(text: string, end: number, overlap: number, floor: number): number {
  let start = Math.max(floor, end - overlap);
  const stop = Math.max(floor, start - WORD_BACKTRACK);
  let back = start;
  while (back > stop && !isSpace(text, back - 1)) back--;
  if (back > stop || isSpace(text, back - 1)) start = back;
  while (start < end && isSpace(text, start)) start++;
  return start;
}

export function chunkText(text: string, options: ChunkOptions = {}): TextChunk[] {
  const size = options.size ?? CHUNK_SIZE;
  const overlap = options.overlap ?? CHUNK_OVERLAP;
  if (!Number.isInteger(size) || size < 16)
    throw new RangeError(`chunk size must be an integer >= 16, got ${size}`);
  if (!Number.isInteger(overlap) || overlap < 0 || overlap > size / 2) {
    throw new RangeError(`chunk overlap must be an integer in 0..size/2, got ${overlap}`);
  }
  const chunks: TextChunk[] = [];
  let start = 0;
  while (start < text.length && isSpace(text, start)) start++;
  while (start < text.length) {
    let end = text.length;
    while (end > start && isSpace(text, end - 1)) end--;
    if (end - start > size) {
      const limit = start + size;
      // Never so early that the next start (end - overlap - backtrack) fails to advance.
      const from = Math.max(limit - Math.floor(size * BREAK_WINDOW), start + overlap + WORD_BACKTRACK + 1);
      end = breakPoint(text, from, limit);
    }
    if (end <= start) break;
    chunks.push({ text: text.slice(start, end), start, end });
    if (end >= text.length || text.slice(end).trim() === '') break;
    start = nextStart(text, end, overlap, start + 1);
  }
  return chunks;
}

/** What two chunks must share to count as the same content: case and spacing do not matter. */
function normaliseForHash(text: string): string {
  return text.normalize('NFKC').toLowerCase().replace(/\s+/g, ' ').trim();
}

/** sha256 (hex) of the normalised text: the dedup key stored with every chunk. */
export function contentHash(text: string): string {
  return createHash('sha256').update(normaliseForHash(text)).digest('hex');
}

/** The items whose text has not been seen before (in this list or in `seen`), first occurrence kept. */
export function dedupByHash<T extends { hash: string }>(
  items: readonly T[],
  seen: ReadonlySet<string> = new Set(),
): T[] {
  const kept = new Set(seen);
  return items.filter((item) => {
    if (kept.has(item.hash)) return false;
    kept.add(item.hash);
    return true;
  });
}

/**
 * Which text of a conversation is worth finding again: what the user and the assistant said.
 * Tool results are mostly file contents and command output, large and better found by running
 * the tool again, so they are left out unless asked for, and then cut short.
 *
 * Each text carries its taint (docs/security.md, "Recalled conversations"): what the context
 * held, besides the operator's words, when it was written. The assistant's words follow everything
 * the run had read by then (`taint`, the run's sources when the messages were saved, and the
 * provenance of the messages before it); a user message is the operator's own unless it came
 * with a provenance (another sender's chat message).
 */

export interface ConversationTextOptions {
  /** Index tool results too (default false). */
  includeToolResults?: boolean;
  /** Characters kept of each tool result (default 640: one chunk). */
  toolResultChars?: number;
}

export interface ConversationText {
  text: string;
  /** chunkTaint's: undefined when nothing but the operator's words was in the context. */
  taint?: Provenance[];
}

export function conversationTexts(
  messages: readonly Message[],
  options: ConversationTextOptions = {},
  /** The run's sources when `messages` were written (a run's unit; none for a whole stored log). */
  taint: readonly Provenance[] = [],
): ConversationText[] {
  const limit = options.toolResultChars ?? 640;
  const texts: ConversationText[] = [];
  let held = chunkTaint(taint);
  const add = (text: string, textTaint: Provenance[] | undefined) => {
    // Without NUL characters, which a PostgreSQL index cannot hold (withoutNul, @oxydra/types).
    const clean = withoutNul(text);
    if (clean.trim() === '') return;
    texts.push(textTaint === undefined ? { text: clean } : { text: clean, taint: textTaint });
  };
  for (const message of messages) {
    const own = message.role === 'user' || message.role === 'tool' ? message.provenance : undefined;
    if (own !== undefined) held = chunkTaint([...(held ?? []), own]);
    if (message.role === 'user') add(messageText(message), own === undefined ? undefined : chunkTaint([own]));
    else if (message.role === 'assistant') add(messageText(message), held);
    else if (message.role === 'tool' && options.includeToolResults)
      add(message.content.slice(0, limit), held);
  }
  return texts;
}
