/**
 * OpenAI embeddings (`POST /embeddings`) through the OpenAI SDK, for OpenAI and any
 * OpenAI-compatible server (Ollama, vLLM, LM Studio...). Loaded lazily by index.ts.
 */
import { createOpenAIClient } from '../adapters/openai/client.js';
import { describeOpenAIError } from '../adapters/openai/errors.js';
import { toProviderError } from '../shared/guard.js';
import { batches, nonEmpty } from './batches.js';
import type { EmbedBatch } from './lazy.js';
import { embeddingUsage, type OpenAIEmbedderOptions } from './options.js';

/** OpenAI's limit of inputs per request. */
export const OPENAI_MAX_INPUTS = 2048;
/** ~150k tokens at 4 characters per token: half OpenAI's 300k-token cap per request. */
export const OPENAI_MAX_CHARS = 600_000;

export function openAIEmbedBatch(
  options: OpenAIEmbedderOptions & { model: string; name: string },
): EmbedBatch {
  const client = createOpenAIClient({
    name: options.name,
    baseURL: options.baseURL,
    ...(options.apiKey !== undefined ? { apiKey: options.apiKey } : {}),
    ...(options.extraHeaders !== undefined ? { extraHeaders: options.extraHeaders } : {}),
    ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
    ...(options.fetch !== undefined ? { fetch: options.fetch } : {}),
  });
  const scope = {
    provider: options.name,
    model: options.model,
    apiKey: options.apiKey,
    baseURL: options.baseURL,
    versionedBaseURL: true,
    describe: describeOpenAIError,
  };
  return async (texts, onUsage) => {
    const out: Float32Array[] = [];
    for (const batch of batches(texts.map(nonEmpty), OPENAI_MAX_INPUTS, OPENAI_MAX_CHARS)) {
      let response: Awaited<ReturnType<typeof client.embeddings.create>>;
      try {
        // No encoding_format: the SDK then asks for base64 and decodes it to floats itself,
        // a quarter of the bytes of a JSON number list.
        response = await client.embeddings.create({
          model: options.model,
          input: batch,
          ...(options.dimensions !== undefined ? { dimensions: options.dimensions } : {}),
        });
      } catch (error) {
        throw toProviderError(error, scope);
      }
      // Billed once answered, whatever we make of the answer.
      onUsage?.(embeddingUsage(options.model, batch, response.usage?.prompt_tokens));
      const vectors: Float32Array[] = new Array(batch.length);
      for (const item of response.data) {
        // Answers carry their input's index; servers are not obliged to keep the order.
        if (item.index >= 0 && item.index < batch.length)
          vectors[item.index] = Float32Array.from(item.embedding);
      }
      for (let i = 0; i < batch.length; i++) {
        const vector = vectors[i];
        if (vector === undefined) {
          throw toProviderError(
            new Error(`the answer has no embedding for input ${i} of ${batch.length}`),
            scope,
          );
        }
        out.push(vector);
      }
    }
    return out;
  };
}
