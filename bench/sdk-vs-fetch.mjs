#!/usr/bin/env node
// What each vendor SDK costs the provider adapters, against speaking the wire protocol on
// `fetch` with eventsource-parser. For each wire API (Chat Completions, Responses, Anthropic
// Messages, Gemini streamGenerateContent):
//  (a) the adapter as shipped (ADAPTER_FACTORIES: its transport + our request builders,
//      translators and stream guard). The OpenAI adapters (since issue 18.4) and Gemini's (17.2)
//      speak their APIs on `fetch` + eventsource-parser; Anthropic's still uses @anthropic-ai/sdk;
//  (b) an alternative written below, with the same request builders, translators and guard:
//      - OpenAI Chat and Responses: the `openai` SDK as the adapters used it until issue 18.4
//        (the same client options; Responses without previous_response_id chaining), so the
//        SDK's figures are still reported (it stays installed as a dev dependency);
//      - Anthropic: a prototype on `fetch` + eventsource-parser (HTTP and in-stream errors
//        mapped to the same ErrorFacts);
//      - Gemini: a second fetch transport beside the shipped one;
//  (c) a raw fetch of the adapter's exact request that only reads the body (the floor);
// all three interleaved (rotating order) against the testkit's in-process mock, on a typical
// reply (a sentence in word deltas + one tool call + usage) and a long one (~500 text deltas +
// the tool call). Reported: medians, the time each adds per call over (c) (difference of the
// medians, and the median of same-round differences), and per SSE event (the slope between the
// two replies). The alternative is also checked against the adapter: the same request
// (method, path, query, JSON body and its bytes; also for a second turn with an attachment,
// signed reasoning, a tool result and every request option), the same StreamEvent sequences on
// both replies and on every recorded stream in ../shared/fixtures/providers (when present;
// Gemini with CRLF and LF framing), and the same ProviderError (kind, status, retry-after,
// partialOutput, message) on HTTP and in-stream faults.
// Per SDK, in fresh processes (median of --import-runs): time to import the module from
// node_modules and the RSS and heap it adds (beside an empty module's, the loader's own cost);
// its size bundled alone (the imports the adapter had, with the CLI bundle's rolldown settings)
// and the cost of importing that bundle (what `oxydra` pays on a first call); the same for
// eventsource-parser; the source size of the prototypes' transport code and of the OpenAI
// adapters' shipped one. `openai` and @google/genai are no longer loaded by any adapter:
// measured while installed (openai as a dev dependency).
// The alternatives import our translators from packages/provider/dist (not public API).
// Usage: node bench/sdk-vs-fetch.mjs [--calls N] [--long-calls N] [--import-runs N]
//   (prints one JSON object; needs `npm run build`)
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { isDeepStrictEqual, parseArgs } from 'node:util';
import { ADAPTER_FACTORIES, defineAdapter } from '@oxydra/provider';
import { startMockLLM } from '@oxydra/testkit';
import { createParser } from 'eventsource-parser';
import OpenAI, { APIConnectionError, APIConnectionTimeoutError, APIError } from 'openai';
import { BENCH_CONTEXT, FILE_READ_CALL, rawStream, TURN_SENTENCE, TYPICAL_REPLY } from './provider-turn.mjs';
import { summarize } from './stats.mjs';

const { values } = parseArgs({
  options: {
    calls: { type: 'string', default: '1000' },
    'long-calls': { type: 'string', default: '100' },
    'import-runs': { type: 'string', default: '5' },
  },
});
const calls = Number(values.calls);
const longCalls = Number(values['long-calls']);
const importRuns = Number(values['import-runs']);

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const DIST = new URL('../packages/provider/dist/', import.meta.url);
const FIXTURES = new URL('../../shared/fixtures/providers/', import.meta.url);
const internal = (path) => import(new URL(path, DIST).href);
const [chatEvents, chatRequests, responsesEvents, responsesRequests, anthropicEvents, anthropicRequests] =
  await Promise.all([
    internal('adapters/openai-chat/provider.js'),
    internal('adapters/openai-chat/provider.js'),
    internal('adapters/openai-responses/events.js'),
    internal('adapters/openai-responses/request.js'),
    internal('adapters/anthropic/events.js'),
    internal('adapters/anthropic/request.js'),
  ]);
