/**
 * A known secret value replaced wherever it shows, in the forms a server, a program or a model
 * hands it back in: as written, percent-encoded (a URL, a form body), JSON-escaped (a body
 * quoting it), hex-encoded (`xxd -p`, a proxy dumping bytes) and base64 or base64url inside a
 * longer run (`Authorization: Basic base64(user:key)` echoed by a proxy's error, a `Bearer key`
 * header encoded in a debug dump). The one home of those forms: the tool output scrubber
 * (@oxydra/tools redactLiterals, which stored transcripts, the audit chain and the gateway log
 * use too) and provider error messages (@oxydra/provider redactSecrets) both call it. Also where
 * a URL holds a password (urlPassword): the list of secrets to look for takes it from every URL
 * the configuration and the environment give, and the config refuses a store URL holding one;
 * and what an unknown secret looks like (looksLikeRandomToken), for the tool output scrubber and
 * `config show`. All run in every `oxydra run`, so they share this module (one file fewer to
 * load; bench/files-touched.mjs).
 */

import { DUMP_KINDS, type DumpDigits, dumpLine, LINE_BYTES, LINE_NONE, NO_DIGITS } from './dump-forms.js';

/** Characters of a base64 or base64url run; a run holding a secret's encoding is replaced whole. */
const BASE64_CHAR = /[A-Za-z0-9+/_-]/;

/**
 * The shortest base64 core looked for: shorter runs of 6-bit characters turn up by chance, and
 * a secret long enough to be redacted (6 characters or more) gives at least this many.
 */
const MIN_CORE = 6;

/** Forms of one secret, computed once: a few secrets are replaced in every tool result. */
interface SecretForms {
  /**
   * Exact strings: the value, its percent-encoding, its JSON escaping and the hex of its UTF-8
   * bytes in lower and upper case (when they differ). Hex needs no alignment: a byte is always
   * two hex digits, so the secret's bytes show as these wherever they sit in a dump (one wrapped
   * over lines: redactWrappedHex).
   */
  literals: string[];
  /** Base64 and base64url characters that only the secret's bytes decide, at each of the 3 byte alignments. */
  cores: string[];
  /** The hex of its bytes, lower case, for a dump wrapped over lines (wrappedHex). */
  hex: string;
  /**
   * The hex, lower case, of the bytes of each literal and each core: what a file holding the
   * secret in one of those forms shows in a dump's hex columns (redactHexDumps).
   */
  dumpHex: string[];
}

const formsCache = new Map<string, SecretForms>();
/** Bound on the cache: secrets are few, but a host may pass new ones for ever (one per token). */
const MAX_CACHED = 256;

function hex(bytes: Uint8Array): string {
  let out = '';
  for (const byte of bytes) out += byte.toString(16).padStart(2, '0');
  return out;
}

function base64(bytes: Uint8Array): string {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}

/**
 * The characters of base64(prefix + secret) that depend on the secret's bytes alone, for a
 * prefix of 0, 1 and 2 bytes: wherever the secret sits in an encoded text, one of the three
 * appears, whatever comes before or after it. Output character i holds bits [6i, 6i + 6).
 */
