/**
 * A token estimate without BPE tables: linear in the text, a few kilobytes of code and tables,
 * synchronous and deterministic. It aims at the counts of OpenAI's o200k_base encoding (GPT-4o
 * and later) and leans over them, since a context budget should not under-count.
 *
 * 1. The text is cut into the pieces o200k's pre-tokenizer makes (O200K_PIECE_PATTERN; BPE never
 *    merges across them) by a hand-written scanner over a table of character classes, which
 *    reproduces the pattern's pieces exactly: running the regex itself, with its Unicode
 *    property classes, costs several times as much.
 * 2. Each piece is costed by its kind, length and characters: an ASCII word is about one token
 *    when short and grows slowly with length, faster when it is all capitals or mixed-case or
 *    led by punctuation that seldom merges with it; a word in another script costs per letter,
 *    by script; digits go by threes, a token each; punctuation by its changes of character;
 *    whitespace about a token a run.
 * 3. High-entropy text (base64, hashes, keys) is dense: ASCII letters, digits and `+/=_-` with no
 *    space, cut by the pre-tokenizer into many short pieces. A dense run of at least
 *    RANDOM_RUN_CHARS with that many pieces and mixed case is costed as random letters, which
 *    BPE splits about every two characters.
 *
 * The costs were fitted piece by piece against gpt-tokenizer's exact o200k_base counts on a
 * varied corpus (prose, code, JSON, CJK, other scripts, emoji, base64; see bench/tokens.mjs and
 * packages/provider/test/fixtures/token-corpus.mjs), then the sum is scaled by ESTIMATE_MARGIN.
 * Its error on one text is a few percent either way for ordinary English, code and JSON, larger
 * for words rare in o200k's vocabulary (names, German compounds, Polish or Turkish, which it
 * can under-count by 10-25%).
 */

import * as characterTable from './char-classes.js';

// Local copies: V8 reads an imported binding through its module cell at every use, ~15% more
// instructions in scan()'s loop (cachegrind, 1 MB of mixed text); a module's own const it reads once.
const {
  CASELESS,
  codeUnits,
  DIGIT,
  GROUP_COST,
  info,
  infoAt,
  LOWER,
  MARK,
  NEWLINE,
  OTHER,
  SPACE,
  TABLE,
  UPPER,
  WIDE,
} = characterTable;

/**
 * What the scanner reproduces: the o200k_base pre-tokenizing pattern, as tiktoken defines it and
 * gpt-tokenizer's O200K_TOKEN_SPLIT_REGEX spells it in JavaScript (flags `gu`). Kept as the
 * specification; the tests check the scanner's pieces against it.
 */
export const O200K_PIECE_PATTERN = String.raw`[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?:'(?:[sS]|[dD]|[mM]|[tT]|[lL][lL]|[vV][eE]|[rR][eE]))?|[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?:'(?:[sS]|[dD]|[mM]|[tT]|[lL][lL]|[vV][eE]|[rR][eE]))?|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+`;

/** The estimate's lean over the fitted costs (measured: 3-10% over per class of the corpus). */
const ESTIMATE_MARGIN = 1.06;

function asciiSet(chars: string): Uint8Array {
  const set = new Uint8Array(128);
  for (const char of chars) set[char.charCodeAt(0)] = 1;
  return set;
}
/** Characters of base64, base64url and the like, which can belong to a dense run. */
const DENSE = asciiSet('+/=_-');
/** Leading punctuation that BPE usually merges with the word after it (`.then`, `(value`). */
const MERGING = asciiSet(".(_<*\\'$%;");

// ---- costs ----

