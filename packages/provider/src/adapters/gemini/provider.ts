/** Google Gemini API (`type: gemini`), streamGenerateContent over SSE. */
import { GoogleGenAI } from '@google/genai';
import type { Context, Provider, StreamEvent } from '@oxydra/types';
import { translate } from '../../shared/translate.js';
import { defineAdapter } from '../define.js';
import { type AdapterOptions, apiKeyOf } from '../options.js';
import { describeGeminiError } from './errors.js';
import { GeminiStreamTranslator } from './events.js';
import { observedFetch } from './fetch.js';
import { geminiConfig, geminiContents } from './request.js';

/** The SDK adds /{version}/models/...; a base URL given with the version keeps it. */
function splitBaseURL(baseURL: string): { baseUrl: string; apiVersion?: string } {
  const trimmed = baseURL.replace(/\/+$/, '');
  const match = /^(.*)\/(v1beta|v1alpha|v1)$/.exec(trimmed);
  return match?.[1] !== undefined && match[2] !== undefined
    ? { baseUrl: match[1], apiVersion: match[2] }
    : { baseUrl: trimmed };
}

export function createGeminiClient(options: AdapterOptions): GoogleGenAI {
  return new GoogleGenAI({
    apiKey: apiKeyOf(options),
    // Explicit, so GOOGLE_GENAI_USE_VERTEXAI in the environment cannot redirect requests.
    vertexai: false,
    httpOptions: {
      ...splitBaseURL(options.baseURL),
      ...(options.extraHeaders !== undefined ? { headers: options.extraHeaders } : {}),
    },
  });
}

async function* streamGemini(
  client: GoogleGenAI,
  fetcher: typeof fetch,
  context: Context,
  signal: AbortSignal,
): AsyncGenerator<StreamEvent> {
  const { systemInstruction, contents } = geminiContents(context);
  const config = geminiConfig(context, systemInstruction);
  config.abortSignal = signal;
  // No SDK retries: the default is none, and retryOptions stays unset.
  config.httpOptions = { fetch: fetcher };
  const stream = await client.models.generateContentStream({ model: context.model, contents, config });
  yield* translate(stream, new GeminiStreamTranslator());
}

export function createGeminiProvider(options: AdapterOptions): Provider {
  const client = createGeminiClient(options);
  return defineAdapter(options, 'gemini', (context) => {
    // Per call, so the headers an error is classified with are this request's.
    const observed = observedFetch(options.fetch ?? globalThis.fetch, options.timeoutMs);
    return {
      describe: (error) => describeGeminiError(error, observed.headers()),
      run: (signal) => streamGemini(client, observed.fetch, context, signal),
    };
  });
}
