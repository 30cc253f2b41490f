/**
 * Gemini embeddings: `models/{model}:batchEmbedContents`, one JSON POST per batch on `fetch`
 * (the endpoint and body @google/genai's embedContent sent for several texts). Loaded lazily by
 * index.ts.
 */

import { apiKeyOf } from '../adapters/define.js';
import { describeGeminiError } from '../adapters/gemini/errors.js';
import {
  geminiApiRoot,
  geminiHeaders,
  geminiMethodUrl,
  geminiModelPath,
  invalidModel,
  postGemini,
} from '../adapters/gemini/wire.js';
import { embeddingUsage } from '../catalog/cost.js';
import { readJsonBounded } from '../shared/bounded.js';
import { InStreamError } from '../shared/errors.js';
import { field } from '../shared/events.js';
import { toProviderError } from '../shared/stream.js';
import { batches, nonEmpty } from './batches.js';
import type { EmbedBatch } from './lazy.js';
import { embeddingAnswerBytes, type GeminiEmbedderOptions } from './options.js';

/** batchEmbedContents takes at most 100 requests. */
export const GEMINI_MAX_INPUTS = 100;
/** Each input may hold 2048 tokens; this keeps a request well under the API's size limit. */
export const GEMINI_MAX_CHARS = 400_000;

/** The body, key for key as the SDK wrote it: one request per text. */
function batchBody(texts: readonly string[], model: string, dimensions: number | undefined): string {
  return JSON.stringify({
    requests: texts.map((text) => ({
      content: { role: 'user', parts: [{ text }] },
      ...(dimensions !== undefined ? { outputDimensionality: dimensions } : {}),
      model,
    })),
  });
}

export function geminiEmbedBatch(
  options: GeminiEmbedderOptions & { model: string; name: string },
): EmbedBatch {
  const root = geminiApiRoot(options.baseURL);
  const headers = geminiHeaders(
    apiKeyOf({
      name: options.name,
      baseURL: options.baseURL,
      ...(options.apiKey !== undefined ? { apiKey: options.apiKey } : {}),
    }),
    options.extraHeaders,
  );
  const modelPath = geminiModelPath(options.model);
  const scope = {
    provider: options.name,
    model: options.model,
    apiKey: options.apiKey,
    baseURL: options.baseURL,
    describe: describeGeminiError,
  };
  return async (texts, onUsage) => {
    const out: Float32Array[] = [];
    const transport = { fetch: options.fetch, timeoutMs: options.timeoutMs, headers };
    let url: string;
    try {
      const problem = invalidModel(options.model);
      if (problem !== undefined) throw new InStreamError(problem, { code: 'INVALID_ARGUMENT' });
      url = geminiMethodUrl(root, options.model, 'batchEmbedContents');
    } catch (error) {
      throw toProviderError(error, scope);
    }
    for (const batch of batches(texts.map(nonEmpty), GEMINI_MAX_INPUTS, GEMINI_MAX_CHARS)) {
      let answer: unknown;
      try {
        const response = await postGemini(transport, url, batchBody(batch, modelPath, options.dimensions));
        const bound = embeddingAnswerBytes(batch.length, options.dimensions);
        answer = await readJsonBounded(response, bound, 'an embeddings answer');
      } catch (error) {
        throw toProviderError(error, scope);
      }
      // batchEmbedContents reports no token count: estimated from the text.
      onUsage?.(embeddingUsage(options.model, batch));
      const embeddings = field(answer, 'embeddings');
      const list = Array.isArray(embeddings) ? embeddings : [];
      if (list.length !== batch.length) {
        throw toProviderError(
          new Error(`the answer has ${list.length} embeddings for ${batch.length} inputs`),
          scope,
        );
      }
      for (const embedding of list) {
        const values = field(embedding, 'values');
        out.push(Float32Array.from(Array.isArray(values) ? (values as number[]) : []));
      }
    }
    return out;
  };
}