const LEAD_NONE = 0;
const LEAD_SPACE = 1;
const LEAD_MERGING = 2;
const LEAD_OTHER = 3;
const SHAPE_WORD = 0; // lower case or Capitalized
const SHAPE_CAPS = 1;
const SHAPE_MIXED = 2;
/** An ASCII word: max(1, WORD_BASE[lead × 3 + shape] + WORD_PER_CHAR[shape] × length). */
// biome-ignore format: a row per lead (none, space, merging, other), a column per shape
const WORD_BASE = Float64Array.of(
  0.65, 0.63, 1.77,
  0.55, 0.59, 1.27,
  0.65, 0.52, 1.64,
  1.16, 1.46, 2.43,
);
const WORD_PER_CHAR = Float64Array.of(0.09, 0.19, 0.09);
/** Beyond this length no word is in the vocabulary: half a token per change of letter. */
const LONG_WORD = 24;
/** A word with non-ASCII letters: its script costs plus this base by lead (none, space, other). */
const SCRIPT_BASE = Float64Array.of(0.66, 0.16, 0.99);
const SCRIPT_ASCII_CHAR = 0.19;
/** Punctuation and symbols: a BMP symbol, an astral one (emoji), a combining mark. */
const SYMBOL = 1;
const ASTRAL_SYMBOL = 2.05;
const MARK_COST = 1.5;
/** ASCII punctuation: one token up to 3 changes of character, then this per change. */
const PUNCT_PER_CHANGE = 0.55;
/** ASCII punctuation next to symbols, per change of character. */
const MIXED_PUNCT_PER_CHANGE = 0.6;
/**
 * Cost of each repeat of an ASCII punctuation character: runs of one merge, "=====" by 64 to a
 * token but "[[[[[" only by 2 (measured on o200k_base); newlines by 16.
 */
const REPEAT_COST = new Float64Array(128).fill(1 / 16);
for (const [chars, perToken] of [
  ['#*-./=_', 64],
  ['%+~', 32],
  ['!:;\n\r', 16],
  ['<>?@^', 8],
  ['"$\'(),\\|', 4],
  ['&[]`{}', 2],
] as const) {
  for (const char of chars) REPEAT_COST[char.charCodeAt(0)] = 1 / perToken;
}
/** Whitespace runs: o200k merges up to 128 spaces into a token, newlines and tabs up to 16. */
const SPACES_PER_TOKEN = 64;
const WHITESPACE_PER_TOKEN = 16;
/** A dense run this long, with a piece per 1/RANDOM_PIECES_PER_CHAR characters, may be random. */
const RANDOM_RUN_CHARS = 16;
const RANDOM_PIECES_PER_CHAR = 0.27;
/** ...and is when its letters are mixed-case: capitals between this share and its complement. */
const RANDOM_UPPER_SHARE = 0.2;
/** A random piece of n characters: max(1, RANDOM_BASE + RANDOM_PER_CHAR × n). */
const RANDOM_BASE = 0.13;
const RANDOM_PER_CHAR = 0.55;

/**
 * Told each piece [start, end) in order, and each range read again (`again`: the letters of a
 * long word, a whitespace piece's characters), for tests of the work done.
 */
type PieceHook = (start: number, end: number, again: boolean) => void;

/** Cost of a dense run: as random text when it looks random (see the top of this file). */
function runCost(
  chars: number,
  pieces: number,
  letters: number,
  upper: number,
  ordinaryCost: number,
  randomCost: number,
): number {
  const random =
    chars >= RANDOM_RUN_CHARS &&
    pieces >= RANDOM_PIECES_PER_CHAR * chars &&
    upper >= RANDOM_UPPER_SHARE * letters &&
    upper <= (1 - RANDOM_UPPER_SHARE) * letters;
  return random ? Math.max(ordinaryCost, randomCost) : ordinaryCost;
}

function whitespaceCost(codes: Uint16Array, start: number, end: number, hook: PieceHook | undefined): number {
  hook?.(start, end, false);
  hook?.(start, end, true);
  for (let p = start; p < end; p++) {
    if (codes[p]! !== 0x20) return Math.ceil((end - start) / WHITESPACE_PER_TOKEN);
  }
  return Math.ceil((end - start) / SPACES_PER_TOKEN);
}

/** Where the whitespace run whitespace() measured ends, and its leading character (else -1). */
let whitespaceEnd = 0;
let whitespaceLeads = -1;

/**
 * The whitespace run from `start`: up to its last newline one piece; of the spaces after, all but
 * the last one piece, and the last one leads the word or punctuation after it when the pattern
 * says so (then whitespaceLeads is its index and whitespaceEnd where that piece goes on), else is
 * a piece of its own. Returns the cost of the pieces it completed.
 */
