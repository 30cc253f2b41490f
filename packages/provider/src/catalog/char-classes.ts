/**
 * The character table of the token estimate (estimate.ts): each code unit's class in o200k's
 * pre-tokenizer (letters by case, marks, digits, whitespace, newlines, the rest) and its script
 * group, whose per-character cost estimate.ts holds. The BMP is classified a block of 256 at a
 * time on first sight; astral characters by range, without a table.
 */

// Character classes (low 4 bits), script groups (next 4 bits), surrogate pair (bit 8).

export const LOWER = 1; // \p{Ll}
export const UPPER = 2; // \p{Lu} \p{Lt}
export const CASELESS = 3; // \p{Lm} \p{Lo}
export const MARK = 4; // \p{M}
export const DIGIT = 5; // \p{N}
export const SPACE = 6; // \s but \r and \n
export const NEWLINE = 7; // \r \n
export const OTHER = 8; // punctuation, symbols, emoji, controls
export const WIDE = 0x100;

/** Script groups of non-ASCII characters, each with its cost per character in a word. */
const G_LATIN = 1;
const G_HAN = 10;
const G_OTHER = 11;
const G_ASTRAL = 12;
export const GROUP_COST = Float64Array.of(0, 0.55, 0.37, 0.25, 0.34, 0.35, 0.4, 0.35, 0.62, 0.62, 0.78, 1, 2);
/** [first, last, group] code point ranges; anything else in the BMP is G_OTHER. */
const GROUP_RANGES: readonly (readonly [number, number, number])[] = [
  [0x00c0, 0x024f, G_LATIN],
  [0x1e00, 0x1eff, G_LATIN],
  [0x0370, 0x03ff, 2], // Greek
  [0x1f00, 0x1fff, 2],
  [0x0400, 0x052f, 3], // Cyrillic
  [0x0590, 0x08ff, 4], // Hebrew, Arabic, Syriac, Thaana
  [0xfb1d, 0xfdff, 4],
  [0xfe70, 0xfeff, 4],
  [0x0900, 0x0dff, 5], // Indic
  [0x0e00, 0x109f, 6], // Thai, Lao, Tibetan, Myanmar
  [0x1780, 0x17ff, 6], // Khmer
  [0x0530, 0x058f, 7], // Armenian
  [0x10a0, 0x10ff, 7], // Georgian
  [0x1200, 0x139f, 7], // Ethiopic
  [0x1100, 0x11ff, 8], // Hangul
  [0x3130, 0x318f, 8],
  [0xac00, 0xd7af, 8],
  [0x3040, 0x30ff, 9], // Kana
  [0x31f0, 0x31ff, 9],
  [0xff66, 0xff9f, 9],
  [0x3005, 0x3007, G_HAN],
  [0x3400, 0x4dbf, G_HAN],
  [0x4e00, 0x9fff, G_HAN],
  [0xf900, 0xfaff, G_HAN],
];

/** class | group << 4 of each BMP code unit; 0 until its block of 256 is first seen. */
export const TABLE = new Uint8Array(0x10000);
const CLASS_TESTS: readonly (readonly [RegExp, number])[] = [
  [/[\r\n]/, NEWLINE],
  [/\s/u, SPACE],
  [/\p{Ll}/u, LOWER],
  [/[\p{Lu}\p{Lt}]/u, UPPER],
  [/\p{M}/u, MARK],
  [/[\p{Lm}\p{Lo}]/u, CASELESS],
  [/\p{N}/u, DIGIT],
];

function classify(code: number): number {
  if (code >= 0xd800 && code <= 0xdfff) return OTHER | (G_OTHER << 4); // a lone surrogate
  const char = String.fromCharCode(code);
  let kind = OTHER;
  for (const [test, k] of CLASS_TESTS) {
    if (test.test(char)) {
      kind = k;
      break;
    }
  }
  let group = code < 0x80 ? 0 : G_OTHER;
  for (const [first, last, g] of GROUP_RANGES) if (code >= first && code <= last) group = g;
  return kind | (group << 4);
}

