import { describe, expect, it } from 'vitest';
import { halfToFloat, readMatrix } from '../src/embedders/model2vec/safetensors.js';
import { WordPieceTokenizer } from '../src/embedders/model2vec/tokenizer.js';

const SPECIALS = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'];
const WORDS = [
  'hello',
  'world',
  'play',
  'pla',
  '##ing',
  '##ying',
  '##in',
  '##g',
  '##play',
  '##able',
  'un',
  'cafe',
  ',',
  '!',
  '.',
  '$',
  'a',
  '你',
  '好',
];

/** A tokenizer.json shaped like the potion models' (tokenizers 0.x serialisation). */
function tokenizerJson(overrides: { normalizer?: unknown; model?: Record<string, unknown> } = {}): unknown {
  const vocab: Record<string, number> = {};
  for (const [id, token] of [...SPECIALS, ...WORDS].entries()) vocab[token] = id;
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: SPECIALS.map((content, id) => ({
      id,
      content,
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: false,
      special: true,
    })),
    normalizer: overrides.normalizer ?? {
      type: 'BertNormalizer',
      clean_text: true,
      handle_chinese_chars: true,
      strip_accents: null,
      lowercase: true,
    },
    pre_tokenizer: { type: 'BertPreTokenizer' },
    post_processor: {
      type: 'TemplateProcessing',
      single: [{ SpecialToken: { id: '[CLS]', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }],
      pair: [],
      special_tokens: {},
    },
    decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
    model: {
      type: 'WordPiece',
      unk_token: '[UNK]',
      continuing_subword_prefix: '##',
      max_input_chars_per_word: 10,
      vocab,
      ...overrides.model,
    },
  };
}

const tokenizer = WordPieceTokenizer.fromJson(tokenizerJson(), 'tokenizer.json');
const tokens = (text: string, t = tokenizer) => t.tokenize(text).map((token) => token.token);