function whitespace(codes: Uint16Array, n: number, start: number, hook: PieceHook | undefined): number {
  let e = start;
  let lastNewline = -1;
  while (e < n) {
    const code = codes[e]!;
    if (code === 0x0a || code === 0x0d) lastNewline = e;
    else if (code !== 0x20 && (infoAt(codes, n, e) & 15) !== SPACE) break;
    e++;
  }
  whitespaceEnd = e;
  whitespaceLeads = -1;
  let cost = 0;
  let s = start;
  if (lastNewline >= 0) {
    cost += whitespaceCost(codes, s, lastNewline + 1, hook);
    s = lastNewline + 1;
  }
  if (s === e) return cost;
  if (e === n) return cost + whitespaceCost(codes, s, e, hook);
  if (e - 1 > s) {
    cost += whitespaceCost(codes, s, e - 1, hook);
    s = e - 1;
  }
  const kind = infoAt(codes, n, e) & 15;
  if ((kind >= LOWER && kind <= MARK) || (kind === OTHER && codes[s]! === 0x20)) {
    whitespaceLeads = s;
    return cost;
  }
  return cost + whitespaceCost(codes, s, e, hook);
}

/**
 * The estimate before the margin: one pass over the code units, piece by piece, in one function
 * with its state in locals (the hot loop: about 250,000 pieces a megabyte of prose).
 */