function base64Cores(secret: string): string[] {
  const bytes = new TextEncoder().encode(secret);
  const cores: string[] = [];
  for (let shift = 0; shift < 3; shift++) {
    const padded = new Uint8Array(shift + bytes.length);
    padded.set(bytes, shift);
    const encoded = base64(padded);
    const core = encoded.slice(Math.ceil((8 * shift) / 6), Math.floor((8 * (shift + bytes.length)) / 6));
    if (core.length < MIN_CORE) continue;
    cores.push(core, core.replace(/\+/g, '-').replace(/\//g, '_'));
  }
  return [...new Set(cores)];
}

function formsOf(secret: string): SecretForms {
  const cached = formsCache.get(secret);
  if (cached) return cached;
  const hexForm = hex(new TextEncoder().encode(secret));
  const literals = [
    secret,
    encodeURIComponent(secret),
    JSON.stringify(secret).slice(1, -1),
    hexForm,
    hexForm.toUpperCase(),
  ];
  const unique = [...new Set(literals)];
  const cores = base64Cores(secret);
  const encoder = new TextEncoder();
  const dumpHex = [...new Set([...unique, ...cores].map((form) => hex(encoder.encode(form))))];
  const forms = { literals: unique, cores, hex: hexForm, dumpHex };
  if (formsCache.size >= MAX_CACHED) formsCache.clear();
  formsCache.set(secret, forms);
  return forms;
}

/** A list of secrets made ready: its values long enough, once each, longest first, with their forms. */
interface Prepared {
  /** The list's items when it was prepared: a caller may change its array in place. */
  items: readonly (string | undefined)[];
  minLength: number;
  forms: readonly SecretForms[];
}

/**
 * Per secrets array, its preparation: a tool result is scrubbed with the same list each time, so
 * the dedupe and sort run once per list, not per call. Weak, so a dropped list drops its entry.
 */
const preparedCache = new WeakMap<readonly (string | undefined)[], Prepared>();

function preparedForms(secrets: readonly (string | undefined)[], minLength: number): readonly SecretForms[] {
  const cached = preparedCache.get(secrets);
  if (cached && cached.minLength === minLength && sameItems(cached.items, secrets)) return cached.forms;
  const forms = [...new Set(secrets)]
    .filter((value): value is string => value !== undefined && value.length >= minLength)
    .sort((a, b) => b.length - a.length)
    .map((value) => formsOf(value));
  preparedCache.set(secrets, { items: [...secrets], minLength, forms });
  return forms;
}

/** Whether the array still holds what it held: a few reference comparisons, no copying. */
function sameItems(before: readonly (string | undefined)[], now: readonly (string | undefined)[]): boolean {
  if (before.length !== now.length) return false;
  for (let i = 0; i < now.length; i++) if (before[i] !== now[i]) return false;
  return true;
}

/** `text` with every base64 run holding `core` replaced, found by indexOf and a scan (no backtracking). */
function replaceEncoded(text: string, core: string, replacement: string): string {
  let at = text.indexOf(core);
  if (at < 0) return text;
  let out = '';
  let done = 0;
  while (at >= 0) {
    let start = at;
    while (start > done && BASE64_CHAR.test(text[start - 1]!)) start--;
    let end = at + core.length;
    while (end < text.length && BASE64_CHAR.test(text[end]!)) end++;
    while (end < text.length && text[end] === '=') end++;
    out += text.slice(done, start) + replacement;
    done = end;
    at = text.indexOf(core, done);
  }
  return out + text.slice(done);
}

/**
 * `text` with each of `secrets` (at least `minLength` characters; shorter ones would mangle
 * ordinary words) replaced by `replacement` in every form above, the longest secret first so one
 * that contains another is replaced whole.
 */
export function redactSecretForms(
  text: string,
  secrets: readonly (string | undefined)[],
  replacement: string,
  minLength: number,
): string {
  const forms = preparedForms(secrets, minLength);
  // Dumps first: a secret's fragment replaced inside a dump's line would leave the line unread.
  let result = redactHexDumps(text, forms, replacement);
  for (const { literals, cores } of forms) {
    for (const literal of literals) {
      if (result.includes(literal)) result = result.split(literal).join(replacement);
    }
    for (const core of cores) result = replaceEncoded(result, core, replacement);
  }
  return redactWrappedHex(result, forms, replacement);
}

/**
 * Two or more lines of hex digits alone: a dump wrapped at a width (`xxd -p` wraps at 60
 * digits), where a secret's hex may run over a line break. Anchored at line starts with one way
 * to match each line, so the scan is linear.
 */
const HEX_BLOCK = /^[0-9A-Fa-f]+(?:\r?\n[0-9A-Fa-f]+)+$/gm;

/** `text` with every wrapped hex dump holding a secret's bytes replaced whole. */
function redactWrappedHex(text: string, forms: readonly SecretForms[], replacement: string): string {
  if (forms.length === 0 || !text.includes('\n')) return text;
  return text.replace(HEX_BLOCK, (block) => {
    const joined = block.replace(/\r?\n/g, '').toLowerCase();
    return forms.some(({ hex }) => joined.includes(hex)) ? replacement : block;
  });
}

/*
 * A dump as `xxd`, `hexdump` and `od` print it: per line an offset (none with `od -A n`), the
 * bytes as numbers (grouped hex, octal, decimal, bits) or as characters (`od -c`) and, for some,
 * the bytes as characters again (`xxd`: after two spaces; `hexdump -C`: `|…|`; `od -t x1z`:
 * `>…<`); or a C array (`xxd -i`). A 40-character key shows as 16-character fragments on
 * consecutive lines and its hex is cut by spaces, so neither the literals nor redactWrappedHex
 * find it. A run of such lines (with hexdump's and od's `*`, "repeated line", and their closing
 * offset-only line) is read back into the hex of the bytes it shows (dump-forms.ts, a reader a
 * form), once as shown and once with each group's bytes reversed (`od -x`, `hexdump` with no
 * option, `hexdump -o` and `xxd -e` print little-endian words), and replaced whole when either
 * holds a form of a secret. One forward pass over the lines a form; each line is read once a
 * pass, character by character, with no regex (a hostile megabyte line costs one read a pass).
 */

/**
 * A dump's line, at the text's start or a line's: an offset then a group; groups alone (`od -A
 * n`); two character cells (`od -c`); or a C array's byte (`xxd -i`). Without one, nothing to do.
 * Each part is a bounded run at a line start or a fixed string: no backtracking blowup.
 */
const DUMP_HINT =
  /(?:^|\n)(?:[0-9A-Fa-f]{4,16}:? +[0-9A-Fa-f]{2}|(?: +[0-9A-Fa-f]{2,16}){3}|[0-9A-Fa-f]{0,16}(?: {3}[!-~]| {2}\\[0abfnrtv]| [0-3][0-7]{2}){2})|0[xX][0-9A-Fa-f]{2},/;
const CARRIAGE_RETURN = 13;

/** `text` with every dump of `xxd`, `hexdump` or `od` whose bytes hold a secret's form replaced whole. */
function redactHexDumps(text: string, forms: readonly SecretForms[], replacement: string): string {
  if (forms.length === 0 || !DUMP_HINT.test(text)) return text;
  let result = text;
  for (let kind = 0; kind < DUMP_KINDS; kind++) result = redactDumpRuns(result, forms, kind, replacement);
  return result;
}

/** `text` with every run of lines of the dump form `kind` whose bytes hold a secret's form replaced whole. */
function redactDumpRuns(
  text: string,
  forms: readonly SecretForms[],
  kind: number,
  replacement: string,
): string {
  let out = '';
  let done = 0;
  let blockStart = -1;
  let blockEnd = -1;
  const digits: DumpDigits = { shown: NO_DIGITS, swapped: NO_DIGITS, length: 0, wide: false, bytes: false };
  const closeBlock = () => {
    if (digits.bytes && dumpHoldsSecret(digits, forms)) {
      out += text.slice(done, blockStart) + replacement;
      done = blockEnd;
    }
    blockStart = -1;
    digits.length = 0;
    digits.wide = false;
    digits.bytes = false;
  };
  for (let start = 0; start <= text.length; ) {
    let next = text.indexOf('\n', start);
    if (next < 0) next = text.length;
    const end = next > start && text.charCodeAt(next - 1) === CARRIAGE_RETURN ? next - 1 : next;
    const found = dumpLine(text, start, end, digits, kind);
    if (found === LINE_NONE) closeBlock();
    else {
      digits.bytes ||= found === LINE_BYTES;
      if (blockStart < 0) blockStart = start;
      blockEnd = end;
    }
    start = next + 1;
  }
  closeBlock();
  return done === 0 ? text : out + text.slice(done);
}

const ascii = new TextDecoder();

function dumpHoldsSecret(digits: DumpDigits, forms: readonly SecretForms[]): boolean {
  const shown = ascii.decode(digits.shown.subarray(0, digits.length));
  const swapped = digits.wide ? ascii.decode(digits.swapped.subarray(0, digits.length)) : undefined;
  return forms.some(({ dumpHex }) =>
    dumpHex.some((form) => shown.includes(form) || swapped?.includes(form) === true),
  );
}

/**
 * A URL's password (a postgres:// URL's, an OTLP endpoint's): after the user (`user:secret@`), else its `password` parameter,
 * which the driver (pg-connection-string) reads as one too. Undefined when it has none, or the
 * string does not parse (it has none to hide). The one reading of it: the config refuses a URL
 * that holds one (holdsPassword), the PostgreSQL store scrubs it from the driver's messages.
 */
export function urlPassword(url: string): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return undefined;
  }
  const password = decodedOrRaw(parsed.password) || (parsed.searchParams.get('password') ?? '');
  return password === '' ? undefined : password;
}

