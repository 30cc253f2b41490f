/**
 * The token estimator against gpt-tokenizer's exact o200k_base counts (a devDependency, used
 * here only) on the corpus of fixtures/token-corpus.mjs: real prose, code and JSON from this
 * repository and the recorded provider fixtures, plus generated CJK, other scripts, emoji and
 * base64. bench/tokens.mjs prints the same figures with timings.
 */
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { estimatorPieces, O200K_PIECE_PATTERN } from '../src/catalog/estimate.js';
import { countTokens, utf8Bytes } from '../src/catalog/index.js';
import { tokenCorpus } from './fixtures/token-corpus.mjs';

const require = createRequire(import.meta.url);
const o200k = require('gpt-tokenizer/cjs/encoding/o200k_base') as {
  countTokens(text: string, options: { disallowedSpecial: Set<string> }): number;
};
const { O200K_TOKEN_SPLIT_REGEX } = require('gpt-tokenizer/cjs/encodingParams/constants') as {
  O200K_TOKEN_SPLIT_REGEX: RegExp;
};
const exact = (text: string): number => o200k.countTokens(text, { disallowedSpecial: new Set() });

const corpus = tokenCorpus();

/** Per class: the whole class within [-5%, +15%] of the exact count. */
const TOTAL_BOUNDS = { under: 0.05, over: 0.15 };
/** Per sample of at least 200 characters: never under by more than this. */
const SAMPLE_UNDER = 0.1;
/**
 * Other scripts are held to the same totals, but one sample may be under by more: German
 * compounds ("Leseaufrufe": 5 tokens) look like English words of the same length (1-2).
 */
const OTHER_SCRIPTS_SAMPLE_UNDER = 0.25;

interface ClassFigures {
  estimate: number;
  exact: number;
  worstSample: { ratio: number; text: string };
  /** Samples whose estimate is above their UTF-8 length (the bound budget checks rely on). */
  overByteBound: number;
}

function measure(samples: readonly string[]): ClassFigures {
  let estimate = 0;
  let truth = 0;
  let worstSample = { ratio: Number.POSITIVE_INFINITY, text: '' };
  let overByteBound = 0;
  for (const sample of samples) {
    const e = countTokens(sample);
    const x = exact(sample);
    estimate += e;
    truth += x;
    if (e > utf8Bytes(sample)) overByteBound++;
    if (sample.length >= 200 && e / x < worstSample.ratio)
      worstSample = { ratio: e / x, text: sample.slice(0, 80) };
  }
  return { estimate, exact: truth, worstSample, overByteBound };
}

describe('the token estimate against exact o200k counts', () => {
  it('has a corpus of every class', () => {
    for (const [name, samples] of Object.entries(corpus)) {
      expect(samples.length, name).toBeGreaterThanOrEqual(20);
      expect(
        samples.reduce((sum, s) => sum + s.length, 0),
        name,
      ).toBeGreaterThan(15_000);
    }
  });

  it.each(Object.keys(corpus) as (keyof typeof corpus)[])(
    '%s: within -5%/+15% in total, no sample of 200+ characters under by more than 10%',
    (name) => {
      const { estimate, exact: truth, worstSample, overByteBound } = measure(corpus[name]);
      expect(overByteBound).toBe(0);
      const error = estimate / truth - 1;
      expect(error, `${name}: ${estimate} estimated for ${truth}`).toBeGreaterThanOrEqual(
        -TOTAL_BOUNDS.under,
      );
      expect(error, `${name}: ${estimate} estimated for ${truth}`).toBeLessThanOrEqual(TOTAL_BOUNDS.over);
      const under = name === 'other_scripts' ? OTHER_SCRIPTS_SAMPLE_UNDER : SAMPLE_UNDER;
      expect(worstSample.ratio, JSON.stringify(worstSample.text)).toBeGreaterThanOrEqual(1 - under);
    },
    60_000,
  );
});

describe('the estimator’s pieces', () => {
  it('are written from gpt-tokenizer’s O200K pattern', () => {
    expect(O200K_PIECE_PATTERN).toBe(O200K_TOKEN_SPLIT_REGEX.source);
  });

  const pattern = new RegExp(O200K_PIECE_PATTERN, 'gu');
  const edgeCases = [
    "don't  HTTPServer中A  \t{x}\n\n  \n  foo  123 \u00a0a ❤️ 👨‍👩‍👧 𝒜𝒞x A中 a\u0301b 'S 'll  ",
    `${' '.repeat(10)}\n`,
    'a  \t b\t{ \u3000x',
    'ÀÉÎõü façade Straße ΑΒΓ δε Жук щи',
    "I'M HERE, you're 'there' we'LL see'",
    '\r\n\r\n  \r\n',
    '1234567 ١٢٣٤ １２３',
    '\ud800 lone \udc00 surrogates \ud83d',
    '',
  ];

  it.each(edgeCases.map((text) => [JSON.stringify(text).slice(0, 40), text]))(
    'are the pattern’s pieces: %s',
    (_name, text) => {
      expect(estimatorPieces(text)).toEqual(text.match(pattern) ?? []);
    },
  );

  it('are the pattern’s pieces on the whole corpus', () => {
    for (const [name, samples] of Object.entries(corpus)) {
      for (const sample of samples) {
        const expected = sample.match(pattern) ?? [];
        const pieces = estimatorPieces(sample);
        if (pieces.length !== expected.length || pieces.some((piece, i) => piece !== expected[i])) {
          expect(pieces, `${name}: ${JSON.stringify(sample.slice(0, 80))}`).toEqual(expected);
        }
      }
    }
  }, 60_000);
});
