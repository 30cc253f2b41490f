/**
 * The lines of a dump read back into the hex of the bytes they show, for the scrubber's dump
 * reading (secret-forms.ts redactHexDumps: it runs each form's reader here over a text and
 * replaces a run of lines whose bytes hold a secret's form). One reader a form, each line read
 * one way at a time, since a line may read as several (`xxd -b`'s bits are hex digits too):
 *  - grouped hex after an offset, or with none (`od -A n`): `xxd`, `xxd -e`, `hexdump -C`,
 *    `hexdump`, `od -x`, `od -t x1z`;
 *  - characters, a 4-wide cell a byte (`od -c`, `hexdump -c`): `   k`, `  \n`, ` 303`;
 *  - octal bytes (`od -b`, `hexdump -b`), octal 2-byte words (`od`, `od -o`, `hexdump -o`),
 *    decimal 2-byte words (`od -d`, `hexdump -d`), bits (`xxd -b`, `xxd -b -g N`);
 *  - a C array (`xxd -i`): `  0x73, 0x6b, ...`.
 * Each reader reads a line once, character by character, with no regex: linear on any input.
 */

/**
 * The hex digits a run of dump lines shows, lower case, as shown and with each group's bytes
 * reversed (`od -x`, `hexdump -o` print little-endian words), written one code at a time into
 * buffers that grow by doubling: no string is built per group or per line.
 */
export interface DumpDigits {
  shown: Uint8Array;
  swapped: Uint8Array;
  length: number;
  /** Whether a group held more than one byte (else the reversed digits are the digits). */
  wide: boolean;
  /** Whether a line gave bytes (a run of `*` and offsets alone holds none). */
  bytes: boolean;
}

/** No buffer until a line gives digits: a text may pass the hint and still hold no dump. */
export const NO_DIGITS = new Uint8Array(0);
/** What a reader found a line to be: none of its form, one giving bytes, or an offset alone. */
export const LINE_NONE = 0;
export const LINE_BYTES = 1;
const LINE_OTHER = 2;

/** An offset column's digits: `xxd` 8, `hexdump` 7 or 8, `od` 7 (octal, `-A d`) or 6 (`-A x`). */
const MIN_OFFSET = 4;
const MAX_OFFSET = 16;
const SPACE = 32;
const COLON = 58;
const BAR = 124;
const GREATER = 62;
const BACKSLASH = 92;
const COMMA = 44;
const STAR = 42;
const HEX_DIGITS = '0123456789abcdef';

function isHexDigit(code: number): boolean {
  return (code >= 48 && code <= 57) || (code >= 97 && code <= 102) || (code >= 65 && code <= 70);
}

/** A hex digit's value (the code is one: isHexDigit). */
function hexValue(code: number): number {
  return code <= 57 ? code - 48 : (code | 0x20) - 87;
}

/** Buffers with room for `more` digits past the length, twice as large (1024 the first). */
function room(digits: DumpDigits, more: number): void {
  if (digits.length + more <= digits.shown.length) return;
  const size = Math.max(2 * digits.shown.length, digits.length + more, 1024);
  const shown = new Uint8Array(size);
  const swapped = new Uint8Array(size);
  shown.set(digits.shown.subarray(0, digits.length));
  swapped.set(digits.swapped.subarray(0, digits.length));
  digits.shown = shown;
  digits.swapped = swapped;
}

/**
 * Where the line's offset column ends: past its 4 to 16 digits (hex covers `od`'s octal and
 * `-A d`'s decimal), or `start` when the line opens with a space (`od -A n`: no offset), or -1
 * when it is neither (not a dump's line).
 */
function offsetEnd(text: string, start: number, end: number): number {
  if (start < end && text.charCodeAt(start) === SPACE) return start;
  let at = start;
  while (at < end && at - start <= MAX_OFFSET && isHexDigit(text.charCodeAt(at))) at++;
  return at - start < MIN_OFFSET || at - start > MAX_OFFSET ? -1 : at;
}

/** lineHead's answers for a line that is no dump's, and for one that is an offset alone. */
const NOT_A_LINE = -1;
const OFFSET_ONLY = -2;

