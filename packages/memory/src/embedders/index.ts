/**
 * Text → vectors for retrieval, by `memory.embedding_backend`:
 *   deterministic (default): hashed lexical features, offline and instant (deterministic.ts);
 *   openai / gemini: the embedding APIs through @oxydra/provider (the caller resolves the
 *     registry entry's base URL and key);
 *   model2vec: a local static-embedding model, downloaded once (model2vec/).
 * The API and model2vec code loads only when chosen.
 */
import { type EMBEDDING_BACKENDS, type Embedder, ProviderError } from '@oxydra/types';
import { createDeterministicEmbedder } from './deterministic.js';
import type { DownloadProgress } from './model2vec/index.js';

export type EmbeddingBackend = (typeof EMBEDDING_BACKENDS)[number];

export {
  createDeterministicEmbedder,
  type DeterministicEmbedderOptions,
  embedText,
} from './deterministic.js';

export interface EmbedderSettings {
  backend: EmbeddingBackend;
  /** openai / gemini: the embedding model (default text-embedding-3-small / gemini-embedding-001). */
  model?: string;
  /** openai / gemini: the registry entry's base_url (default: the hosted API). */
  baseURL?: string;
  apiKey?: string;
  /** The registry entry's name, for error messages. */
  providerName?: string;
  extraHeaders?: Record<string, string>;
  /**
   * openai / gemini: how long each request waits for the server's answer to start. Unset, only
   * fetch's own 300 s bound applied: an embedding server that took requests and never answered
   * held a turn's recall, and `oxydra run`'s exit (which waits for indexing), for five minutes.
   */
  timeoutMs?: number;
  /** deterministic: vector size (default 256); openai / gemini: shortened output size, if the model supports it. */
  dimensions?: number;
  /** model2vec: a Hugging Face repo id, an https URL of the model folder, or a local folder. */
  model2vecModel?: string;
  /** model2vec: where the model's files are kept. */
  cacheDir?: string;
  /** model2vec: download progress. */
  onProgress?: (progress: DownloadProgress) => void;
}

const DEFAULT_MODEL2VEC_MODEL = 'minishlab/potion-base-8M';

/**
 * The embedder `settings` describe. An API model whose vector size is not known in advance (a
 * custom model on an OpenAI-compatible server) has `dimensions` 0 until its first answer: the
 * caller embeds once before opening a search index for it (the kernel's memory does so at the
 * first search or indexing, not at start).
 */
export async function createEmbedder(settings: EmbedderSettings): Promise<Embedder> {
  switch (settings.backend) {
    case 'deterministic':
      return createDeterministicEmbedder(
        settings.dimensions !== undefined ? { dimensions: settings.dimensions } : {},
      );
    case 'openai':
    case 'gemini': {
      const provider = await import('@oxydra/provider');
      const options = {
        baseURL: settings.baseURL ?? provider.DEFAULT_BASE_URLS[settings.backend],
        ...(settings.apiKey !== undefined ? { apiKey: settings.apiKey } : {}),
        ...(settings.model !== undefined ? { model: settings.model } : {}),
        ...(settings.providerName !== undefined ? { name: settings.providerName } : {}),
        ...(settings.extraHeaders !== undefined ? { extraHeaders: settings.extraHeaders } : {}),
        ...(settings.dimensions !== undefined ? { dimensions: settings.dimensions } : {}),
        ...(settings.timeoutMs !== undefined ? { timeoutMs: settings.timeoutMs } : {}),
      };
      const made =
        settings.backend === 'openai'
          ? provider.createOpenAIEmbedder(options)
          : provider.createGeminiEmbedder(options);
      return settings.timeoutMs === undefined ? made : namingTimeout(made, settings.timeoutMs);
    }
    case 'model2vec': {
      const { createModel2VecEmbedder } = await import('./model2vec/index.js');
      return createModel2VecEmbedder({
        model: settings.model2vecModel ?? DEFAULT_MODEL2VEC_MODEL,
        ...(settings.cacheDir !== undefined ? { cacheDir: settings.cacheDir } : {}),
        ...(settings.onProgress !== undefined ? { onProgress: settings.onProgress } : {}),
      });
    }
  }
}

/**
 * `embedder`, whose requests that ran past `timeoutMs` say how long they waited and which setting
 * bounds that: the provider's error says only "the request timed out".
 */
function namingTimeout(embedder: Embedder, timeoutMs: number): Embedder {
  const named = (error: unknown) =>
    error instanceof ProviderError && error.cause instanceof Error && error.cause.name === 'TimeoutError'
      ? new ProviderError(
          `${error.message} (no answer within ${timeoutMs / 1000} s: [memory] embedding_timeout_secs)`,
          {
            kind: error.kind,
            provider: error.provider,
            ...(error.model !== undefined ? { model: error.model } : {}),
            ...(error.hint !== undefined ? { hint: error.hint } : {}),
            cause: error.cause,
          },
        )
      : error;
  return {
    modelId: embedder.modelId,
    get dimensions() {
      return embedder.dimensions;
    },
    embed: (texts, options) =>
      embedder.embed(texts, options).catch((error: unknown) => {
        throw named(error);
      }),
  };
}
