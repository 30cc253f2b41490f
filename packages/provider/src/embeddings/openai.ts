/**
 * OpenAI embeddings (`POST {baseURL}/embeddings`) on `fetch`, for OpenAI and any
 * OpenAI-compatible server (Ollama, vLLM, LM Studio...). Loaded lazily by index.ts.
 */
import { describeOpenAIError, openAITransport, openAIUrl, postOpenAI } from '../adapters/openai/wire.js';
import { embeddingUsage } from '../catalog/cost.js';
import { readJsonBounded } from '../shared/bounded.js';
import { field, reportedCount } from '../shared/events.js';
import { toProviderError } from '../shared/stream.js';
import { batches, nonEmpty } from './batches.js';
import type { EmbedBatch } from './lazy.js';
import { embeddingAnswerBytes, type OpenAIEmbedderOptions } from './options.js';
import { embeddingVector } from './vectors.js';

/** OpenAI's limit of inputs per request. */
export const OPENAI_MAX_INPUTS = 2048;
/** ~150k tokens at 4 characters per token: half OpenAI's 300k-token cap per request. */
export const OPENAI_MAX_CHARS = 600_000;

/**
 * The body, key for key as the openai SDK wrote it. `encoding_format: base64` is what the SDK
 * asked for when we named none: little-endian float32s in base64, a quarter of the bytes of a
 * JSON number list.
 */
function embeddingsBody(model: string, texts: readonly string[], dimensions: number | undefined): string {
  return JSON.stringify({
    model,
    input: texts,
    ...(dimensions !== undefined ? { dimensions } : {}),
    encoding_format: 'base64',
  });
}

export function openAIEmbedBatch(
  options: OpenAIEmbedderOptions & { model: string; name: string },
): EmbedBatch {
  const transport = openAITransport(options);
  const url = openAIUrl(options.baseURL, '/embeddings');
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
      let answer: unknown;
      try {
        const response = await postOpenAI(
          transport,
          url,
          embeddingsBody(options.model, batch, options.dimensions),
        );
        const bound = embeddingAnswerBytes(batch.length, options.dimensions);
        answer = await readJsonBounded(response, bound, 'an embeddings answer');
      } catch (error) {
        throw toProviderError(error, scope);
      }
      // Billed once answered, whatever we make of the answer.
      const tokens = reportedCount(field(answer, 'usage', 'prompt_tokens'));
      onUsage?.(embeddingUsage(options.model, batch, tokens));
      const vectors: (Float32Array | undefined)[] = new Array(batch.length);
      const data = field(answer, 'data');
      try {
        for (const item of Array.isArray(data) ? data : []) {
          // Answers carry their input's index; servers are not obliged to keep the order.
          const index = field(item, 'index');
          if (typeof index === 'number' && index >= 0 && index < batch.length) {
            vectors[index] = embeddingVector(field(item, 'embedding'), index);
          }
        }
      } catch (error) {
        throw toProviderError(error, scope);
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