/**
 * Where a line's groups start: past its offset and the colon `xxd` puts after it; NOT_A_LINE,
 * or OFFSET_ONLY for the closing line of `hexdump` and `od`.
 */
function lineHead(text: string, start: number, end: number): number {
  let at = offsetEnd(text, start, end);
  if (at < 0) return NOT_A_LINE;
  const xxd = at > start && at < end && text.charCodeAt(at) === COLON;
  if (xxd) at++;
  return at < end ? at : xxd ? NOT_A_LINE : OFFSET_ONLY;
}

/** A line's head as a reader's answer when it has no groups (NOT_A_LINE or OFFSET_ONLY). */
function headAnswer(head: number): number {
  return head === OFFSET_ONLY ? LINE_OTHER : LINE_NONE;
}

/** Whether the line's groups follow an `xxd` offset (its characters column comes after two spaces). */
function afterColon(text: string, start: number, head: number): boolean {
  return head > start && text.charCodeAt(head - 1) === COLON;
}

/** nextGroup's answers past the last group, and for a group with no space before it. */
const NO_MORE_GROUPS = -1;
const NO_GAP = -2;

/**
 * Where the next group starts, past the spaces before it: NO_MORE_GROUPS at the line's end or
 * at its characters column after the first group (`xxd`'s after two spaces, `|…|`, `>…<`),
 * NO_GAP when no space comes before it.
 */
function nextGroup(text: string, at: number, end: number, xxd: boolean, first: boolean): number {
  const gapStart = at;
  while (at < end && text.charCodeAt(at) === SPACE) at++;
  if (at === end) return NO_MORE_GROUPS;
  const code = text.charCodeAt(at);
  if (!first && (xxd ? at - gapStart > 1 : code === BAR || code === GREATER)) return NO_MORE_GROUPS;
  return at === gapStart ? NO_GAP : at;
}

/** Appends a group of `count` bytes (`bytes[0]` first) as shown, and reversed in the swapped copy. */
function pushBytes(digits: DumpDigits, bytes: readonly number[], count: number): void {
  room(digits, 2 * count);
  const { shown, swapped, length } = digits;
  for (let i = 0; i < count; i++) {
    const byte = bytes[i]!;
    const high = HEX_DIGITS.charCodeAt(byte >> 4);
    const low = HEX_DIGITS.charCodeAt(byte & 15);
    shown[length + 2 * i] = high;
    shown[length + 2 * i + 1] = low;
    swapped[length + 2 * (count - 1 - i)] = high;
    swapped[length + 2 * (count - 1 - i) + 1] = low;
  }
  digits.length += 2 * count;
  digits.wide ||= count > 1;
}

/** One group's bytes, reused: a group holds 8 bytes at most (`xxd -b -g 8`). */
const groupBytes = [0, 0, 0, 0, 0, 0, 0, 0];

/** The widest group read: `xxd -g0 -c32` prints a line as one group of 64 digits. */
const MAX_GROUP = 64;

/**
 * `text[start, end)` read as a line of grouped hex (`xxd`, `hexdump -C`, `od -x`), its digits added to `digits`: LINE_BYTES,
 * LINE_OTHER for an offset alone (the closing line of `hexdump` and `od`), LINE_NONE when it is
 * not one (then `digits` is as it was). Every group has an even count of digits, the first
 * group's count or fewer for the last (a short line's end).
 */
function hexLine(text: string, start: number, end: number, digits: DumpDigits): number {
  const head = lineHead(text, start, end);
  if (head < 0) return headAnswer(head);
  const xxd = afterColon(text, start, head);
  let at = head;
  let width = 0;
  let short = false;
  while (at < end) {
    const group = nextGroup(text, at, end, xxd, width === 0);
    if (group === NO_MORE_GROUPS) break;
    if (group === NO_GAP) return LINE_NONE;
    at = group;
    while (at < end && at - group <= MAX_GROUP && isHexDigit(text.charCodeAt(at))) at++;
    const length = at - group;
    const fits = width === 0 || length <= width;
    if (length === 0 || length % 2 !== 0 || length > MAX_GROUP || short || !fits) return LINE_NONE;
    if (at < end && text.charCodeAt(at) !== SPACE) return LINE_NONE;
    if (width === 0) width = length;
    short = length < width;
    room(digits, length);
    const { shown, swapped, length: at0 } = digits;
    // A byte at a time, lower case (`| 0x20` turns A-F into a-f and leaves digits as they are),
    // and in the mirror place of the group: byte 0 of n is byte n-1 reversed.
    for (let digit = 0; digit < length; digit += 2) {
      const high = text.charCodeAt(group + digit) | 0x20;
      const low = text.charCodeAt(group + digit + 1) | 0x20;
      shown[at0 + digit] = high;
      shown[at0 + digit + 1] = low;
      swapped[at0 + length - 2 - digit] = high;
      swapped[at0 + length - 1 - digit] = low;
    }
    digits.length += length;
  }
  if (width === 0) return LINE_NONE;
  digits.wide ||= width > 2;
  return LINE_BYTES;
}

