/**
 * How many terminal columns a line of text takes, for a caret drawn under it (toml-excerpt.ts):
 * a CJK character or an emoji takes two, a combining mark or a zero-width joiner none, so
 * counting UTF-16 units put the caret left of the column after a Chinese key and right of it
 * after a family emoji. Measured per grapheme cluster (what a terminal draws as one): an emoji
 * sequence (with U+FE0F, a skin tone, joined by U+200D, a flag, a keycap) is two columns; any
 * other cluster is as wide as its first visible character's East Asian Width says (the Unicode
 * table get-east-asian-width keeps; ambiguous ones as narrow, as terminals outside CJK locales
 * draw them). A tab has no width of its own: the caller shows it as a space.
 *
 * Only an error's excerpt measures text, so the segmenter and the patterns are made at the first
 * call: loading the configuration builds none of them (an Intl.Segmenter costs ~15 ms cold).
 */
import { eastAsianWidth } from 'get-east-asian-width';

let segmenter: Intl.Segmenter | undefined;
let patterns: { zero: RegExp; pictographic: RegExp; emojiSequence: RegExp; flag: RegExp } | undefined;

const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;

export function displayWidth(text: string): number {
  if (PRINTABLE_ASCII.test(text)) return text.length;
  let width = 0;
  for (const cluster of graphemes(text)) width += clusterWidth(cluster);
  return width;
}

/** `text` cut into what a terminal draws as one character each (grapheme clusters). */
export function graphemes(text: string): string[] {
  segmenter ??= new Intl.Segmenter();
  return Array.from(segmenter.segment(text), ({ segment }) => segment);
}

function clusterWidth(cluster: string): number {
  patterns ??= {
    // Marks, format characters (joiners, variation selectors, bidi controls), controls.
    zero: /[\p{Mn}\p{Me}\p{Cf}\p{Cc}]/u,
    pictographic: /\p{Extended_Pictographic}/u,
    // What makes a pictograph an emoji drawn two columns wide: VS16, a joiner, a skin tone.
    emojiSequence: /\ufe0f|\u200d|[\u{1f3fb}-\u{1f3ff}]/u,
    flag: /^\p{Regional_Indicator}{2}$/u,
  };
  const { zero, pictographic, emojiSequence, flag } = patterns;
  if (
    (pictographic.test(cluster) && emojiSequence.test(cluster)) ||
    flag.test(cluster) ||
    cluster.includes('\u20e3')
  )
    return 2;
  for (const char of cluster) {
    if (zero.test(char)) continue;
    return eastAsianWidth(char.codePointAt(0)!);
  }
  return 0;
}