const [geminiEvents, geminiRequests, retryAfter, sharedErrors] = await Promise.all([
  internal('adapters/gemini/events.js'),
  internal('adapters/gemini/request.js'),
  internal('shared/retry-after.js'),
  internal('shared/errors.js'),
]);

// ---------------------------------------------------------------------------------------------
// The openai SDK as the OpenAI adapters used it until issue 18.4 (adapters/openai/client.ts and
// errors.ts, openai-chat/provider.ts and openai-responses/provider.ts of that time).

function sdkClient(options) {
  return new OpenAI({
    apiKey: nonEmpty(options.apiKey) ?? 'no-api-key',
    baseURL: options.baseURL,
    maxRetries: 0,
    adminAPIKey: null,
    organization: null,
    project: null,
    webhookSecret: null,
    ...(options.extraHeaders !== undefined ? { defaultHeaders: options.extraHeaders } : {}),
  });
}

function describeOpenAISdk(error) {
  const connection = sharedErrors.sdkConnectionFacts(error, {
    timeout: APIConnectionTimeoutError,
    connection: APIConnectionError,
  });
  if (connection) return connection;
  if (!(error instanceof APIError)) return undefined;
  const facts = { message: nonEmpty(error.error?.message) ?? error.message.replace(/^\d{3}\s+/, '') };
  if (error.status !== undefined) facts.status = error.status;
  if (error.headers !== undefined) facts.headers = error.headers;
  if (nonEmpty(error.code)) facts.code = error.code;
  if (nonEmpty(error.type)) facts.type = error.type;
  return facts;
}

const openaiChatSdk = (options) => {
  const client = sdkClient(options);
  return async function* (context, signal) {
    const body = chatRequests.chatRequest(context, { provider: options.name, baseURL: options.baseURL });
    const { data: stream, response } = await client.chat.completions.create(body, { signal }).withResponse();
    const translator = new chatEvents.ChatStreamTranslator();
    if (response.headers.get('content-type')?.includes('application/json')) {
      yield* translator.handleCompletion(await response.json());
      yield* translator.end();
      return;
    }
    for await (const chunk of stream) yield* translator.handle(chunk);
    yield* translator.end();
  };
};

const openaiResponsesSdk = (options) => {
  const client = sdkClient(options);
  return async function* (context, signal) {
    const { instructions, items } = responsesRequests.responsesInput(context, options.name);
    const body = responsesRequests.responsesRequest(context, items, instructions, undefined);
    const stream = await client.responses.create(body, { signal });
    const translator = new responsesEvents.ResponsesStreamTranslator();
    for await (const event of stream) yield* translator.handle(event);
    yield* translator.end();
  };
};

// ---------------------------------------------------------------------------------------------
// The prototype: fetch + eventsource-parser in place of the SDKs. Everything from here to the
// end of the prototype section is its transport code (its source size is reported).

/** A failure the server reported: an HTTP error answer, or an error event inside the stream. */
class WireError extends Error {
  constructor(status, headers, body, text) {
    super(text);
    this.name = 'WireError';
    this.status = status;
    this.headers = headers;
    this.body = body;
  }
}

