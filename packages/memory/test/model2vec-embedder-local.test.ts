/**
 * The model2vec embedder on a model in a local folder (model2vec-helpers.ts writes a tiny one):
 * a text's embedding is the normalised mean of its token rows, read alike from F32 and F16, with
 * unknown words and special tokens dropped and model2vec's limits on a text's length; and each
 * damaged or missing file fails the load naming the folder. Downloads:
 * model2vec-embedder-download.test.ts.
 */
import { execFileSync } from 'node:child_process';
import { rmSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { OxydraError } from '@oxydra/types';
import { describe, expect, it } from 'vitest';
import { createModel2VecEmbedder } from '../src/embedders/model2vec/index.js';
import {
  DIMS,
  expected,
  expectVector,
  type ModelFiles,
  modelFiles,
  ROWS,
  rawSafetensors,
  removeTempDirsAfterAll,
  VOCAB,
  writeModel,
} from './model2vec-helpers.js';

removeTempDirsAfterAll();

describe('model2vec embedder from a local folder', () => {
  it('embeds a text as the normalised mean of its token rows', async () => {
    const dir = await writeModel(modelFiles());
    const embedder = await createModel2VecEmbedder({ model: dir });
    expect(embedder.modelId).toBe(`model2vec:${dir}`);
    expect(embedder.dimensions).toBe(DIMS);
    const [first, second, third] = await embedder.embed(['The CAT sat.', 'Playing, unable!', 'the']);
    expectVector(first, expected(['the', 'cat', 'sat', '.']));
    expectVector(second, expected(['play', '##ing', ',', 'un', '##able', '!']));
    expectVector(third, expected(['the']));
    expect(Math.hypot(...(first ?? []))).toBeCloseTo(1, 6);
  });

  it('reads F16 matrices as the same numbers', async () => {
    const dir16 = await writeModel(modelFiles({ dtype: 'F16' }));
    const embedder = await createModel2VecEmbedder({ model: dir16 });
    const [vector] = await embedder.embed(['a dog on the mat?']);
    expectVector(vector, expected(['a', 'dog', 'on', 'the', 'mat', '?']));
    // The row of "the" holds a subnormal F16 value in column 0.
    const [the] = await embedder.embed(['the']);
    expect(the?.[0]).toBeCloseTo(expected(['the'])[0] ?? Number.NaN, 9);
    expect(the?.[0]).not.toBe(0);
  });

  it('drops unknown words and special tokens from the mean', async () => {
    const embedder = await createModel2VecEmbedder({ model: await writeModel(modelFiles()) });
    const [withUnknown, plain, special] = await embedder.embed([
      'the qwxyz cat',
      'the cat',
      '[CLS] the cat [SEP]',
    ]);
    expectVector(withUnknown, expected(['the', 'cat']));
    expectVector(plain, expected(['the', 'cat']));
    expectVector(special, expected(['the', 'cat']));
  });

  it('embeds texts without known tokens as the zero vector', async () => {
    const embedder = await createModel2VecEmbedder({ model: await writeModel(modelFiles()) });
    const vectors = await embedder.embed(['', '   ', 'qwxyz', '[PAD]']);
    expect(vectors).toHaveLength(4);
    for (const vector of vectors) expect(Array.from(vector)).toEqual(new Array(DIMS).fill(0));
    expect(await embedder.embed([])).toEqual([]);
  });

  it('skips normalising only when config.json says normalize: false', async () => {
    const raw = await createModel2VecEmbedder({ model: await writeModel(modelFiles({ normalize: false })) });
    const [vector] = await raw.embed(['sun moon']);
    expectVector(vector, expected(['sun', 'moon'], false));
    expect(Math.hypot(...(vector ?? []))).not.toBeCloseTo(1, 2);
    const explicit = await createModel2VecEmbedder({
      model: await writeModel(modelFiles({ normalize: true })),
    });
    expectVector((await explicit.embed(['sun moon']))[0], expected(['sun', 'moon']));
  });

  it('uses at most 512 tokens of a text, as model2vec does', async () => {
    const embedder = await createModel2VecEmbedder({ model: await writeModel(modelFiles()) });
    // "a." is two one-character tokens: 512 tokens in 512 characters, then tokens to ignore.
    const [capped] = await embedder.embed(['a.'.repeat(256) + ' dog'.repeat(100)]);
    expectVector(capped, expected(['a', '.']));
  });

  it('cuts long texts to 512 × the median token length in characters before tokenizing', async () => {
    const lengths = VOCAB.map((token) => token.length).sort((a, b) => a - b);
    const median = Math.trunc(
      lengths.length % 2
        ? (lengths[lengths.length >> 1] ?? 0)
        : ((lengths[lengths.length / 2 - 1] ?? 0) + (lengths[lengths.length / 2] ?? 0)) / 2,
    );
    // Six characters a token: the character cut comes well before the 512-token cap.
    const filler = 'house '.repeat(Math.ceil((512 * median) / 6));
    expect(filler.length / 6).toBeLessThan(500);
    const embedder = await createModel2VecEmbedder({ model: await writeModel(modelFiles()) });
    const [cut] = await embedder.embed([`${filler}dog`]);
    expectVector(cut, expected(['house']));
  });

  it('loads a folder given as ./relative path', async () => {
    const dir = await writeModel(modelFiles());
    const previous = process.cwd();
    process.chdir(join(dir, '..'));
    try {
      const embedder = await createModel2VecEmbedder({ model: `./${dir.split(/[/\\]/).pop()}` });
      expect(embedder.modelId).toBe(`model2vec:${dir}`);
    } finally {
      process.chdir(previous);
    }
  });
});

describe('model2vec load errors', () => {
  async function loadError(files: Partial<ModelFiles>): Promise<OxydraError> {
    const dir = await writeModel(files);
    const error = await createModel2VecEmbedder({ model: dir }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OxydraError);
    expect((error as Error).message).toContain(`cannot load model2vec model ${dir}`);
    return error as OxydraError;
  }
  const good = modelFiles();
  const data = Buffer.alloc(ROWS.length * DIMS * 4);
  const header = (entry: unknown) => JSON.stringify({ embeddings: entry });

  it('names a missing file', async () => {
    const error = await loadError({
      'config.json': good['config.json'],
      'tokenizer.json': good['tokenizer.json'],
    });
    expect(error.message).toMatch(/model\.safetensors does not exist/);
    expect(error.code).toBe('config_error');
    expect(error.message).toMatch(
      /; put config\.json, tokenizer\.json, model\.safetensors from a model2vec model in /,
    );
  });

  it('rejects a header length beyond the file', async () => {
    const bytes = rawSafetensors(
      header({ dtype: 'F32', shape: [40, 8], data_offsets: [0, 1280] }),
      data,
      1n << 40n,
    );
    const error = await loadError({ ...good, 'model.safetensors': bytes });
    expect(error.message).toMatch(
      /model\.safetensors is not a valid safetensors file: header length \d+ exceeds the file/,
    );
  });

  it('rejects a header that is not JSON', async () => {
    const error = await loadError({
      ...good,
      'model.safetensors': rawSafetensors('{"embeddings": {dty', data),
    });
    expect(error.message).toMatch(/not a valid safetensors file: header is not UTF-8 JSON/);
  });

  it('rejects a file shorter than the length prefix', async () => {
    const error = await loadError({ ...good, 'model.safetensors': Buffer.from([1, 2, 3]) });
    expect(error.message).toMatch(/not a valid safetensors file: only 3 bytes long/);
  });

  it('rejects data_offsets that disagree with shape or run past the data', async () => {
    const short = rawSafetensors(header({ dtype: 'F32', shape: [40, 8], data_offsets: [0, 1000] }), data);
    expect((await loadError({ ...good, 'model.safetensors': short })).message).toMatch(
      /tensor "embeddings": shape \[40, 8\] of F32 needs 1280 bytes, data_offsets give 1000/,
    );
    const past = rawSafetensors(
      header({ dtype: 'F32', shape: [40, 8], data_offsets: [0, 1280] }),
      data.subarray(0, 640),
    );
    expect((await loadError({ ...good, 'model.safetensors': past })).message).toMatch(
      /fall outside the 640 data bytes/,
    );
  });

  it('rejects a missing tensor, a 1-D tensor and an unsupported dtype', async () => {
    const other = rawSafetensors(
      JSON.stringify({ weights: { dtype: 'F32', shape: [320], data_offsets: [0, 1280] } }),
      data,
    );
    expect((await loadError({ ...good, 'model.safetensors': other })).message).toMatch(
      /no tensor "embeddings" \(found: weights\)/,
    );
    const flat = rawSafetensors(header({ dtype: 'F32', shape: [320], data_offsets: [0, 1280] }), data);
    expect((await loadError({ ...good, 'model.safetensors': flat })).message).toMatch(
      /shape \[320\], expected 2-D/,
    );
    const ints = rawSafetensors(header({ dtype: 'I32', shape: [40, 8], data_offsets: [0, 1280] }), data);
    expect((await loadError({ ...good, 'model.safetensors': ints })).message).toMatch(
      /dtype I32; supported: F32, F16, BF16/,
    );
  });

  it('rejects a matrix with fewer rows than the vocabulary', async () => {
    const files = modelFiles({ rows: ROWS.slice(0, 20) });
    expect((await loadError(files)).message).toMatch(
      /tokenizer has ids up to 39 but the "embeddings" matrix has only 20 rows/,
    );
  });

  it('rejects a damaged tokenizer.json or config.json', async () => {
    expect((await loadError({ ...good, 'tokenizer.json': Buffer.from('{"model": ') })).message).toMatch(
      /tokenizer\.json is not valid JSON/,
    );
    expect((await loadError({ ...good, 'config.json': Buffer.from('[1') })).message).toMatch(
      /config\.json is not valid JSON/,
    );
  });

  it('refuses a model file that is a FIFO or a device, through a link too, without reading it', async () => {
    const dir = await writeModel(modelFiles());
    rmSync(join(dir, 'config.json'));
    execFileSync('mkfifo', [join(dir, 'pipe')]);
    symlinkSync('pipe', join(dir, 'config.json'));
    const fifo = await createModel2VecEmbedder({ model: dir }).catch((e: unknown) => e);
    expect((fifo as Error).message).toContain(`${join(dir, 'config.json')} is not a regular file`);
    // What a cloned repository can ship (git stores links): before, read until memory ran out.
    rmSync(join(dir, 'config.json'));
    symlinkSync('/dev/zero', join(dir, 'config.json'));
    const zero = await createModel2VecEmbedder({ model: dir }).catch((e: unknown) => e);
    expect((zero as Error).message).toContain(`${join(dir, 'config.json')} is not a regular file`);
  });
});
