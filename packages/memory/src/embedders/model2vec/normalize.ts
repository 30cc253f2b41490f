/**
 * The normalizer and pre-tokenizer stages of a Hugging Face tokenizer.json, for the BERT-style
 * pipelines potion models use: text → normalized text → words for WordPiece.
 *
 * Semantics follow huggingface/tokenizers (normalizers/bert.rs, pre_tokenizers/bert.rs):
 * - BertNormalizer runs clean_text, then handle_chinese_chars, then strip_accents, then
 *   lowercase. strip_accents = null means "strip when lowercasing" (original BERT). Accents
 *   are stripped before lowercasing.
 * - clean_text drops U+0000, U+FFFD and "other" characters (Unicode category C: Cc, Cf, Cs,
 *   Co, Cn) except tab, newline and carriage return, and turns every White_Space character
 *   into a plain space.
 * - strip_accents is NFD, then dropping non-spacing marks (category Mn).
 * - handle_chinese_chars puts spaces around CJK ideographs (the blocks listed below) so each
 *   becomes its own word; Hangul, Hiragana and Katakana are space-separated scripts and are
 *   left alone.
 * - BertPreTokenizer splits on White_Space (dropped) and isolates every punctuation character:
 *   ASCII punctuation (which includes symbols like $ + < = > ^ ` | ~) or Unicode category P.
 */

export type Normalize = (text: string) => string;
export type PreTokenize = (text: string) => string[];

const WHITESPACE = /^\p{White_Space}$/u;
const OTHER = /^\p{C}$/u;
const NON_SPACING_MARKS = /\p{Mn}/gu;
const PUNCTUATION = /^(?:[!-/:-@[-`{-~]|\p{P})$/u;

export class UnsupportedTokenizerError extends Error {
  constructor(source: string, what: string) {
    super(
      `${source}: ${what} is not supported (model2vec potion models use BertNormalizer, BertPreTokenizer, WordPiece)`,
    );
    this.name = 'UnsupportedTokenizerError';
  }
}

/** Builds the normalizer described by tokenizer.json's "normalizer" section (null: identity). */
export function buildNormalizer(spec: unknown, source: string): Normalize {
  if (spec === null || spec === undefined) return (text) => text;
  const { type, ...options } = spec as { type?: unknown } & Record<string, unknown>;
  switch (type) {
    case 'BertNormalizer':
      return bertNormalizer(options);
    case 'Lowercase':
      return (text) => text.toLowerCase();
    case 'StripAccents':
      return (text) => text.replace(NON_SPACING_MARKS, '');
    case 'NFD':
    case 'NFC':
    case 'NFKD':
    case 'NFKC':
      return (text) => text.normalize(type);
    case 'Sequence': {
      const steps = arrayOf(options.normalizers, source, 'normalizer Sequence').map((step) =>
        buildNormalizer(step, source),
      );
      return (text) => steps.reduce((current, step) => step(current), text);
    }
    default:
      throw new UnsupportedTokenizerError(source, `normalizer ${JSON.stringify(type)}`);
  }
}

function bertNormalizer(options: Record<string, unknown>): Normalize {
  const cleanText = options.clean_text !== false;
  const handleChineseChars = options.handle_chinese_chars !== false;
  const lowercase = options.lowercase !== false;
  const stripAccents = typeof options.strip_accents === 'boolean' ? options.strip_accents : lowercase;
  return (text) => {
    let out = text;
    if (cleanText) out = cleanTextOf(out);
    if (handleChineseChars) out = spaceChineseChars(out);
    if (stripAccents) out = out.normalize('NFD').replace(NON_SPACING_MARKS, '');
    if (lowercase) out = out.toLowerCase();
    return out;
  };
}

function cleanTextOf(text: string): string {
  let out = '';
  for (const char of text) {
    if (char === '\u0000' || char === '\ufffd') continue;
    if (WHITESPACE.test(char)) out += ' ';
    else if (!OTHER.test(char)) out += char;
  }
  return out;
}

function spaceChineseChars(text: string): string {
  let out = '';
  for (const char of text) out += isChineseChar(char.codePointAt(0) ?? 0) ? ` ${char} ` : char;
  return out;
}

/** The CJK Unified Ideographs blocks and extensions, as BERT defines "Chinese character". */
function isChineseChar(cp: number): boolean {
  return (
    (cp >= 0x4e00 && cp <= 0x9fff) ||
    (cp >= 0x3400 && cp <= 0x4dbf) ||
    (cp >= 0x20000 && cp <= 0x2a6df) ||
    (cp >= 0x2a700 && cp <= 0x2b73f) ||
    (cp >= 0x2b740 && cp <= 0x2b81f) ||
    (cp >= 0x2b920 && cp <= 0x2ceaf) ||
    (cp >= 0xf900 && cp <= 0xfaff) ||
    (cp >= 0x2f800 && cp <= 0x2fa1f)
  );
}

/** Builds the pre-tokenizer described by tokenizer.json's "pre_tokenizer" section. */
export function buildPreTokenizer(spec: unknown, source: string): PreTokenize {
  if (spec === null || spec === undefined) return (text) => (text === '' ? [] : [text]);
  const { type, ...options } = spec as { type?: unknown } & Record<string, unknown>;
  switch (type) {
    case 'BertPreTokenizer':
      return (text) => splitWords(text, true);
    case 'WhitespaceSplit':
      return (text) => splitWords(text, false);
    case 'Sequence': {
      const steps = arrayOf(options.pretokenizers, source, 'pre_tokenizer Sequence').map((step) =>
        buildPreTokenizer(step, source),
      );
      return (text) => steps.reduce<string[]>((words, step) => words.flatMap(step), [text]);
    }
    default:
      throw new UnsupportedTokenizerError(source, `pre_tokenizer ${JSON.stringify(type)}`);
  }
}

function splitWords(text: string, isolatePunctuation: boolean): string[] {
  const words: string[] = [];
  let word = '';
  for (const char of text) {
    if (WHITESPACE.test(char)) {
      if (word) words.push(word);
      word = '';
    } else if (isolatePunctuation && PUNCTUATION.test(char)) {
      if (word) words.push(word);
      words.push(char);
      word = '';
    } else {
      word += char;
    }
  }
  if (word) words.push(word);
  return words;
}

function arrayOf(value: unknown, source: string, what: string): unknown[] {
  if (!Array.isArray(value)) throw new UnsupportedTokenizerError(source, `${what} without a list`);
  return value;
}