/** A bad %-escape is still a password: kept as written rather than lost. */
function decodedOrRaw(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/*
 * An unknown secret's shape: a long random token. The one rule for it, used by the tool output
 * scrubber (@oxydra/tools redactHighEntropy) and `config show` (secret-shapes.ts looksLikeSecret,
 * masking an MCP server's argument). A token is a run of at least 24 base64/base64url/JWT
 * characters that mixes letters and digits, is less than half words (40% where identifiers are
 * spared) and carries at least 3.8 bits of Shannon entropy per character (hex, whose 16 symbols
 * cap it at 4, needs no floor). Names are exempt, since camelCase with a digit reaches 3.8 bits
 * easily: names made mostly of words (`createV2ResponsesAdapter`), and names whose `_`/`-`/`.`
 * parts are each all letters or all digits (`ERR_INVALID_ARG_1234`, `claude-3-5-sonnet-20241022`). By chance a random base62 key
 * slips through the word test (measured) 3 times in 100 at 32 characters and 1 in 400 at 64, and
 * where identifiers are spared 8 in 100 and 2 in 100; keys announced by a keyword, and the
 * literal keys the process holds, are redacted by the scrubber's earlier rules anyway.
 */

/** Base64, base64url, JWT and key characters; `=` only as trailing padding, so `id=…` keeps its key. */
const TOKEN_CHARS = 'A-Za-z0-9_+/.~-';
const MIN_TOKEN_LENGTH = 24;
/**
 * Runs of token characters to test in a text: 24 to 512 long, longer ones are data (an image, an
 * archive) rather than a key. The scrubber scans with it (a regex source, flags its own).
 */
export const TOKEN_RUN_SOURCE = `(?<![${TOKEN_CHARS}])[${TOKEN_CHARS}]{${MIN_TOKEN_LENGTH},512}={0,3}(?![=${TOKEN_CHARS}])`;
const TOKEN = new RegExp(`^[${TOKEN_CHARS}]{${MIN_TOKEN_LENGTH},}={0,3}$`);
const MIN_BITS_PER_CHAR = 3.8;
/** A word: an optional capital and three or more lower-case letters. */
const WORD = /[A-Z]?[a-z]{3,}/g;
/**
 * A token this share words or more is a name. Where names are spared the bar is lower: the model
 * must read `kernel.db.untrusted-20261124T201500` (43% words), while `config show` masks more.
 */
const MAX_WORD_SHARE = 0.5;
const MAX_WORD_SHARE_SPARING = 0.4;
const WORDS_AND_NUMBERS = /^(?:[A-Za-z]+|[0-9]+)(?:[_.-](?:[A-Za-z]+|[0-9]+))+$/;
const PURE_HEX = /^[0-9a-f-]+$/i;
const NOTE_ID = /^note-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface RandomTokenOptions {
  /**
   * Spare the identifiers a reader works with and a key is not: pure hex (commit hashes, UUIDs,
   * digests), `note-<uuid>` memory ids, paths with three or more `/`, and names 40% words or more
   * (file names with a time stamp). Tool output sets it, the model needs them; what is only shown
   * (`config show`) leaves it off and masks them, which costs nothing there and catches a hex token.
   */
  spareIdentifiers?: boolean;
}

/** Whether `token`, whole, is a long random token (the rule above). */
export function looksLikeRandomToken(token: string, options: RandomTokenOptions = {}): boolean {
  if (!TOKEN.test(token)) return false;
  // A dot may end the sentence rather than belong to the token ("Saved note note-<uuid>.").
  const bare = withoutTrailingDots(token);
  const hexOnly = PURE_HEX.test(bare);
  if (options.spareIdentifiers && (hexOnly || NOTE_ID.test(bare) || slashes(token) >= 3)) return false;
  // Mixed classes: words, snake_case and kebab-case names have no digits; numbers have no letters.
  if (!/[A-Za-z]/.test(token) || !/[0-9]/.test(token)) return false;
  const maxWordShare = options.spareIdentifiers ? MAX_WORD_SHARE_SPARING : MAX_WORD_SHARE;
  if (WORDS_AND_NUMBERS.test(token) || wordShare(token) >= maxWordShare) return false;
  // Hex has 16 symbols, at most 4 bits a character: most random hex falls under the floor.
  return hexOnly || shannonEntropy(token) >= MIN_BITS_PER_CHAR;
}

function shannonEntropy(text: string): number {
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

function slashes(token: string): number {
  let count = 0;
  for (const char of token) if (char === '/') count++;
  return count;
}

/** `token` without trailing dots, by a scan from the end (`/\.+$/` retries from every dot of a long run). */
function withoutTrailingDots(token: string): string {
  let end = token.length;
  while (end > 0 && token[end - 1] === '.') end--;
  return token.slice(0, end);
}
