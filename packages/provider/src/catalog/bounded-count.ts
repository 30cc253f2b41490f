/**
 * Token counting with bounded work, whatever the text. The estimator (estimate.ts) is linear, so
 * a text up to EXACT_CHARS is estimated whole; a longer one (a huge tool output, a hostile
 * prompt) from SAMPLES evenly spaced windows of SAMPLE_CHARS, scaled to the whole length with a
 * small margin. A count thus estimates no more than about EXACT_CHARS characters (a few
 * milliseconds) however large the text.
 *
 * The counting function is passed in, so tests can measure the work done.
 */

export const EXACT_CHARS = 262_144;
export const SAMPLES = 16;
export const SAMPLE_CHARS = 16_384;
/** How far a sample window's edges move to reach whitespace, so no window starts mid-word. */
export const SNAP_CHARS = 64;
/** Scaled-up samples count a little over, as a prompt budget should. */
const SAMPLE_MARGIN = 1.02;

export type CountText = (text: string) => number;

const isLowSurrogate = (code: number): boolean => code >= 0xdc00 && code <= 0xdfff;

/** The first whitespace at or after `at` (within SNAP_CHARS), else `at` moved off a low surrogate. */
function snap(text: string, at: number): number {
  const limit = Math.min(text.length, at + SNAP_CHARS);
  for (let i = at; i < limit; i++) {
    const code = text.charCodeAt(i);
    if (code === 0x20 || code === 0x0a || code === 0x09 || code === 0x0d) return i;
  }
  return at < text.length && isLowSurrogate(text.charCodeAt(at)) ? at + 1 : at;
}

export function countTokensBounded(text: string, count: CountText): number {
  if (text.length <= EXACT_CHARS) return count(text);
  const stride = text.length / SAMPLES;
  let sampledChars = 0;
  let sampledTokens = 0;
  for (let i = 0; i < SAMPLES; i++) {
    const start = i === 0 ? 0 : snap(text, Math.floor(i * stride));
    const end = snap(text, Math.min(text.length, start + SAMPLE_CHARS));
    if (end <= start) continue;
    sampledChars += end - start;
    sampledTokens += count(text.slice(start, end));
  }
  const estimate = Math.ceil((sampledTokens * text.length * SAMPLE_MARGIN) / Math.max(1, sampledChars));
  // Never above the UTF-8 length, the bound budget checks rely on.
  return Math.min(estimate, Buffer.byteLength(text, 'utf8'));
}