/** The forms read, one reader each (the `kind` passed to dumpLine); grouped hex first. */
const HEX = 0;
const CHARACTERS = 1;
const C_ARRAY = 2;
const NUMBERS = 3;
/**
 * Number columns: `od -b`, `hexdump -b` (3 octal digits a byte); `od`, `hexdump -o` (6 octal
 * digits a little-endian 2-byte word); `od -d`, `hexdump -d` (up to 5 decimal digits a word,
 * padded with spaces or zeros); `xxd -b` (8 bits a byte, `-g N` N bytes a group).
 */
const NUMBER_COLUMNS = [
  { radix: 8, minDigits: 3, maxDigits: 3, bytes: 1 },
  { radix: 8, minDigits: 6, maxDigits: 6, bytes: 2 },
  { radix: 10, minDigits: 1, maxDigits: 5, bytes: 2 },
  { radix: 2, minDigits: 8, maxDigits: 64, bytes: 0 },
] as const;
export const DUMP_KINDS = NUMBERS + NUMBER_COLUMNS.length;

/**
 * `text[start, end)` read as a line of the dump form `kind` (0 to DUMP_KINDS - 1), its bytes
 * added to `digits`: LINE_BYTES, LINE_OTHER for a `*` line or an offset alone (the closing line
 * of `hexdump` and `od`), LINE_NONE when it is not one (then `digits` is as it was).
 */
export function dumpLine(text: string, start: number, end: number, digits: DumpDigits, kind: number): number {
  if (end - start === 1 && text.charCodeAt(start) === STAR) return repeated(digits);
  const before = digits.length;
  const found =
    kind === HEX
      ? hexLine(text, start, end, digits)
      : kind === CHARACTERS
        ? characterLine(text, start, end, digits)
        : kind === C_ARRAY
          ? cArrayLine(text, start, end, digits)
          : numberLine(text, start, end, digits, kind - NUMBERS);
  if (found === LINE_NONE) digits.length = before;
  return found;
}

/**
 * A `*` line: the repeated lines are not shown, so no form is looked for across the gap (a mark
 * no form holds). Grows the buffers only when full: growing on every `*` line doubled them each
 * time (30 lines: 8 GB).
 */
function repeated(digits: DumpDigits): number {
  room(digits, 1);
  digits.shown[digits.length] = BAR;
  digits.swapped[digits.length++] = BAR;
  return LINE_OTHER;
}

/** `od -c` and `hexdump -c`: after the offset, a cell of 4 characters a byte. */
function characterLine(text: string, start: number, end: number, digits: DumpDigits): number {
  let at = offsetEnd(text, start, end);
  if (at < 0) return LINE_NONE;
  if (at === end) return LINE_OTHER;
  if ((end - at) % 4 !== 0) return LINE_NONE;
  for (; at < end; at += 4) {
    const byte = cellByte(text, at);
    if (byte < 0) return LINE_NONE;
    groupBytes[0] = byte;
    pushBytes(digits, groupBytes, 1);
  }
  return LINE_BYTES;
}

/** Escapes `od -c` and `hexdump -c` print for control bytes, by the letter after the backslash. */
const ESCAPES: Readonly<Record<string, number>> = { '0': 0, a: 7, b: 8, f: 12, n: 10, r: 13, t: 9, v: 11 };