function scan(codes: Uint16Array, hook: PieceHook | undefined): number {
  const n = codes.length;
  let total = 0;
  // The dense run in progress: where it starts (-1: none), its pieces (digit groups and
  // punctuation count half), letters and capitals, and its cost as ordinary and random text.
  let runStart = -1;
  let runPieces = 0;
  let runLetters = 0;
  let runUpper = 0;
  let runOrdinary = 0;
  let runRandom = 0;
  let i = 0;
  while (i < n) {
    let x = infoAt(codes, n, i);
    let kind = x & 15;
    /** Start of the piece, with its leading character if any. */
    let start = i;
    /** Start of its letters (a word) or symbols (punctuation). */
    let from = i;
    let isWord = kind >= LOWER && kind <= MARK;

    if (kind === DIGIT) {
      // Up to three digits: one token when ASCII, else about one a digit.
      let e = i;
      let count = 0;
      let nonAscii = 0;
      while (e < n && count < 3) {
        const y = infoAt(codes, n, e);
        if ((y & 15) !== DIGIT) break;
        if (codes[e]! >= 0x80) nonAscii++;
        e += y & WIDE ? 2 : 1;
        count++;
      }
      hook?.(i, e, false);
      if (nonAscii === 0) {
        if (runStart < 0) {
          runStart = i;
          runPieces = runLetters = runUpper = runOrdinary = runRandom = 0;
        }
        runPieces += 0.5;
        runOrdinary += 1;
        runRandom += 1;
      } else {
        if (runStart >= 0)
          total += runCost(start - runStart, runPieces, runLetters, runUpper, runOrdinary, runRandom);
        runStart = -1;
        total += nonAscii + (count > nonAscii ? 1 : 0);
      }
      i = e;
      continue;
    }

    if (kind === SPACE || kind === NEWLINE) {
      if (runStart >= 0)
        total += runCost(start - runStart, runPieces, runLetters, runUpper, runOrdinary, runRandom);
      runStart = -1;
      const code = i + 1 < n ? codes[i + 1]! : 0;
      if (codes[i]! === 0x20 && code >= 0x41 && code < 0x80 && (TABLE[code]! & 15) <= UPPER) {
        // The common case first: one space, then the ASCII word it leads.
        isWord = true;
        from = i + 1;
      } else {
        total += whitespace(codes, n, i, hook);
        if (whitespaceLeads < 0) {
          i = whitespaceEnd;
          continue;
        }
        start = whitespaceLeads;
        from = whitespaceEnd;
        x = infoAt(codes, n, from);
        kind = x & 15;
        isWord = kind >= LOWER && kind <= MARK;
      }
    } else if (kind === OTHER) {
      // A symbol right before a letter leads the word; else punctuation starts here.
      const next = i + (x & WIDE ? 2 : 1);
      if (next < n) {
        const k = infoAt(codes, n, next) & 15;
        if (k >= LOWER && k <= MARK) {
          isWord = true;
          from = next;
        }
      }
    }

    if (!isWord) {
      // Punctuation and symbols from `from` (after an optional space), then [\r\n/]*.
      let e = from;
      let changes = 0;
      let repeats = 0;
      let previous = -1;
      let symbols = 0;
      let dense = start === from;
      while (e < n) {
        const code = codes[e]!;
        if (code < 0x80) {
          if ((TABLE[code]! & 15) !== OTHER) break;
          if (code !== previous) changes++;
          else repeats += REPEAT_COST[code]!;
          previous = code;
          if (DENSE[code] !== 1) dense = false;
          e++;
        } else {
          const y = info(codes, n, e);
          const k = y & 15;
          if (k !== OTHER && k !== MARK) break;
          symbols += y & WIDE ? ASTRAL_SYMBOL : k === MARK ? MARK_COST : SYMBOL;
          dense = false;
          e += y & WIDE ? 2 : 1;
        }
      }
      while (e < n) {
        const code = codes[e]!;
        if (code !== 0x0a && code !== 0x0d && code !== 0x2f) break;
        if (code !== previous) changes++;
        else repeats += REPEAT_COST[code]!;
        previous = code;
        if (code !== 0x2f) dense = false;
        e++;
      }
      hook?.(start, e, false);
      const cost =
        symbols > 0
          ? symbols + MIXED_PUNCT_PER_CHANGE * changes + repeats
          : Math.max(1, 1 + PUNCT_PER_CHANGE * (changes - 3)) + repeats;
      if (dense) {
        if (runStart < 0) {
          runStart = start;
          runPieces = runLetters = runUpper = runOrdinary = runRandom = 0;
        }
        runPieces += 0.5;
        runOrdinary += cost;
        runRandom += cost;
      } else {
        if (runStart >= 0)
          total += runCost(start - runStart, runPieces, runLetters, runUpper, runOrdinary, runRandom);
        runStart = -1;
        total += cost;
      }
      i = e;
      continue;
    }

    // A word: letters from `from`, after the leading character [start, from) if any. Its end,
    // as alternatives 1 and 2 of the pattern find it: capitals or caseless letters, then lower
    // case; else up to the last caseless letter; else the capitals alone. What the estimate
    // needs of its letters is counted on the way.
    let p = from;
    /** Where its lower case letters start (-1: none). */
    let lowerFrom = -1;
    let lastCaseless = -1;
    /** Code units of its non-ASCII letters, and what they cost. */
    let others = 0;
    let scriptCost = 0;
    while (p < n) {
      const code = codes[p]!;
      if (code < 0x80) {
        const k = TABLE[code]! & 15;
        if (k === LOWER) {
          if (lowerFrom < 0) lowerFrom = p;
        } else if (k !== UPPER || lowerFrom >= 0) {
          break;
        }
        p++;
      } else {
        const y = info(codes, n, p);
        const k = y & 15;
        const width = y & WIDE ? 2 : 1;
        if (k === CASELESS || k === MARK) {
          if (lowerFrom < 0) lastCaseless = p + width;
        } else if (k === LOWER) {
          if (lowerFrom < 0) lowerFrom = p;
        } else if (k !== UPPER || lowerFrom >= 0) {
          break;
        }
        others += width;
        scriptCost += GROUP_COST[(y >> 4) & 15]!;
        p += width;
      }
    }
    let end = p;
    if (lowerFrom < 0 && lastCaseless >= 0 && lastCaseless < p) {
      // Capitals after the last caseless letter start the next piece (rare: mixed scripts).
      end = lastCaseless;
      hook?.(from, end, true);
      others = 0;
      scriptCost = 0;
      for (let q = from; q < end; ) {
        const y = infoAt(codes, n, q);
        const width = y & WIDE ? 2 : 1;
        if (codes[q]! >= 0x80) {
          others += width;
          scriptCost += GROUP_COST[(y >> 4) & 15]!;
        }
        q += width;
      }
    }
    // Capitals before the lower case letters (all of them when there are none).
    const capitals = (lowerFrom < 0 ? end : lowerFrom) - from;
    if (end + 1 < n && codes[end]! === 0x27) {
      // A contraction: 's 'd 'm 't 'll 've 're.
      const a = codes[end + 1]! | 0x20;
      const b = end + 2 < n ? codes[end + 2]! | 0x20 : 0;
      if (a === 0x73 || a === 0x64 || a === 0x6d || a === 0x74) end += 2;
      else if ((a === 0x6c && b === 0x6c) || (a === 0x76 && b === 0x65) || (a === 0x72 && b === 0x65))
        end += 3;
    }
    hook?.(start, end, false);
    i = end;

    let lead = LEAD_NONE;
    let leadCost = 0;
    let dense = true;
    if (from > start) {
      const code = codes[start]!;
      if (code === 0x20) {
        lead = LEAD_SPACE;
        dense = false;
      } else if (code < 0x80) {
        lead = MERGING[code] ? LEAD_MERGING : LEAD_OTHER;
        dense = DENSE[code] === 1;
      } else {
        // A symbol before the word (an emoji, a quotation mark) costs as a symbol of its own.
        leadCost = from - start === 2 ? ASTRAL_SYMBOL : SYMBOL;
        dense = false;
      }
    }
    if (others > 0) {
      if (runStart >= 0)
        total += runCost(start - runStart, runPieces, runLetters, runUpper, runOrdinary, runRandom);
      runStart = -1;
      const base = SCRIPT_BASE[lead === LEAD_OTHER ? LEAD_MERGING : lead]!;
      total += leadCost + Math.max(1, base + scriptCost + SCRIPT_ASCII_CHAR * (end - from - others));
      continue;
    }
    const length = end - from;
    const shape = capitals <= 1 ? SHAPE_WORD : lowerFrom < 0 ? SHAPE_CAPS : SHAPE_MIXED;
    let cost = Math.max(1, WORD_BASE[lead * 3 + shape]! + WORD_PER_CHAR[shape]! * length);
    if (length > LONG_WORD) {
      // No word this long is in the vocabulary: about half a token per change of letter, and
      // runs of one letter ("aaaa") merge by eights.
      hook?.(from, end, true);
      let changes = 1;
      for (let q = from + 1; q < end; q++) if (codes[q]! !== codes[q - 1]!) changes++;
      cost = Math.max(cost, 0.5 * changes + (length - changes) / 8);
    }
    if (dense) {
      if (runStart < 0) {
        runStart = start;
        runPieces = runLetters = runUpper = runOrdinary = runRandom = 0;
      }
      runPieces += 1;
      runLetters += length;
      runUpper += capitals;
      runOrdinary += cost;
      runRandom += Math.max(1, RANDOM_BASE + RANDOM_PER_CHAR * (end - start));
    } else {
      if (runStart >= 0)
        total += runCost(start - runStart, runPieces, runLetters, runUpper, runOrdinary, runRandom);
      runStart = -1;
      total += leadCost + cost;
    }
  }
  return runStart >= 0
    ? total + runCost(n - runStart, runPieces, runLetters, runUpper, runOrdinary, runRandom)
    : total;
}

/**
 * Estimated o200k_base tokens of `text`, a little over: at least 1 for any non-empty text and
 * never more than its UTF-8 length (a token spans at least a byte). Linear time.
 */
export function estimateTokens(text: string): number {
  if (text === '') return 0;
  const estimate = Math.ceil(scan(codeUnits(text), undefined) * ESTIMATE_MARGIN);
  return Math.max(1, Math.min(estimate, Buffer.byteLength(text, 'utf8')));
}

/** The pieces the estimator costs, in order (the pre-tokenizer's pieces), for tests. */
export function estimatorPieces(text: string): string[] {
  const pieces: string[] = [];
  scan(codeUnits(text), (start, end, again) => {
    if (!again) pieces.push(text.slice(start, end));
  });
  return pieces;
}

/** The characters the estimator reads for `text`: its pieces plus what it reads again, for tests. */
export function estimatorWork(text: string): { pieces: number; chars: number } {
  let pieces = 0;
  let chars = 0;
  scan(codeUnits(text), (start, end, again) => {
    if (!again) pieces++;
    chars += end - start;
  });
  return { pieces, chars };
}