/** At most 256 blocks, each classified once per process (well under a millisecond each). */
function fillBlock(block: number): void {
  for (let code = block << 8, end = code + 256; code < end; code++) TABLE[code] = classify(code);
}

/**
 * Block 0 (ASCII and Latin-1) as classify() makes it, written out: its Unicode property regexes
 * cost 5-8 ms on their first use in a process (V8 builds their character tables), which text
 * without other scripts never needs. A test checks this against classify().
 */
export const LATIN1_CLASSES =
  '08080808080808080806070606070808080808080808080808080808080808080608080808080808080808080808080805050505050505050505080808080808' +
  '08020202020202020202020202020202020202020202020202020208080808080801010101010101010101010101010101010101010101010101010808080808' +
  'b8b8b8b8b8b8b8b8b8b8b8b8b8b8b8b8b8b8b8b8b8b8b8b8b8b8b8b8b8b8b8b8b6b8b8b8b8b8b8b8b8b8b3b8b8b8b8b8b8b8b5b5b8b1b8b8b8b5b3b8b5b5b5b8' +
  '12121212121212121212121212121212121212121212121812121212121212111111111111111111111111111111111111111111111111181111111111111111';
for (let code = 0; code < 256; code++)
  TABLE[code] = Number.parseInt(LATIN1_CLASSES.slice(code * 2, code * 2 + 2), 16);

/** What classify() makes of one code unit (for the test of LATIN1_CLASSES). */
export function characterClass(code: number): number {
  return classify(code);
}

/** Astral characters by range (mostly emoji and symbols, or CJK ideographs), without a table. */
function astralInfo(cp: number): number {
  if (
    (cp >= 0x1f000 && cp <= 0x1fbff) ||
    (cp >= 0xe0000 && cp <= 0xe007f) ||
    (cp >= 0x1d000 && cp <= 0x1d24f)
  ) {
    return OTHER | (G_ASTRAL << 4) | WIDE;
  }
  if (cp >= 0xe0100 && cp <= 0xe01ef) return MARK | (G_ASTRAL << 4) | WIDE;
  if (cp >= 0x20000 && cp <= 0x3ffff) return CASELESS | (G_HAN << 4) | WIDE;
  return CASELESS | (G_ASTRAL << 4) | WIDE;
}

/** Class, group and WIDE bit of the (BMP or astral) character at `i`; fills its table block on first sight. */
export function info(codes: Uint16Array, n: number, i: number): number {
  const code = codes[i]!;
  if (code < 0xd800 || code > 0xdbff) {
    const x = TABLE[code]!;
    if (x !== 0) return x;
    fillBlock(code >> 8);
    return TABLE[code]!;
  }
  const low = i + 1 < n ? codes[i + 1]! : 0;
  if (low >= 0xdc00 && low <= 0xdfff) return astralInfo(((code - 0xd800) << 10) + (low - 0xdc00) + 0x10000);
  return OTHER | (G_OTHER << 4);
}

/** Class of the character at `i` (with its group and WIDE bit). */
export function infoAt(codes: Uint16Array, n: number, i: number): number {
  const code = codes[i]!;
  return code < 0x80 ? TABLE[code]! : info(codes, n, i);
}

/** A reusable copy of texts up to this many code units (a megabyte), so counting allocates little. */
const KEPT_CODE_UNITS = 1 << 19;
let kept: Buffer | undefined;

/**
 * The UTF-16 code units of `text`, copied natively into a typed array: reading one is fast and
 * the same whatever the string's representation in V8 (flat or sliced or concatenated, one or
 * two bytes a character), where charCodeAt slows down on the mix.
 */
export function codeUnits(text: string): Uint16Array {
  const bytes = text.length * 2;
  let buffer = kept;
  if (buffer === undefined || buffer.length < bytes) {
    buffer = Buffer.allocUnsafeSlow(Math.max(bytes, 8192));
    if (text.length <= KEPT_CODE_UNITS) kept = buffer;
  }
  buffer.write(text, 0, 'utf16le');
  return new Uint16Array(buffer.buffer, buffer.byteOffset, text.length);
}
