/**
 * What the embedding factories take, and the vector sizes of the models we know. What a request
 * costs (embeddingUsage) is priced with the chat models, in catalog/cost.ts.
 */

export interface EmbedderOptionsBase {
  /** Registry name, for error messages (default: "openai" / "gemini"). */
  name?: string;
  /**
   * OpenAI: including the version path (https://api.openai.com/v1, http://127.0.0.1:11434/v1);
   * Gemini: the origin, optionally with the version (https://generativelanguage.googleapis.com).
   */
  baseURL: string;
  apiKey?: string;
  model?: string;
  /**
   * Output size to ask the API for (OpenAI `dimensions`, Gemini `outputDimensionality`): only
   * models that can shorten their vectors accept it. Unset: the model's own size.
   */
  dimensions?: number;
  extraHeaders?: Record<string, string>;
  /** How long to wait for each response to start. */
  timeoutMs?: number;
  fetch?: typeof fetch;
}

export type OpenAIEmbedderOptions = EmbedderOptionsBase;
export type GeminiEmbedderOptions = EmbedderOptionsBase;

export const DEFAULT_OPENAI_EMBEDDING_MODEL = 'text-embedding-3-small';
export const DEFAULT_GEMINI_EMBEDDING_MODEL = 'gemini-embedding-001';

/** Native output sizes, so `dimensions` is right before the first call. */
const KNOWN_DIMENSIONS: Readonly<Record<string, number>> = {
  'text-embedding-3-small': 1536,
  'text-embedding-3-large': 3072,
  'text-embedding-ada-002': 1536,
  'gemini-embedding-001': 3072,
  'text-embedding-004': 768,
  'embedding-001': 768,
};

/** The size the vectors will have: asked for, else known for the model, else 0 (learnt from the first answer). */
export function expectedDimensions(model: string, asked: number | undefined): number {
  if (asked !== undefined) {
    if (!Number.isInteger(asked) || asked < 1)
      throw new RangeError(`dimensions must be a positive integer, got ${asked}`);
    return asked;
  }
  return KNOWN_DIMENSIONS[model.replace(/^models\//, '')] ?? 0;
}

/**
 * The most vector numbers an answer's embedding is allowed room for, unless more are asked: the
 * largest served embedding models (Qwen3-Embedding-8B, NV-Embed-v2, e5-mistral) have 4096.
 */
const ANSWER_DIMENSIONS = 4096;
/**
 * The most bytes one number of a vector takes: a float32 written as JSON with 17 digits, sign,
 * point and exponent (23), on a line of its own as Google's pretty-printed answers put it (a line
 * end, 8 spaces of indent, a comma).
 */
const NUMBER_BYTES = 40;

/**
 * The most an answer to `inputs` texts may hold before it is refused (see readJsonBounded):
 * every vector as a list of numbers (what servers that ignore `encoding_format: base64` send,
 * about 4 times its base64), 1 KiB more per item for its other fields, and 64 KiB for the rest
 * (usage, model). OpenAI's full batch (2048 inputs) gets 322 MiB, under the ~512 MiB V8 can make
 * a string of at all; a Gemini batch (100) 16 MiB; one text 225 KiB.
 */
export function embeddingAnswerBytes(inputs: number, dimensions: number | undefined): number {
  const numbers = Math.max(dimensions ?? 0, ANSWER_DIMENSIONS);
  return 64 * 1024 + inputs * (numbers * NUMBER_BYTES + 1024);
}
