import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import {
  countTokensBounded,
  EXACT_CHARS,
  SAMPLE_CHARS,
  SAMPLES,
  SNAP_CHARS,
} from '../src/catalog/bounded-count.js';
import { estimateTokens, estimatorPieces, estimatorWork } from '../src/catalog/estimate.js';
import { countTokens, utf8Bytes } from '../src/catalog/index.js';

const require = createRequire(import.meta.url);
const o200k = require('gpt-tokenizer/cjs/encoding/o200k_base') as {
  countTokens(text: string, options: { disallowedSpecial: Set<string> }): number;
};
const exact = (text: string): number => o200k.countTokens(text, { disallowedSpecial: new Set() });

/** Deterministic pseudo-random text over `alphabet` (a small LCG). */
function randomText(length: number, alphabet: readonly string[], seed = 12345): string {
  let state = seed;
  const parts: string[] = [];
  let size = 0;
  while (size < length) {
    state = (state * 1103515245 + 12345) & 0x7fffffff;
    const char = alphabet[state % alphabet.length]!;
    parts.push(char);
    size += char.length;
  }
  return parts.join('');
}

const MB = 1 << 20;
// Shapes that froze the old exact encoder (quadratic in one pre-tokenizer piece) or that a
// hostile prompt or tool output could take. Each is a single piece or a long run of tiny ones.
const HOSTILE: Record<string, string> = {
  'a 10 MB single word': 'a'.repeat(10 * MB),
  '1 MB of one repeated character': '='.repeat(MB),
  'deeply nested JSON objects': `${'{"a":'.repeat(200_000)}1${'}'.repeat(200_000)}`,
  'deeply nested JSON arrays': `${'['.repeat(MB / 2)}${']'.repeat(MB / 2)}`,
  'random letters without a break': randomText(MB, [...'abcdefghijklmnopqrstuvwxyz']),
  'CJK without punctuation': randomText(MB, [...'中文字符汉语言测试数据']),
  'astral letters': randomText(MB, [...'𝒜𝒞𝒟𝒢𝒥𝒦𝒩𝒪𝒫𝒬']),
  'emoji without a break': '😀🚀👨‍👩‍👧'.repeat(MB / 12),
  'combining marks': `a${'\u0301'.repeat(MB)}`,
  spaces: `${' '.repeat(MB)}x`,
  'punctuation then newlines and slashes': `!${'\n/'.repeat(MB / 2)}`,
  digits: '7'.repeat(MB),
};

/** The exact count of a 20,000-character prefix, cut in 128-character chunks (the encoder is quadratic in one piece), scaled to the text. */
function approximateTruth(text: string): number {
  const prefix = text.slice(0, 20_000).replace(/[\ud800-\udbff]$/, '');
  let tokens = 0;
  for (let at = 0; at < prefix.length; ) {
    let end = Math.min(prefix.length, at + 128);
    if (/[\udc00-\udfff]/.test(prefix[end] ?? '')) end--;
    tokens += exact(prefix.slice(at, end));
    at = end;
  }
  return (tokens * text.length) / prefix.length;
}

describe('estimator work', () => {
  it.each(Object.entries(HOSTILE))('is linear on %s', (_name, text) => {
    const sample = text.slice(0, MB);
    const work = estimatorWork(sample);
    // Every character read once in its piece, and at most twice again (a long word's letters,
    // a whitespace piece, capitals after a caseless letter), whatever the shape.
    expect(work.chars).toBeGreaterThanOrEqual(sample.length);
    expect(work.chars).toBeLessThanOrEqual(3 * sample.length);
    expect(work.pieces).toBeLessThanOrEqual(sample.length);
  });

  it.each(Object.entries(HOSTILE))('cuts %s into pieces that make up the text', (_name, text) => {
    const sample = text.slice(0, 64 * 1024).replace(/[\ud800-\udbff]$/, '');
    expect(estimatorPieces(sample).join('')).toBe(sample);
  });
});

describe('countTokensBounded', () => {
  it('estimates a text up to EXACT_CHARS whole, in one call', () => {
    const seen: string[] = [];
    const text = 'Context budgets need counts that are close to the truth. '.repeat(EXACT_CHARS / 64);
    expect(text.length).toBeLessThanOrEqual(EXACT_CHARS);
    countTokensBounded(text, (chunk) => {
      seen.push(chunk);
      return estimateTokens(chunk);
    });
    expect(seen).toEqual([text]);
  });

  it.each(Object.entries(HOSTILE).filter(([, text]) => text.length > EXACT_CHARS))(
    'looks at SAMPLES windows of %s, however long',
    (_name, text) => {
      const seen: string[] = [];
      countTokensBounded(text, (chunk) => {
        seen.push(chunk);
        return estimateTokens(chunk);
      });
      expect(seen.length).toBeLessThanOrEqual(SAMPLES);
      const work = seen.reduce((sum, chunk) => sum + chunk.length, 0);
      expect(work).toBeLessThanOrEqual(SAMPLES * (SAMPLE_CHARS + SNAP_CHARS));
    },
  );

  it('scales the samples of an ordinary long text close to its whole estimate', () => {
    const prose = 'Context budgets need token counts that are close to the truth, and safe. ';
    const code = 'export function add(a: number, b: number): number {\n  return a + b;\n}\n';
    const text = randomText(3 * EXACT_CHARS, [
      prose,
      code,
      'ünïcödé wörds ',
      '数据 ',
      '12345 ',
      '{"k": [1, 2]} ',
    ]);
    const ratio = countTokens(text) / estimateTokens(text);
    expect(ratio).toBeGreaterThanOrEqual(0.98);
    expect(ratio).toBeLessThan(1.08);
  });
});

describe('countTokens on hostile text', () => {
  it.each(Object.entries(HOSTILE))(
    'counts %s within its byte bound and not far below the truth',
    (_name, text) => {
      const count = countTokens(text);
      expect(count).toBeGreaterThanOrEqual(1);
      expect(count).toBeLessThanOrEqual(utf8Bytes(text));
      // Garbage may be over-counted (a budget errs on that side), but never far under.
      const truth = approximateTruth(text);
      expect(count).toBeGreaterThan(truth * 0.65);
      expect(count).toBeLessThan(truth * 3);
    },
    30_000,
  );
});
