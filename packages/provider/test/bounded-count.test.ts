import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import {
  boundedChunks,
  countTokensBounded,
  EXACT_CHARS,
  MAX_PIECE_CHARS,
  SAMPLE_CHARS,
  SAMPLES,
} from '../src/catalog/bounded-count.js';
import { countTokens } from '../src/catalog/index.js';

const require = createRequire(import.meta.url);
const { O200K_TOKEN_SPLIT_REGEX } = require('gpt-tokenizer/cjs/encodingParams/constants') as {
  O200K_TOKEN_SPLIT_REGEX: RegExp;
};
const o200k = require('gpt-tokenizer/cjs/encoding/o200k_base') as {
  countTokens(text: string, options: { disallowedSpecial: Set<string> }): number;
};
const pieces = new RegExp(O200K_TOKEN_SPLIT_REGEX.source, O200K_TOKEN_SPLIT_REGEX.flags);
const exact = (text: string): number => o200k.countTokens(text, { disallowedSpecial: new Set() });

/** Deterministic pseudo-random text over `alphabet` (a small LCG). */
function randomText(length: number, alphabet: readonly string[], seed = 12345): string {
  let state = seed;
  let text = '';
  while (text.length < length) {
    state = (state * 1103515245 + 12345) & 0x7fffffff;
    text += alphabet[state % alphabet.length];
  }
  return text;
}

const longestPiece = (text: string): number =>
  Math.max(0, ...Array.from(text.matchAll(pieces), (match) => match[0].length));

// Each of these is one pre-tokenizer piece of 150,000 characters: the encoder's byte-pair merge
// is quadratic in it (tens of seconds to hours before the fix).
const HOSTILE: Record<string, string> = {
  'one letter': 'a'.repeat(150_000),
  'random letters': randomText(150_000, [...'abcdefghijklmnopqrstuvwxyz']),
  'CJK without punctuation': randomText(150_000, [...'中文字符汉语言测试数据']),
  'astral letters': randomText(150_000, [...'𝒜𝒞𝒟𝒢𝒥𝒦𝒩𝒪𝒫𝒬']),
  spaces: `${' '.repeat(150_000)}x`,
  'punctuation then newlines and slashes': `!${'\n/'.repeat(75_000)}`,
  'a repeated symbol': '='.repeat(150_000),
};

describe('boundedChunks', () => {
  it.each(Object.entries(HOSTILE))(
    'cuts %s into pieces the encoder handles in bounded time',
    (_name, text) => {
      expect(longestPiece(text)).toBeGreaterThan(MAX_PIECE_CHARS);
      const chunks = boundedChunks(text, pieces);
      expect(chunks.join('')).toBe(text);
      for (const chunk of chunks) {
        expect(longestPiece(chunk)).toBeLessThanOrEqual(MAX_PIECE_CHARS);
        // No cut separates the halves of a surrogate pair.
        expect(chunk).not.toMatch(/^[\udc00-\udfff]|[\ud800-\udbff]$/);
      }
    },
  );

  it('leaves ordinary text whole, so its count stays exact', () => {
    const text = 'The quick brown fox jumps over the lazy dog. '.repeat(150);
    expect(boundedChunks(text, pieces)).toEqual([text]);
    expect(countTokens(text)).toBe(exact(text));
  });
});

describe('countTokensBounded', () => {
  it('encodes at most SAMPLES windows of a long text, in pieces of at most MAX_PIECE_CHARS', () => {
    const encoded: string[] = [];
    const spy = (text: string): number => {
      encoded.push(text);
      return exact(text);
    };
    for (const length of [100_000, 1_000_000]) {
      encoded.length = 0;
      countTokensBounded(randomText(length, [...'abcdefghijklmnopqrstuvwxyz']), spy, pieces);
      const work = encoded.reduce((sum, text) => sum + text.length, 0);
      // The same work for ten times the text: bounded, not growing with it.
      expect(work).toBeLessThanOrEqual(SAMPLES * (SAMPLE_CHARS + 64));
      expect(Math.max(...encoded.map(longestPiece))).toBeLessThanOrEqual(MAX_PIECE_CHARS);
    }
  });

  it('counts texts up to EXACT_CHARS exactly and estimates longer ones a little over', () => {
    const prose = 'Context budgets need token counts that are close to the truth, and safe. ';
    const code = 'export function add(a: number, b: number): number {\n  return a + b;\n}\n';
    const short = (prose + code).repeat(Math.floor(EXACT_CHARS / (prose + code).length));
    expect(countTokens(short)).toBe(exact(short));
    const long = randomText(200_000, [prose, code, 'ünïcödé wörds ', '数据 ', '12345 ', '{"k": [1, 2]} ']);
    const ratio = countTokens(long) / exact(long);
    expect(ratio).toBeGreaterThanOrEqual(1);
    expect(ratio).toBeLessThan(1.12);
  });

  it.each(Object.entries(HOSTILE))(
    'counts %s (150,000 characters) close to its true count',
    (_name, text) => {
      const count = countTokens(text);
      // Cutting long pieces only adds tokens at the cuts; the count never falls below the truth
      // by more than the sampling error.
      const prefix = boundedChunks(text.slice(0, 20_000), pieces);
      const truth = prefix.reduce((sum, chunk) => sum + exact(chunk), 0) * (text.length / 20_000);
      expect(count).toBeGreaterThan(truth * 0.9);
      expect(count).toBeLessThan(truth * 1.3);
    },
    10_000,
  );
});
