/**
 * Embedding APIs as Embedders (text → vectors, for memory's retrieval), on the same `fetch`
 * transports and error classification as the chat adapters: failures are ProviderErrors
 * (`auth`, `rate_limited`, ...). Their code loads on the first embed call.
 */
import type { Embedder } from '@oxydra/types';
import { lazyEmbedder } from './lazy.js';
import {
  DEFAULT_GEMINI_EMBEDDING_MODEL,
  DEFAULT_OPENAI_EMBEDDING_MODEL,
  expectedDimensions,
  type GeminiEmbedderOptions,
  type OpenAIEmbedderOptions,
} from './options.js';

export {
  DEFAULT_GEMINI_EMBEDDING_MODEL,
  DEFAULT_OPENAI_EMBEDDING_MODEL,
  type EmbedderOptionsBase,
  type GeminiEmbedderOptions,
  type OpenAIEmbedderOptions,
} from './options.js';

/**
 * OpenAI `POST /embeddings` (or any OpenAI-compatible server's), up to 2048 texts per request.
 * modelId is `openai:<model>[:<dimensions>]`, so a change of model or size is seen as one.
 */
export function createOpenAIEmbedder(options: OpenAIEmbedderOptions): Embedder {
  const model = options.model ?? DEFAULT_OPENAI_EMBEDDING_MODEL;
  const name = options.name ?? 'openai';
  return lazyEmbedder({
    modelId: `openai:${model}${options.dimensions !== undefined ? `:${options.dimensions}` : ''}`,
    dimensions: expectedDimensions(model, options.dimensions),
    load: async () => (await import('./openai.js')).openAIEmbedBatch({ ...options, model, name }),
  });
}

/** Gemini `batchEmbedContents`, up to 100 texts per request. modelId is `gemini:<model>[:<dimensions>]`. */
export function createGeminiEmbedder(options: GeminiEmbedderOptions): Embedder {
  const model = options.model ?? DEFAULT_GEMINI_EMBEDDING_MODEL;
  const name = options.name ?? 'gemini';
  return lazyEmbedder({
    modelId: `gemini:${model}${options.dimensions !== undefined ? `:${options.dimensions}` : ''}`,
    dimensions: expectedDimensions(model, options.dimensions),
    load: async () => (await import('./gemini.js')).geminiEmbedBatch({ ...options, model, name }),
  });
}