/** The byte a cell shows: `   k` a printable character, `  \n` an escape, ` 303` octal; -1 when none. */
function cellByte(text: string, at: number): number {
  if (text.charCodeAt(at) !== SPACE) return -1;
  const second = text.charCodeAt(at + 1);
  const third = text.charCodeAt(at + 2);
  const last = text.charCodeAt(at + 3);
  if (second === SPACE && third === SPACE) return last >= 32 && last <= 126 ? last : -1;
  if (second === SPACE && third === BACKSLASH) return ESCAPES[text[at + 3]!] ?? -1;
  const octal = second >= 48 && second <= 51 && isOctalDigit(third) && isOctalDigit(last);
  return octal ? (second - 48) * 64 + (third - 48) * 8 + (last - 48) : -1;
}

function isOctalDigit(code: number): boolean {
  return code >= 48 && code <= 55;
}

/** The value of a digit in `radix` (2, 8 or 10), or -1. */
function digitValue(code: number, radix: number): number {
  const value = code - 48;
  return value >= 0 && value < radix ? value : -1;
}

/**
 * A line of numbers after the offset (`xxd -b`'s with a colon and its characters column after
 * two spaces; `od -t o1z`'s `>…<`), each in `NUMBER_COLUMNS[column]`'s radix and width.
 */
function numberLine(text: string, start: number, end: number, digits: DumpDigits, column: number): number {
  const { radix, minDigits, maxDigits, bytes } = NUMBER_COLUMNS[column]!;
  const head = lineHead(text, start, end);
  if (head < 0) return headAnswer(head);
  const xxd = afterColon(text, start, head);
  let at = head;
  let groups = 0;
  while (at < end) {
    const first = nextGroup(text, at, end, xxd, groups === 0);
    if (first === NO_MORE_GROUPS) break;
    if (first === NO_GAP) return LINE_NONE;
    at = first;
    let value = 0;
    while (at < end && at - first < maxDigits && digitValue(text.charCodeAt(at), radix) >= 0) {
      value = value * radix + digitValue(text.charCodeAt(at), radix);
      at++;
    }
    const length = at - first;
    if (length < minDigits || (at < end && text.charCodeAt(at) !== SPACE)) return LINE_NONE;
    if (radix === 2) {
      // Bits: 8 a byte, as many bytes as the group's width says (no number holds 64 bits).
      if (length % 8 !== 0) return LINE_NONE;
      for (let byte = 0; byte < length / 8; byte++) groupBytes[byte] = bitsByte(text, first + 8 * byte);
      pushBytes(digits, groupBytes, length / 8);
    } else {
      if (value >= 256 ** bytes) return LINE_NONE;
      // Shown most significant byte first, as the number reads; the reversed copy is memory order.
      for (let byte = 0; byte < bytes; byte++) groupBytes[byte] = (value >> (8 * (bytes - 1 - byte))) & 255;
      pushBytes(digits, groupBytes, bytes);
    }
    groups++;
  }
  return groups === 0 ? LINE_NONE : LINE_BYTES;
}

function bitsByte(text: string, at: number): number {
  let byte = 0;
  for (let bit = 0; bit < 8; bit++) byte = 2 * byte + (text.charCodeAt(at + bit) - 48);
  return byte;
}

/** `xxd -i`: `  0x73, 0x6b, 0x2d,` (`0X73` with `-u`), a byte a number, the last without a comma. */
function cArrayLine(text: string, start: number, end: number, digits: DumpDigits): number {
  let at = start;
  let count = 0;
  while (at < end) {
    while (at < end && text.charCodeAt(at) === SPACE) at++;
    if (at === end) break;
    const x = text.charCodeAt(at + 1) | 0x20;
    if (at + 4 > end || text.charCodeAt(at) !== 48 || x !== 120) return LINE_NONE;
    const high = text.charCodeAt(at + 2);
    const low = text.charCodeAt(at + 3);
    if (!isHexDigit(high) || !isHexDigit(low)) return LINE_NONE;
    groupBytes[0] = 16 * hexValue(high) + hexValue(low);
    pushBytes(digits, groupBytes, 1);
    count++;
    at += 4;
    if (at < end && text.charCodeAt(at) !== COMMA) return LINE_NONE;
    at++;
  }
  return count === 0 ? LINE_NONE : LINE_BYTES;
}