function parseJson(text) {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function nonEmpty(value) {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** POST a JSON body; a non-2xx answer becomes a WireError with its parsed body. */
async function postJson(options, url, headers, body, signal) {
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
async function* sseMessages(response) {
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

const apiKey = (options) => nonEmpty(options.apiKey) ?? 'no-api-key';
const trimSlash = (url) => url.replace(/\/+$/, '');

/** The Messages API version @anthropic-ai/sdk 1.11.0 sends; owning it is part of dropping the SDK. */
const ANTHROPIC_VERSION = '2026-10-21';

/** Anthropic bodies: {type: "error", error: {type, message, details?}}. */
function describeAnthropic(error) {
  if (!(error instanceof WireError)) return undefined;
  const detail = error.body?.error;
  const facts = { message: nonEmpty(detail?.message) ?? (nonEmpty(error.message) || `HTTP ${error.status}`) };
  if (error.status !== undefined) facts.status = error.status;
  if (error.headers !== undefined) facts.headers = error.headers;
  if (nonEmpty(detail?.type)) facts.type = detail.type;
  if (nonEmpty(detail?.details?.error_code)) facts.code = detail.details.error_code;
  return facts;
}

async function* anthropicWire(options, context, signal) {
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
function describeGemini(error) {
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

async function* geminiWire(options, context, signal) {
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
function fetchProvider(
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

const PROTOTYPE_CODE = [
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
const OPENAI_TRANSPORT_FILES = ['adapters/openai/wire.ts', 'shared/http.ts'];
// ---------------------------------------------------------------------------------------------

const APIS = [
  {
    type: 'openai',
    api: 'openai-chat',
    fixtures: 'openai-chat',
    // Since issue 18.4 the adapter has no SDK: (b) is the openai SDK it used until then.
    sdk: 'none (fetch + eventsource-parser; was openai)',
    alternative_is: 'openai SDK (the transport until issue 18.4)',
    alternative: fetchProvider('openai', undefined, describeOpenAISdk, openaiChatSdk),
  },
  {
    type: 'openai_responses',
    api: 'openai-responses',
    fixtures: 'openai-responses',
    sdk: 'none (fetch + eventsource-parser; was openai)',
    alternative_is: 'openai SDK (the transport until issue 18.4)',
    alternative: fetchProvider('openai_responses', undefined, describeOpenAISdk, openaiResponsesSdk),
  },
  {
    type: 'anthropic',
    api: 'anthropic',
    fixtures: 'anthropic-messages',
    sdk: '@anthropic-ai/sdk',
    alternative_is: 'fetch + eventsource-parser prototype',
    alternative: fetchProvider('anthropic', anthropicWire, describeAnthropic),
  },
  {
    type: 'gemini',
    api: 'gemini',
    fixtures: 'gemini',
    // Since the switch the adapter has no SDK: (a) is our fetch + eventsource-parser transport.
    sdk: 'none (fetch + eventsource-parser; was @google/genai)',
    alternative_is: 'fetch + eventsource-parser prototype',
    alternative: fetchProvider('gemini', geminiWire, describeGemini),
  },
];

const words = TURN_SENTENCE.split(' ');
const REPLIES = {
  typical: TYPICAL_REPLY,
  long: {
    text: Array.from({ length: 500 }, (_, i) => words[i % words.length]).join(' '),
    toolCalls: [FILE_READ_CALL],
    usage: { input: 420, output: 640 },
  },
};
const context = BENCH_CONTEXT;
const BASIC_CONTEXT = { model: 'test-model', messages: [{ role: 'user', content: 'hello' }] };
/** A second turn with an attachment, signed reasoning, a tool result and every request option. */
const RICH_CONTEXT = {
  model: 'bench-model',
  maxOutputTokens: 4000,
  temperature: 0.3,
  reasoning: { effort: 'medium', budgetTokens: 2048 },
  tools: [
    context.tools[0],
    {
      name: 'search',
      description: 'Search the notes',
      parameters: {
        $schema: 'http://json-schema.org/draft-07/schema#',
        type: 'object',
        properties: {
          query: { type: 'string' },
          limit: { type: ['integer', 'null'] },
          mode: { enum: ['fast', 'deep'] },
          tags: { type: 'array', items: { type: 'string' } },
        },
        required: ['query'],
        additionalProperties: false,
      },
      safety: 'read_only',
    },
  ],
  messages: [
    { role: 'system', content: 'You are a benchmark.' },
    {
      role: 'user',
      content: [
        { type: 'text', text: 'What is in this picture?' },
        { type: 'attachment', mimeType: 'image/png', data: 'iVBORw0KGgo=' },
      ],
    },
    {
      role: 'assistant',
      content: 'Let me read the notes.',
      reasoning: [{ text: 'The picture needs context.', signature: 'sig-1' }],
      toolCalls: [
        {
          id: 'call_1',
          name: 'file_read',
          arguments: { path: 'notes.md' },
          metadata: { thoughtSignature: 'ts-1' },
        },
      ],
    },
    { role: 'tool', toolCallId: 'call_1', toolName: 'file_read', content: 'a cat on a mat' },
    { role: 'user', content: 'Thanks, go on.' },
  ],
};
const KEY = 'sk-bench-0123456789';

async function drain(provider, ctx = context) {
  const events = [];
  for await (const event of provider.stream(ctx)) events.push(event);
  return events;
}

/** The events, or the ProviderError's observable facts. */
async function outcome(provider, ctx) {
  try {
    return { events: await drain(provider, ctx) };
  } catch (error) {
    return {
      error: {
        name: error?.name,
        kind: error?.kind,
        status: error?.status,
        retryAfterMs: error?.retryAfterMs,
        partialOutput: error?.partialOutput,
        message: error?.message,
      },
    };
  }
}

function requestUrl(mock, sent) {
  const query = Object.keys(sent.query).length ? `?${new URLSearchParams(sent.query)}` : '';
  return `${new URL(mock.url).origin}${sent.path}${query}`;
}

const TRANSPORT_HEADERS = new Set([
  'host',
  'content-length',
  'connection',
  'accept-encoding',
  'accept-language',
  'sec-fetch-mode',
]);

/** Does the alternative send what the adapter sends? */
function compareRequests(byAdapter, byAlternative) {
  const names = (sent) => Object.keys(sent.headers).filter((name) => !TRANSPORT_HEADERS.has(name));
  const theirs = names(byAdapter);
  const ours = names(byAlternative);
  const differing = theirs.filter(
    (name) => ours.includes(name) && byAdapter.headers[name] !== byAlternative.headers[name],
  );
  return {
    same_target:
      byAdapter.method === byAlternative.method &&
      byAdapter.path === byAlternative.path &&
      isDeepStrictEqual(byAdapter.query, byAlternative.query),
    same_body_json: isDeepStrictEqual(byAdapter.body, byAlternative.body),
    same_body_bytes: byAdapter.raw === byAlternative.raw,
    headers_only_adapter_sends: theirs.filter((name) => !ours.includes(name)),
    headers_only_alternative_sends: ours.filter((name) => !theirs.includes(name)),
    headers_differing: differing,
  };
}

function sseEventCount(body) {
  return body.split(/\r?\n\r?\n/).filter((frame) => /^data:/m.test(frame)).length;
}

const round = (x, digits = 3) => Math.round(x * 10 ** digits) / 10 ** digits;

/** Adapter, alternative and raw fetch interleaved (rotating order), on one reply. */
async function timeReply(spec, reply, n) {
  const mock = await startMockLLM({ api: spec.api, scenario: [{ reply, times: 'always' }] });
  try {
    const options = { name: 'bench', baseURL: mock.url, apiKey: KEY };
    const adapter = ADAPTER_FACTORIES[spec.type](options);
    const alternative = spec.alternative(options);

    mock.reset();
    const adapterEvents = await drain(adapter);
    const byAdapter = mock.requests[0];
    mock.reset();
    const alternativeEvents = await drain(alternative);
    const byAlternative = mock.requests[0];
    const request = {
      headers: Object.fromEntries(
        Object.entries(byAdapter.headers).filter(
          ([name]) => !['host', 'content-length', 'connection'].includes(name),
        ),
      ),
      raw: byAdapter.raw,
    };
    const url = requestUrl(mock, byAdapter);
    const body = await (
      await fetch(url, { method: 'POST', headers: request.headers, body: request.raw })
    ).text();

    const runs = { adapter: [], alternative: [], raw: [] };
    const steps = [
      ['adapter', () => drain(adapter)],
      ['alternative', () => drain(alternative)],
      ['raw', () => rawStream(url, request)],
    ];
    const warmup = Math.max(10, Math.round(n / 5));
    for (let i = 0; i < warmup + n; i++) {
      for (let j = 0; j < steps.length; j++) {
        const [name, run] = steps[(i + j) % steps.length];
        const start = performance.now();
        await run();
        if (i >= warmup) runs[name].push(performance.now() - start);
      }
      if (i % 50 === 0) mock.requests.length = 0;
    }
    const a = summarize(runs.adapter);
    const p = summarize(runs.alternative);
    const r = summarize(runs.raw);
    // Each call against the raw fetch of the same round: steadier when the machine's load shifts.
    const paired = (name) => round(summarize(runs[name].map((ms, i) => ms - runs.raw[i])).median_ms);
    return {
      sse_events: sseEventCount(body),
      stream_events: adapterEvents.length,
      same_events: isDeepStrictEqual(adapterEvents, alternativeEvents),
      request: compareRequests(byAdapter, byAlternative),
      adapter: a,
      alternative: p,
      raw_fetch: r,
      adapter_added_ms: round(a.median_ms - r.median_ms),
      alternative_added_ms: round(p.median_ms - r.median_ms),
      paired_added_ms: { adapter: paired('adapter'), alternative: paired('alternative') },
    };
  } finally {
    await mock.close();
  }
}

/** Every recorded stream of this API (Gemini in CRLF and LF framing): same events or same error. */
async function checkFixtures(spec) {
  const dir = new URL(`${spec.fixtures}/`, FIXTURES);
  if (!existsSync(dir)) return { skipped: `no fixtures at ${fileURLToPath(dir)}` };
  const files = readdirSync(dir)
    .filter((file) => file !== 'expected.json' && (file.endsWith('.chunks.txt') || file.endsWith('.json')))
    .sort();
  const endings = spec.api === 'gemini' ? ['crlf', 'lf'] : [undefined];
  const mismatches = [];
  let checked = 0;
  for (const file of files) {
    for (const lineEnding of endings) {
      const mock = await startMockLLM({
        api: spec.api,
        fixture: fileURLToPath(new URL(file, dir)),
        ...(lineEnding ? { lineEnding } : {}),
      });
      try {
        const options = { name: 'fixture', baseURL: mock.url, apiKey: KEY };
        const byAdapter = await outcome(ADAPTER_FACTORIES[spec.type](options), BASIC_CONTEXT);
        const byAlternative = await outcome(spec.alternative(options), BASIC_CONTEXT);
        checked++;
        if (!isDeepStrictEqual(byAdapter, byAlternative)) {
          mismatches.push({
            file: lineEnding ? `${file} (${lineEnding})` : file,
            adapter: byAdapter,
            alternative: byAlternative,
          });
        }
      } finally {
        await mock.close();
      }
    }
  }
  return { checked, equal: checked - mismatches.length, mismatches };
}

/** The request each sends for RICH_CONTEXT, and the events it gets back. */
async function checkRichRequest(spec) {
  const mock = await startMockLLM({ api: spec.api, scenario: [{ reply: REPLIES.typical, times: 'always' }] });
  try {
    const options = { name: 'rich', baseURL: mock.url, apiKey: KEY };
    mock.reset();
    const byAdapter = await outcome(ADAPTER_FACTORIES[spec.type](options), RICH_CONTEXT);
    const sdkRequest = mock.requests[0];
    mock.reset();
    const byAlternative = await outcome(spec.alternative(options), RICH_CONTEXT);
    return {
      same_outcome: isDeepStrictEqual(byAdapter, byAlternative),
      ...compareRequests(sdkRequest, mock.requests[0]),
    };
  } finally {
    await mock.close();
  }
}

const FAULTS = {
  'http 429 + retry-after': { status: 429, retryAfter: 2 },
  'http 503': { status: 503 },
  'http 401': { status: 401 },
  'http 400 context overflow': { status: 400, contextOverflow: true },
  'in-stream error after 2 events': { streamError: { afterEvents: 2 } },
  'cut after 3 events': { cutAfterEvents: 3 },
  'malformed 2nd event': { malformedChunk: true },
};

/** The same ProviderError from both, fault by fault. */
async function checkFaults(spec) {
  const results = {};
  // The SDKs log the malformed chunk to stderr before throwing; this bench prints JSON only.
  const write = process.stderr.write;
  process.stderr.write = () => true;
  try {
    await checkEachFault(spec, results);
  } finally {
    process.stderr.write = write;
  }
  return results;
}

async function checkEachFault(spec, results) {
  for (const [name, fault] of Object.entries(FAULTS)) {
    const step = 'status' in fault ? { fault } : { reply: REPLIES.typical, fault };
    const mock = await startMockLLM({ api: spec.api, scenario: [{ ...step, times: 'always' }] });
    try {
      const options = { name: 'faults', baseURL: mock.url, apiKey: KEY };
      const byAdapter = await outcome(ADAPTER_FACTORIES[spec.type](options), context);
      const byAlternative = await outcome(spec.alternative(options), context);
      const { message: adapterMessage, ...adapterFacts } = byAdapter.error ?? {};
      const { message: alternativeMessage, ...alternativeFacts } = byAlternative.error ?? {};
      results[name] = {
        same_error: byAdapter.error !== undefined && isDeepStrictEqual(adapterFacts, alternativeFacts),
        same_message: adapterMessage === alternativeMessage,
        ...(isDeepStrictEqual(byAdapter, byAlternative)
          ? { error: byAdapter.error }
          : { adapter: byAdapter, alternative: byAlternative }),
      };
    } finally {
      await mock.close();
    }
  }
}

/** Time, RSS and heap importing one module adds, in a fresh process. */
function importOnce(specifier) {
  const script = `
    gc(); const m0 = process.memoryUsage(); const t0 = performance.now();
    await import(${JSON.stringify(specifier)});
    const ms = performance.now() - t0; gc(); const m1 = process.memoryUsage();
    process.stdout.write(JSON.stringify({ ms, rss: m1.rss - m0.rss, heap: m1.heapUsed - m0.heapUsed }));`;
  const run = spawnSync(process.execPath, ['--expose-gc', '--input-type=module', '-e', script], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  if (run.status !== 0) throw new Error(`importing ${specifier} failed: ${run.stderr}`);
  return JSON.parse(run.stdout);
}

/** Medians over --import-runs rounds, each round importing every module once (interleaved). */
function importCosts(specifiers) {
  const samples = Object.fromEntries(Object.keys(specifiers).map((key) => [key, []]));
  for (let i = 0; i < importRuns; i++) {
    for (const [key, specifier] of Object.entries(specifiers)) samples[key].push(importOnce(specifier));
  }
  return Object.fromEntries(
    Object.entries(samples).map(([key, runs]) => {
      const median = (field) => summarize(runs.map((sample) => sample[field])).median_ms;
      return [
        key,
        {
          import_ms_median: round(median('ms'), 1),
          import_ms_all: runs.map((sample) => round(sample.ms, 1)),
          rss_added_mb_median: round(median('rss') / 2 ** 20, 1),
          heap_added_mb_median: round(median('heap') / 2 ** 20, 1),
        },
      ];
    }),
  );
}

/** `exports` bundled alone with the CLI bundle's rolldown settings: all chunks, and the entry. */
async function bundled(writeBundle, dir, name, exportsLine) {
  const entry = join(dir, `${name}.mjs`);
  const out = join(dir, `${name}-out`);
  writeFileSync(entry, `${exportsLine}\n`);
  await writeBundle({ input: entry, dir: out });
  const files = readdirSync(out);
  return {
    bytes: files.reduce((sum, file) => sum + statSync(join(out, file)).size, 0),
    files: files.length,
    entry: pathToFileURL(join(out, 'main.mjs')).href,
  };
}

const SDK_IMPORTS = {
  // What the OpenAI adapters imported until issue 18.4 (now a dev dependency only).
  openai: (path) =>
    `export { default as OpenAI, APIError, APIConnectionError, APIConnectionTimeoutError } from ${path};`,
  '@anthropic-ai/sdk': (path) =>
    `export { default as Anthropic, APIError, APIConnectionError, APIConnectionTimeoutError } from ${path};`,
  // What the Gemini adapter imported until it moved to fetch: measured while still installed.
  '@google/genai': (path) => `export { GoogleGenAI, ApiError } from ${path};`,
  'eventsource-parser': (path) => `export { createParser } from ${path};`,
};

function installed(specifier) {
  try {
    import.meta.resolve(specifier);
    return true;
  } catch {
    return false;
  }
}
const NOT_INSTALLED = Object.keys(SDK_IMPORTS).filter((specifier) => !installed(specifier));

// ---------------------------------------------------------------------------------------------

const started = performance.now();
const streaming = {};
const correctness = {};
for (const spec of APIS) {
  const typical = await timeReply(spec, REPLIES.typical, calls);
  const long = await timeReply(spec, REPLIES.long, longCalls);
  const extraEvents = long.sse_events - typical.sse_events;
  const perEvent = (longMs, typicalMs) => round(((longMs - typicalMs) / extraEvents) * 1000, 2);
  streaming[spec.api] = {
    sdk: spec.sdk,
    alternative: spec.alternative_is,
    typical,
    long,
    // The slope between the two replies: what each further SSE event adds over the raw fetch.
    per_sse_event_us: {
      adapter: perEvent(long.adapter_added_ms, typical.adapter_added_ms),
      alternative: perEvent(long.alternative_added_ms, typical.alternative_added_ms),
    },
    per_sse_event_us_paired: {
      adapter: perEvent(long.paired_added_ms.adapter, typical.paired_added_ms.adapter),
      alternative: perEvent(long.paired_added_ms.alternative, typical.paired_added_ms.alternative),
    },
  };
  correctness[spec.api] = {
    rich_request: await checkRichRequest(spec),
    fixtures: await checkFixtures(spec),
    faults: await checkFaults(spec),
  };
}
const streamingSeconds = round((performance.now() - started) / 1000, 1);

const sdks = {};
const { writeBundle } = await import('../scripts/bundle-cli.mjs');
const workDir = mkdtempSync(join(tmpdir(), 'oxydra-sdk-size-'));
let baseline;
try {
  // The empty module: what the first dynamic import of anything costs (the ESM loader itself).
  writeFileSync(join(workDir, 'empty.mjs'), 'export {};\n');
  const targets = { empty: pathToFileURL(join(workDir, 'empty.mjs')).href };
  const bundles = {};
  for (const [specifier, exportsLine] of Object.entries(SDK_IMPORTS)) {
    if (NOT_INSTALLED.includes(specifier)) continue;
    const resolved = JSON.stringify(fileURLToPath(import.meta.resolve(specifier)));
    bundles[specifier] = await bundled(
      writeBundle,
      workDir,
      specifier.replace(/[@/]/g, '_'),
      exportsLine(resolved),
    );
    targets[specifier] = specifier;
    // The bundle: what `oxydra` (which loads the SDKs from its own bundle) pays on a first call.
    targets[`${specifier} (bundled)`] = bundles[specifier].entry;
  }
  const costs = importCosts(targets);
  baseline = costs.empty;
  for (const specifier of NOT_INSTALLED) sdks[specifier] = { skipped: 'not installed' };
  for (const [specifier, { bytes, files }] of Object.entries(bundles)) {
    sdks[specifier] = {
      version: JSON.parse(readFileSync(join(ROOT, 'node_modules', specifier, 'package.json'), 'utf8'))
        .version,
      ...costs[specifier],
      bundled: { bytes, files, ...costs[`${specifier} (bundled)`] },
    };
  }
} finally {
  rmSync(workDir, { recursive: true, force: true });
}
const prototypeSourceBytes = PROTOTYPE_CODE.reduce((sum, code) => sum + Buffer.byteLength(String(code)), 0);
const openaiTransportSourceBytes = OPENAI_TRANSPORT_FILES.reduce(
  (sum, file) => sum + statSync(join(ROOT, 'packages/provider/src', file)).size,
  0,
);

const summary = {};
for (const [api, result] of Object.entries(streaming)) {
  summary[api] = {
    alternative: result.alternative,
    typical_added_ms: {
      adapter: result.typical.adapter_added_ms,
      alternative: result.typical.alternative_added_ms,
    },
    long_added_ms: { adapter: result.long.adapter_added_ms, alternative: result.long.alternative_added_ms },
    per_sse_event_us: result.per_sse_event_us,
    same_events: result.typical.same_events && result.long.same_events,
    same_body: result.typical.request.same_body_json && correctness[api].rich_request.same_body_json,
    same_body_bytes: result.typical.request.same_body_bytes && correctness[api].rich_request.same_body_bytes,
    fixtures_equal: correctness[api].fixtures.skipped
      ? correctness[api].fixtures.skipped
      : `${correctness[api].fixtures.equal}/${correctness[api].fixtures.checked}`,
    faults_same_error: `${Object.values(correctness[api].faults).filter((f) => f.same_error).length}/${Object.keys(FAULTS).length}`,
  };
}

process.stdout.write(
  `${JSON.stringify(
    {
      benchmark: 'sdk-vs-fetch',
      node: process.version,
      calls_typical: calls,
      calls_long: longCalls,
      import_runs: importRuns,
      target: 'per call over a raw fetch: the adapter adds < 0.5 ms (as provider-overhead)',
      summary,
      streaming,
      correctness,
      sizes: {
        sdks,
        empty_module: baseline,
        prototype_transport_source_bytes: prototypeSourceBytes,
        openai_transport_source_bytes: { files: OPENAI_TRANSPORT_FILES, bytes: openaiTransportSourceBytes },
        note:
          'import costs include what importing an empty module costs (empty_module); bundled = the ' +
          "adapter's imports of the module alone, rolldown as scripts/bundle-cli.mjs (not minified), all chunks; " +
          '@google/genai and openai are what the Gemini and OpenAI adapters loaded before they moved to ' +
          'fetch + eventsource-parser (openai stays installed as a dev dependency)',
      },
      streaming_seconds: streamingSeconds,
      total_seconds: round((performance.now() - started) / 1000, 1),
    },
    null,
    2,
  )}\n`,
);
