// bench/sdk-vs-fetch.mjs: the Anthropic and Gemini alternatives, on fetch + eventsource-parser, and
// the source size of that transport code (PROTOTYPE_CODE) beside the OpenAI adapters' shipped one.
import { defineAdapter } from '@oxydra/provider';
import { createParser } from 'eventsource-parser';
import {
  anthropicEvents,
  anthropicRequests,
  geminiEvents,
  geminiRequests,
  retryAfter,
} from './provider-internals.mjs';

// ---------------------------------------------------------------------------------------------
// The prototype: fetch + eventsource-parser in place of the SDKs. Everything from here to the
// end of the prototype section is its transport code (its source size is reported).

/** A failure the server reported: an HTTP error answer, or an error event inside the stream. */
export class WireError extends Error {
  constructor(status, headers, body, text) {
    super(text);
    this.name = 'WireError';
    this.status = status;
    this.headers = headers;
    this.body = body;
  }
}

export function parseJson(text) {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

export function nonEmpty(value) {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** POST a JSON body; a non-2xx answer becomes a WireError with its parsed body. */
export async function postJson(options, url, headers, body, signal) {
  let timer;
  let requestSignal = signal;
  if (options.timeoutMs !== undefined) {
    // Bounds the wait for the response to start, not the stream (as the adapters' timeoutMs).
    const timeout = new AbortController();
    timer = setTimeout(
      () => timeout.abort(new DOMException('the request timed out', 'TimeoutError')),
      options.timeoutMs,
    );
    requestSignal = AbortSignal.any([signal, timeout.signal]);
  }
  try {
    const response = await (options.fetch ?? fetch)(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers, ...options.extraHeaders },
      body: JSON.stringify(body),
      signal: requestSignal,
    });
    if (!response.ok) {
      const text = await response.text();
      throw new WireError(response.status, response.headers, parseJson(text), text);
    }
    return response;
  } finally {
    clearTimeout(timer);
  }
}

/** The SSE messages of a response body ({event?, data}), in order. */
export async function* sseMessages(response) {
  const pending = [];
  const parser = createParser({ onEvent: (message) => pending.push(message) });
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let finished = false;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      parser.feed(decoder.decode(value, { stream: true }));
      for (let i = 0; i < pending.length; i++) yield pending[i];
      pending.length = 0;
    }
    parser.feed(decoder.decode());
    yield* pending;
    finished = true;
  } finally {
    // Stopped early (consumer gone, error): let the connection go.
    if (!finished) reader.cancel().catch(() => {});
  }
}

export const apiKey = (options) => nonEmpty(options.apiKey) ?? 'no-api-key';
export const trimSlash = (url) => url.replace(/\/+$/, '');

/** The Messages API version @anthropic-ai/sdk 1.11.0 sends; owning it is part of dropping the SDK. */
const ANTHROPIC_VERSION = '2026-10-21';

/** Anthropic bodies: {type: "error", error: {type, message, details?}}. */
export function describeAnthropic(error) {
  if (!(error instanceof WireError)) return undefined;
  const detail = error.body?.error;
  const facts = { message: nonEmpty(detail?.message) ?? (nonEmpty(error.message) || `HTTP ${error.status}`) };
  if (error.status !== undefined) facts.status = error.status;
  if (error.headers !== undefined) facts.headers = error.headers;
  if (nonEmpty(detail?.type)) facts.type = detail.type;
  if (nonEmpty(detail?.details?.error_code)) facts.code = detail.details.error_code;
  return facts;
}

export async function* anthropicWire(options, context, signal) {
  const key = apiKey(options);
  const origin = trimSlash(options.baseURL).replace(/\/v1$/, '');
  const headers = {
    'anthropic-version': ANTHROPIC_VERSION,
    authorization: `Bearer ${key}`,
    'x-api-key': key,
  };
  const body = anthropicRequests.anthropicRequest(context, options.name);
  const response = await postJson(options, `${origin}/v1/messages`, headers, body, signal);
  const translator = new anthropicEvents.AnthropicStreamTranslator();
  for await (const message of sseMessages(response)) {
    // Only named events count; pings carry nothing.
    if (message.event === undefined || message.event === 'ping' || message.data === '') continue;
    if (message.event === 'error') {
      throw new WireError(undefined, response.headers, parseJson(message.data), message.data);
    }
    yield* translator.handle(JSON.parse(message.data));
  }
  yield* translator.end();
}

/** Google bodies: {error: {code, message, status, details: [RetryInfo...]}}. */
export function describeGemini(error) {
  if (!(error instanceof WireError)) return undefined;
  const detail = error.body?.error;
  const facts = {
    message: nonEmpty(detail?.message) ?? (nonEmpty(error.message) || `HTTP ${error.status}`),
    status: error.status,
  };
  if (nonEmpty(detail?.status)) facts.code = detail.status;
  if (error.headers !== undefined) facts.headers = error.headers;
  for (const item of Array.isArray(detail?.details) ? detail.details : []) {
    const delay = retryAfter.parseDurationMs(item?.retryDelay);
    if (delay !== undefined) {
      facts.retryAfterMs = delay;
      break;
    }
  }
  return facts;
}

export async function* geminiWire(options, context, signal) {
  const base = trimSlash(options.baseURL);
  const versioned = /\/(v1beta|v1alpha|v1)$/.test(base) ? base : `${base}/v1beta`;
  const model = /^(models|tunedModels)\//.test(context.model) ? context.model : `models/${context.model}`;
  const url = `${versioned}/${model}:streamGenerateContent?alt=sse`;
  const response = await postJson(
    options,
    url,
    { 'x-goog-api-key': apiKey(options) },
    geminiRequests.geminiRequest(context),
    signal,
  );
  const translator = new geminiEvents.GeminiStreamTranslator();
  for await (const message of sseMessages(response)) {
    const chunk = JSON.parse(message.data);
    // An error inside the stream arrives as a lone {error: {code, ...}} chunk.
    const code = chunk?.error?.code;
    if (typeof code === 'number' && code >= 400 && code < 600) {
      throw new WireError(code, response.headers, chunk, message.data);
    }
    yield* translator.handle(chunk);
  }
  yield* translator.end();
}

/**
 * A Provider built as the shipped adapters are (defineAdapter: one guarded stream per call).
 * `prepare` runs once per provider and gives the call (`run(options, context, signal)` by default).
 */
export function fetchProvider(
  type,
  run,
  describe,
  prepare = (options) => (context, signal) => run(options, context, signal),
) {
  return (options) => {
    const call = prepare(options);
    return defineAdapter(options, type, (context) => ({ describe, run: (signal) => call(context, signal) }));
  };
}

export const PROTOTYPE_CODE = [
  WireError,
  parseJson,
  nonEmpty,
  postJson,
  sseMessages,
  apiKey,
  trimSlash,
  describeAnthropic,
  anthropicWire,
  describeGemini,
  geminiWire,
  fetchProvider,
];

// End of the prototype. The OpenAI adapters' shipped transport, for its size beside it:
export const OPENAI_TRANSPORT_FILES = ['adapters/openai/wire.ts', 'shared/http.ts'];
