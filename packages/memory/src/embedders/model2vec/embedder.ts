/**
 * A model2vec static embedder: a text's vector is the mean of its tokens' rows in the
 * embedding matrix, L2-normalised. This mirrors model2vec's StaticModel.encode:
 * - tokenize without special tokens, then drop the unknown token's id (model2vec does this
 *   so unknown words do not all pull towards one shared vector);
 * - at most MAX_TOKENS tokens per text, and to keep tokenizing cheap the text is first cut to
 *   MAX_TOKENS × the median token length (in characters) of the vocabulary;
 * - a text with no known tokens (empty, only whitespace or unknown words) embeds as the zero
 *   vector, as in model2vec; normalising divides by norm + 1e-32 so zero stays zero;
 * - normalise when config.json says "normalize": true (the potion models do). model2vec
 *   treats a missing key as false; we treat it as true, because every Oxydra store compares
 *   vectors by cosine and a normalised vector is what it expects. Only "normalize": false
 *   turns it off.
 */
import { join } from 'node:path';
import type { Embedder } from '@oxydra/types';
import { readSmallFile } from '@oxydra/types/fs';
import { Model2VecError } from './errors.js';
import { type Matrix, readMatrix } from './safetensors.js';
import { MODEL_FILE_MAX_BYTES, type MODEL_FILES } from './source.js';
import { WordPieceTokenizer } from './tokenizer.js';

/** model2vec's encode(max_length=512) default. */
const MAX_TOKENS = 512;

/** The tensor model2vec's save_pretrained writes. */
const EMBEDDINGS_TENSOR = 'embeddings';

export class Model2VecEmbedder implements Embedder {
  readonly modelId: string;
  readonly dimensions: number;
  readonly tokenizer: WordPieceTokenizer;
  private readonly matrix: Matrix;
  private readonly normalize: boolean;
  private readonly maxChars: number;

  constructor(options: {
    modelId: string;
    tokenizer: WordPieceTokenizer;
    matrix: Matrix;
    normalize: boolean;
  }) {
    this.modelId = options.modelId;
    this.tokenizer = options.tokenizer;
    this.matrix = options.matrix;
    this.dimensions = options.matrix.cols;
    this.normalize = options.normalize;
    this.maxChars = MAX_TOKENS * Math.max(1, medianTokenLength(options.tokenizer));
  }

  async embed(texts: string[]): Promise<Float32Array[]> {
    return texts.map((text) => this.embedOne(text));
  }

  /** The rows a text averages: its token ids, unknown tokens dropped, at most MAX_TOKENS. */
  tokenIds(text: string): number[] {
    const ids: number[] = [];
    for (const { id } of this.tokenizer.tokenize(truncateChars(text, this.maxChars))) {
      if (id === undefined || id === this.tokenizer.unkId) continue;
      ids.push(id);
      if (ids.length === MAX_TOKENS) break;
    }
    return ids;
  }

  private embedOne(text: string): Float32Array {
    const { cols, data } = this.matrix;
    const sum = new Float64Array(cols);
    const ids = this.tokenIds(text);
    for (const id of ids) {
      const row = id * cols;
      for (let j = 0; j < cols; j++) sum[j] = (sum[j] ?? 0) + (data[row + j] ?? 0);
    }
    const out = new Float32Array(cols);
    if (ids.length === 0) return out;
    let norm = 0;
    for (let j = 0; j < cols; j++) {
      const mean = (sum[j] ?? 0) / ids.length;
      sum[j] = mean;
      norm += mean * mean;
    }
    const scale = this.normalize ? 1 / (Math.sqrt(norm) + 1e-32) : 1;
    for (let j = 0; j < cols; j++) out[j] = (sum[j] ?? 0) * scale;
    return out;
  }
}

/**
 * Loads config.json, tokenizer.json and model.safetensors from a folder. `label` names the
 * model in errors; `hint` is the fix offered when a file is missing or damaged.
 */
export async function loadModel2Vec(options: {
  dir: string;
  modelId: string;
  label: string;
  hint: string;
}): Promise<Model2VecEmbedder> {
  const { dir, label, hint } = options;
  const fail = (problem: string, cause?: unknown): never => {
    throw new Model2VecError(`cannot load model2vec model ${label}: ${problem}; ${hint}`, { cause });
  };
  // Regular files only, each within its cap; a link is followed (the hub's cache is links), but
  // not to a device or a FIFO: /dev/zero read until memory ran out (5 GB here), a FIFO hung.
  const read = async (file: (typeof MODEL_FILES)[number]): Promise<Buffer> => {
    const path = join(dir, file);
    const read = readSmallFile(path, { maxBytes: MODEL_FILE_MAX_BYTES[file], followLinks: true });
    if (read.ok) return read.bytes;
    return fail(read.problem === 'missing' ? `${path} does not exist` : `${path} ${read.detail}`);
  };
  const parseJson = (bytes: Buffer, file: string): unknown => {
    try {
      return JSON.parse(bytes.toString('utf8'));
    } catch (error) {
      return fail(`${join(dir, file)} is not valid JSON (${(error as Error).message})`, error);
    }
  };

  const config = parseJson(await read('config.json'), 'config.json');
  if (typeof config !== 'object' || config === null)
    return fail(`${join(dir, 'config.json')} is not a JSON object`);
  const tokenizerJson = parseJson(await read('tokenizer.json'), 'tokenizer.json');
  const weights = await read('model.safetensors');

  let tokenizer: WordPieceTokenizer;
  let matrix: Matrix;
  try {
    tokenizer = WordPieceTokenizer.fromJson(tokenizerJson, join(dir, 'tokenizer.json'));
    matrix = readMatrix(weights, join(dir, 'model.safetensors'), EMBEDDINGS_TENSOR);
  } catch (error) {
    return fail((error as Error).message, error);
  }
  if (matrix.rows < tokenizer.idLimit) {
    return fail(
      `the tokenizer has ids up to ${tokenizer.idLimit - 1} but the "${EMBEDDINGS_TENSOR}" matrix has only ${matrix.rows} rows`,
    );
  }
  const normalize = (config as { normalize?: unknown }).normalize !== false;
  return new Model2VecEmbedder({ modelId: options.modelId, tokenizer, matrix, normalize });
}

/** As model2vec computes it: int(np.median(len(token) for token in vocab)), in characters. */
function medianTokenLength(tokenizer: WordPieceTokenizer): number {
  const lengths = [...tokenizer.vocab.keys()].map((token) => Array.from(token).length).sort((a, b) => a - b);
  if (lengths.length === 0) return 0;
  const middle = lengths.length >> 1;
  const median =
    lengths.length % 2 === 1
      ? (lengths[middle] ?? 0)
      : ((lengths[middle - 1] ?? 0) + (lengths[middle] ?? 0)) / 2;
  return Math.trunc(median);
}

/** The first `max` characters (code points, as Python slices), without splitting a surrogate pair. */
function truncateChars(text: string, max: number): string {
  if (text.length <= max) return text;
  let count = 0;
  let end = 0;
  for (const char of text) {
    if (count === max) break;
    end += char.length;
    count++;
  }
  return text.slice(0, end);
}
