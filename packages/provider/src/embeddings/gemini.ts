/**
 * Gemini embeddings (`models/{model}:batchEmbedContents`, which the SDK's embedContent uses
 * for several texts) through @google/genai. Loaded lazily by index.ts.
 */

import { describeGeminiError } from '../adapters/gemini/errors.js';
import { observedFetch } from '../adapters/gemini/fetch.js';
import { createGeminiClient } from '../adapters/gemini/provider.js';
import { toProviderError } from '../shared/guard.js';
import { batches, nonEmpty } from './batches.js';
import type { EmbedBatch } from './lazy.js';
import { embeddingUsage, type GeminiEmbedderOptions } from './options.js';

/** batchEmbedContents takes at most 100 requests. */
export const GEMINI_MAX_INPUTS = 100;
/** Each input may hold 2048 tokens; this keeps a request well under the API's size limit. */
export const GEMINI_MAX_CHARS = 400_000;

export function geminiEmbedBatch(
  options: GeminiEmbedderOptions & { model: string; name: string },
): EmbedBatch {
  const client = createGeminiClient({
    name: options.name,
    baseURL: options.baseURL,
    ...(options.apiKey !== undefined ? { apiKey: options.apiKey } : {}),
    ...(options.extraHeaders !== undefined ? { extraHeaders: options.extraHeaders } : {}),
  });
  return async (texts, onUsage) => {
    const out: Float32Array[] = [];
    for (const batch of batches(texts.map(nonEmpty), GEMINI_MAX_INPUTS, GEMINI_MAX_CHARS)) {
      // Per call, so an error is classified with this request's headers (retry-after).
      const observed = observedFetch(options.fetch ?? globalThis.fetch, options.timeoutMs);
      const scope = {
        provider: options.name,
        model: options.model,
        apiKey: options.apiKey,
        baseURL: options.baseURL,
        describe: (error: unknown) => describeGeminiError(error, observed.headers()),
      };
      let response: Awaited<ReturnType<typeof client.models.embedContent>>;
      try {
        response = await client.models.embedContent({
          model: options.model,
          contents: batch,
          config: {
            // No SDK retries: the default is none, and retryOptions stays unset.
            httpOptions: { fetch: observed.fetch },
            ...(options.dimensions !== undefined ? { outputDimensionality: options.dimensions } : {}),
          },
        });
      } catch (error) {
        throw toProviderError(error, scope);
      }
      // batchEmbedContents reports no token count: estimated from the text.
      onUsage?.(embeddingUsage(options.model, batch));
      const embeddings = response.embeddings ?? [];
      if (embeddings.length !== batch.length) {
        throw toProviderError(
          new Error(`the answer has ${embeddings.length} embeddings for ${batch.length} inputs`),
          scope,
        );
      }
      for (const embedding of embeddings) out.push(Float32Array.from(embedding.values ?? []));
    }
    return out;
  };
}