describe('model2vec WordPiece tokenizer', () => {
  it('lowercases and strips accents (strip_accents null follows lowercase)', () => {
    expect(tokens('HeLLo WÖRLD Café')).toEqual(['hello', 'world', 'cafe']);
  });

  it('keeps accents and case when the normalizer says lowercase: false', () => {
    const cased = WordPieceTokenizer.fromJson(
      tokenizerJson({
        normalizer: {
          type: 'BertNormalizer',
          clean_text: true,
          handle_chinese_chars: true,
          strip_accents: null,
          lowercase: false,
        },
      }),
      'tokenizer.json',
    );
    expect(tokens('hello Café Hello', cased)).toEqual(['hello', '[UNK]', '[UNK]']);
  });

  it('splits on whitespace and isolates punctuation, ASCII symbols included', () => {
    expect(tokens('hello,world!\t\n$a.')).toEqual(['hello', ',', 'world', '!', '$', 'a', '.']);
  });

  it('cleans text: control and format characters vanish, odd whitespace separates', () => {
    expect(tokens('hel\u0000lo\u200b\u00a0wor\ufffdld')).toEqual(['hello', 'world']);
  });

  it('cuts words greedily, longest match first, with ## continuations', () => {
    const playing = tokenizer.tokenize('playing');
    expect(playing.map((t) => t.token)).toEqual(['play', '##ing']);
    expect(playing.map((t) => t.id)).toEqual([5 + WORDS.indexOf('play'), 5 + WORDS.indexOf('##ing')]);
    expect(tokens('unplayable')).toEqual(['un', '##play', '##able']);
  });

  it('makes the whole word [UNK] when any part has no match', () => {
    expect(tokens('playz hello')).toEqual(['[UNK]', 'hello']);
    const unk = tokenizer.tokenize('zzz');
    expect(unk).toEqual([{ token: '[UNK]', id: 1 }]);
  });

  it('makes words over max_input_chars_per_word [UNK] even when they would split', () => {
    // 8 characters splits; 12 would too, but exceeds the limit of 10.
    expect(tokens('playplay')).toEqual(['play', '##play']);
    expect(tokens('playplayplay')).toEqual(['[UNK]']);
  });

  it('drops special tokens typed into the text and never adds [CLS] / [SEP]', () => {
    expect(tokens('[CLS] hello[SEP][PAD]')).toEqual(['hello']);
    expect(tokenizer.tokenize('hello').map((t) => t.id)).toEqual([5]);
  });

  it('puts CJK ideographs in words of their own', () => {
    expect(tokens('你好')).toEqual(['你', '好']);
    const noCjk = WordPieceTokenizer.fromJson(
      tokenizerJson({ normalizer: { type: 'BertNormalizer', handle_chinese_chars: false, lowercase: true } }),
      'tokenizer.json',
    );
    // One word then: "你" matches, "##好" is not in the vocabulary, so the word is unknown.
    expect(tokens('你好', noCjk)).toEqual(['[UNK]']);
  });

  it('returns no tokens for empty or blank text', () => {
    expect(tokenizer.tokenize('')).toEqual([]);
    expect(tokenizer.tokenize(' \n\t ')).toEqual([]);
  });

  it('supports normalizer Sequences (NFD, Lowercase, StripAccents)', () => {
    const sequence = WordPieceTokenizer.fromJson(
      tokenizerJson({
        normalizer: {
          type: 'Sequence',
          normalizers: [{ type: 'NFD' }, { type: 'Lowercase' }, { type: 'StripAccents' }],
        },
      }),
      'tokenizer.json',
    );
    expect(tokens('CAFÉ', sequence)).toEqual(['cafe']);
  });

  it('rejects tokenizers it cannot run, naming the file and the part', () => {
    expect(() =>
      WordPieceTokenizer.fromJson(tokenizerJson({ model: { type: 'BPE' } }), '/m/tokenizer.json'),
    ).toThrow(/\/m\/tokenizer\.json: model "BPE" is not supported/);
    expect(() =>
      WordPieceTokenizer.fromJson(
        tokenizerJson({ normalizer: { type: 'Precompiled' } }),
        '/m/tokenizer.json',
      ),
    ).toThrow(/normalizer "Precompiled" is not supported/);
    expect(() => WordPieceTokenizer.fromJson({ model: { type: 'WordPiece', vocab: [] } }, 't.json')).toThrow(
      /t\.json is not a valid tokenizer\.json: model\.vocab/,
    );
  });
});

describe('safetensors half floats', () => {
  it('decodes IEEE binary16: normals, subnormals, signs, infinities', () => {
    expect(halfToFloat(0x3c00)).toBe(1);
    expect(halfToFloat(0xc000)).toBe(-2);
    expect(halfToFloat(0x3555)).toBeCloseTo(0.333251953125, 12);
    expect(halfToFloat(0x7bff)).toBe(65504);
    expect(halfToFloat(0x0001)).toBe(2 ** -24);
    expect(halfToFloat(0x0400)).toBe(2 ** -14);
    expect(halfToFloat(0x8000)).toBe(-0);
    expect(halfToFloat(0x7c00)).toBe(Number.POSITIVE_INFINITY);
    expect(halfToFloat(0x7e00)).toBeNaN();
  });

  it('reads an F16 matrix at an odd data offset', () => {
    // Header padded to an odd length, so the data starts misaligned for a typed-array view.
    let json = JSON.stringify({ embeddings: { dtype: 'F16', shape: [1, 2], data_offsets: [0, 4] } });
    if (json.length % 2 === 0) json += ' ';
    const header = Buffer.from(json);
    const file = Buffer.alloc(8 + header.length + 4);
    file.writeBigUInt64LE(BigInt(header.length), 0);
    header.copy(file, 8);
    file.writeUInt16LE(0x3c00, 8 + header.length);
    file.writeUInt16LE(0xc000, 8 + header.length + 2);
    expect((8 + header.length) % 2).toBe(1);
    expect(Array.from(readMatrix(file, 'm', 'embeddings').data)).toEqual([1, -2]);
  });
});
