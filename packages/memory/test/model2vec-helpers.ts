/**
 * What the model2vec embedder's files share (model2vec-embedder-local.test.ts,
 * model2vec-embedder-download.test.ts): a tiny model2vec model, written the way model2vec's
 * save_pretrained writes one, the embeddings expected from it, and temporary folders removed
 * after the calling file's tests.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type TempWorkspace, tempWorkspace } from '@oxydra/testkit/helpers';
import { afterAll, expect } from 'vitest';

export const DIMS = 8;
const SPECIALS = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'];
const WORDS = [
  'the',
  'cat',
  'sat',
  'on',
  'mat',
  'dog',
  'a',
  'play',
  '##ing',
  '##ed',
  'un',
  '##able',
  'hello',
  'world',
  'cafe',
  '.',
  ',',
  '!',
  '?',
  'run',
  '##ner',
  'fast',
  'slow',
  'red',
  'blue',
  'green',
  'big',
  'small',
  'house',
  'tree',
  'sun',
  'moon',
  'star',
  'sky',
  'sea',
];
export const VOCAB = [...SPECIALS, ...WORDS];
const ID = new Map(VOCAB.map((token, id) => [token, id]));

/**
 * Row values chosen to be exact in F16 (multiples of 1/64 up to ±2, plus one subnormal in the
 * row of "the"), so the F16 and F32 files hold the same numbers and one expectation serves both.
 */
const SUBNORMAL_ROW = VOCAB.indexOf('the');
export const ROWS: number[][] = VOCAB.map((_, row) =>
  Array.from({ length: DIMS }, (_, col) =>
    row === SUBNORMAL_ROW && col === 0 ? 2 ** -20 : (((row * 37 + col * 11) % 257) - 128) / 64,
  ),
);

function tokenizerJson(): unknown {
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
    normalizer: {
      type: 'BertNormalizer',
      clean_text: true,
      handle_chinese_chars: true,
      strip_accents: null,
      lowercase: true,
    },
    pre_tokenizer: { type: 'BertPreTokenizer' },
    post_processor: null,
    decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
    model: {
      type: 'WordPiece',
      unk_token: '[UNK]',
      continuing_subword_prefix: '##',
      max_input_chars_per_word: 100,
      vocab: Object.fromEntries(ID),
    },
  };
}

/** Test-side binary16 encoder, for values exactly representable in F16. */
function toHalf(value: number): number {
  if (value === 0) return Object.is(value, -0) ? 0x8000 : 0;
  const sign = value < 0 ? 0x8000 : 0;
  const abs = Math.abs(value);
  if (abs < 2 ** -14) return sign | (abs / 2 ** -24);
  const exponent = Math.floor(Math.log2(abs));
  const mantissa = (abs / 2 ** exponent - 1) * 1024;
  if (!Number.isInteger(mantissa)) throw new Error(`${value} is not exact in F16`);
  return sign | ((exponent + 15) << 10) | mantissa;
}

export function safetensors(tensors: Record<string, { dtype: 'F32' | 'F16'; rows: number[][] }>): Buffer {
  const header: Record<string, unknown> = { __metadata__: { format: 'pt' } };
  const chunks: Buffer[] = [];
  let offset = 0;
  for (const [name, { dtype, rows }] of Object.entries(tensors)) {
    const width = dtype === 'F32' ? 4 : 2;
    const values = rows.flat();
    const data = Buffer.alloc(values.length * width);
    values.forEach((value, i) => {
      if (dtype === 'F32') data.writeFloatLE(value, i * 4);
      else data.writeUInt16LE(toHalf(value), i * 2);
    });
    header[name] = {
      dtype,
      shape: [rows.length, rows[0]?.length ?? 0],
      data_offsets: [offset, offset + data.length],
    };
    chunks.push(data);
    offset += data.length;
  }
  return rawSafetensors(JSON.stringify(header), Buffer.concat(chunks));
}

export function rawSafetensors(headerJson: string, data: Buffer, declaredLength?: bigint): Buffer {
  // Like the reference writer, pad the header with spaces to a multiple of 8.
  const header = Buffer.from(headerJson.padEnd(Math.ceil(headerJson.length / 8) * 8, ' '));
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(declaredLength ?? BigInt(header.length));
  return Buffer.concat([prefix, header, data]);
}

export interface ModelFiles {
  'config.json': Buffer;
  'tokenizer.json': Buffer;
  'model.safetensors': Buffer;
}

export function modelFiles(
  options: { dtype?: 'F32' | 'F16'; normalize?: boolean; rows?: number[][] } = {},
): ModelFiles {
  const config: Record<string, unknown> = {
    model_type: 'model2vec',
    architectures: ['StaticModel'],
    tokenizer_name: 'test/tiny',
    apply_pca: DIMS,
    apply_zipf: true,
    hidden_dim: DIMS,
    seq_length: 1000000,
  };
  if (options.normalize !== undefined) config.normalize = options.normalize;
  return {
    'config.json': Buffer.from(JSON.stringify(config)),
    'tokenizer.json': Buffer.from(JSON.stringify(tokenizerJson())),
    'model.safetensors': safetensors({
      embeddings: { dtype: options.dtype ?? 'F32', rows: options.rows ?? ROWS },
    }),
  };
}

const temps: TempWorkspace[] = [];
export async function tempDir(): Promise<string> {
  const workspace = tempWorkspace({ prefix: 'oxydra-model2vec-' });
  temps.push(workspace);
  return workspace.dir;
}

export async function writeModel(files: Partial<ModelFiles>): Promise<string> {
  const dir = await tempDir();
  for (const [name, bytes] of Object.entries(files)) await writeFile(join(dir, name), bytes);
  return dir;
}

/** The expected embedding, computed from ROWS directly: mean of rows, then L2 normalised. */
export function expected(tokens: string[], normalize = true): number[] {
  const mean = new Array<number>(DIMS).fill(0);
  for (const token of tokens) {
    const row = ROWS[ID.get(token) ?? -1];
    if (!row) throw new Error(`test vocab lacks ${token}`);
    row.forEach((value, j) => {
      mean[j] = (mean[j] ?? 0) + value / tokens.length;
    });
  }
  const norm = Math.hypot(...mean);
  return normalize ? mean.map((value) => value / norm) : mean;
}

export function expectVector(actual: Float32Array | undefined, want: number[]): void {
  expect(actual).toBeInstanceOf(Float32Array);
  expect(actual?.length).toBe(want.length);
  want.forEach((value, j) => {
    expect(actual?.[j]).toBeCloseTo(value, 6);
  });
}

/** Removes the folders tempDir made, after the calling file's tests. */
export function removeTempDirsAfterAll(): void {
  afterAll(async () => {
    for (const workspace of temps.splice(0)) workspace.cleanup();
  });
}
