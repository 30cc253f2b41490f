/**
 * Token counting with bounded work, whatever the text. gpt-tokenizer's byte-pair merge is
 * quadratic in the length of one pre-tokenized piece (a 150 KB unbroken word held the event loop
 * for seconds), and even linear, high-entropy text costs it ~3 µs a character. So:
 *
 * - a piece longer than MAX_PIECE_CHARS is cut into pieces of that size before encoding (a cut
 *   adds at most a token or so to a piece already worth dozens);
 * - a text up to EXACT_CHARS long is counted exactly (after those cuts);
 * - a longer text is estimated from SAMPLES evenly spaced windows of SAMPLE_CHARS, counted
 *   exactly and scaled to the whole length with a small margin. Context budgeting needs the
 *   count to be close, not exact, and a prompt is measured with at most
 *   SAMPLES × SAMPLE_CHARS characters of encoding however large it is.
 *
 * The encoder's counting function and its pre-tokenizing pattern are passed in, so tests can
 * measure the work done.
 */

export const MAX_PIECE_CHARS = 128;
export const EXACT_CHARS = 8_192;
export const SAMPLES = 8;
export const SAMPLE_CHARS = 1_024;
/** Scaled-up samples count a little over, as a prompt budget should. */
const ESTIMATE_MARGIN = 1.05;
/** How far a sample window's edges move to reach whitespace, so no window starts mid-word. */
const SNAP_CHARS = 64;

export type CountChunk = (text: string) => number;

const isLowSurrogate = (code: number): boolean => code >= 0xdc00 && code <= 0xdfff;

/** `text` cut so that no piece of `pieces` (the encoder's pre-tokenizer) is longer than MAX_PIECE_CHARS. */
export function boundedChunks(text: string, pieces: RegExp): string[] {
  if (text.length <= MAX_PIECE_CHARS) return [text];
  const chunks: string[] = [];
  let from = 0;
  for (const match of text.matchAll(pieces)) {
    const piece = match[0];
    if (piece.length <= MAX_PIECE_CHARS) continue;
    if (match.index > from) chunks.push(text.slice(from, match.index));
    let at = 0;
    while (at < piece.length) {
      let end = Math.min(at + MAX_PIECE_CHARS, piece.length);
      // Never between the halves of a surrogate pair.
      if (end < piece.length && isLowSurrogate(piece.charCodeAt(end))) end--;
      chunks.push(piece.slice(at, end));
      at = end;
    }
    from = match.index + piece.length;
  }
  if (from < text.length) chunks.push(text.slice(from));
  return chunks;
}

function countExactly(text: string, count: CountChunk, pieces: RegExp): number {
  let total = 0;
  for (const chunk of boundedChunks(text, pieces)) total += count(chunk);
  return total;
}

/** The first whitespace at or after `at` (within SNAP_CHARS), else `at` moved off a low surrogate. */
function snap(text: string, at: number): number {
  const limit = Math.min(text.length, at + SNAP_CHARS);
  for (let i = at; i < limit; i++) {
    const code = text.charCodeAt(i);
    if (code === 0x20 || code === 0x0a || code === 0x09 || code === 0x0d) return i;
  }
  return at < text.length && isLowSurrogate(text.charCodeAt(at)) ? at + 1 : at;
}

export function countTokensBounded(text: string, count: CountChunk, pieces: RegExp): number {
  if (text === '') return 0;
  if (text.length <= EXACT_CHARS) return countExactly(text, count, pieces);
  const stride = text.length / SAMPLES;
  let sampledChars = 0;
  let sampledTokens = 0;
  for (let i = 0; i < SAMPLES; i++) {
    const start = i === 0 ? 0 : snap(text, Math.floor(i * stride));
    const end = snap(text, Math.min(text.length, start + SAMPLE_CHARS));
    if (end <= start) continue;
    sampledChars += end - start;
    sampledTokens += countExactly(text.slice(start, end), count, pieces);
  }
  return Math.ceil((sampledTokens * text.length * ESTIMATE_MARGIN) / Math.max(1, sampledChars));
}
