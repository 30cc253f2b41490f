/**
 * Embedding endpoints of the mock server, next to the chat API it speaks:
 *   openai-chat, openai-responses: POST /v1/embeddings (input: a string or a list; honours
 *     `dimensions` and `encoding_format`, which the openai SDK sets to "base64" by default);
 *   gemini: POST /{version}/models/{model}:batchEmbedContents and :embedContent (honour
 *     `outputDimensionality`).
 * Vectors come from the input text (embeddings-vectors.ts). Requests are recorded like every
 * other, but are not model calls: they take no scenario step and do not advance callIndex.
 *
 * Faults: a scenario step with a status `fault` and a `match` answers the embedding requests
 * it matches with that error (`times` counts as usual). For the match, `lastMessage` is the
 * request's texts joined by newlines and `callIndex` counts embedding requests only. In a mock
 * that also serves chat calls, match on text only embedding inputs contain.
 */
import { base64Floats, mockEmbedding } from './embeddings-vectors.js';
import { isStatusFault, type ScenarioStep } from './scenario.js';
import { StepScript } from './steps.js';
import type { MockApi, MockWire } from './wire/index.js';
import { arrayOf, contentText, isObject } from './wire/text.js';
import type { ErrorSpec, JsonObject } from './wire/types.js';

export type EmbeddingRoute =
  | { kind: 'openai' }
  | { kind: 'gemini-batch'; model: string }
  | { kind: 'gemini-single'; model: string };

export interface EmbeddingReply {
  status: number;
  json: string;
  headers?: Record<string, string>;
}

const GEMINI_ROUTE = /^\/(?:v1beta|v1|v1alpha)\/models\/([^/:]+):(batchEmbedContents|embedContent)$/;

/** Sizes the real models answer with when no size is asked for. */
const DEFAULT_DIMENSIONS: Record<string, number> = {
  'text-embedding-3-large': 3072,
  'gemini-embedding-001': 3072,
  'text-embedding-004': 768,
};

function defaultDimensions(model: string, fallback: number): number {
  return DEFAULT_DIMENSIONS[model.replace(/^models\//, '')] ?? fallback;
}

function embeddingRoute(api: MockApi, method: string, url: URL): EmbeddingRoute | undefined {
  if (method !== 'POST') return undefined;
  if (api === 'openai-chat' || api === 'openai-responses') {
    return url.pathname === '/v1/embeddings' ? { kind: 'openai' } : undefined;
  }
  if (api !== 'gemini') return undefined;
  const match = GEMINI_ROUTE.exec(url.pathname);
  if (!match) return undefined;
  const model = decodeURIComponent(match[1] ?? '');
  return match[2] === 'batchEmbedContents'
    ? { kind: 'gemini-batch', model }
    : { kind: 'gemini-single', model };
}

/** OpenAI accepts a string, a list of strings, or token ids; ids are embedded as their JSON. */
function openAiInputs(input: unknown): string[] | undefined {
  if (typeof input === 'string') return [input];
  if (!Array.isArray(input) || input.length === 0) return undefined;
  if (input.every((item) => typeof item === 'number')) return [JSON.stringify(input)];
  return input.map((item) => (typeof item === 'string' ? item : JSON.stringify(item)));
}

function positiveInt(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isInteger(value) && value > 0 ? value : undefined;
}

function tokens(texts: readonly string[]): number {
  return texts.reduce((sum, text) => sum + Math.max(1, Math.ceil(text.length / 4)), 0);
}

export class MockEmbeddings {
  private readonly script: StepScript;
  private calls = 0;

  constructor(
    private readonly wire: MockWire,
    steps: readonly ScenarioStep[],
  ) {
    this.script = new StepScript(
      steps.filter((step) => step.match && step.fault && isStatusFault(step.fault)),
    );
  }

  route(method: string, url: URL): EmbeddingRoute | undefined {
    return embeddingRoute(this.wire.api, method, url);
  }

  reset(): void {
    this.calls = 0;
    this.script.reset();
  }

  reply(route: EmbeddingRoute, body: JsonObject | undefined): EmbeddingReply {
    const texts = body === undefined ? undefined : this.inputs(route, body);
    if (body === undefined || texts === undefined) {
      return this.error({ status: 400, message: 'mock-llm: the embedding request has no input texts' }, body);
    }
    const selected = this.script.next({
      callIndex: this.calls++,
      lastMessage: texts.join('\n'),
      lastToolResult: undefined,
    });
    if (selected?.step.fault && isStatusFault(selected.step.fault)) {
      const spec: ErrorSpec = selected.step.fault;
      const headers: Record<string, string> = {};
      if (spec.retryAfter !== undefined) headers['retry-after'] = String(spec.retryAfter);
      if (spec.retryAfterMs !== undefined) headers['retry-after-ms'] = String(spec.retryAfterMs);
      return { ...this.error(spec, body), headers };
    }
    return { status: 200, json: JSON.stringify(this.answer(route, body, texts)) };
  }

  private inputs(route: EmbeddingRoute, body: JsonObject): string[] | undefined {
    if (route.kind === 'openai') return openAiInputs(body.input);
    if (route.kind === 'gemini-single')
      return isObject(body.content) ? [contentText(arrayOf(body.content, 'parts'))] : undefined;
    const requests = arrayOf(body, 'requests');
    if (requests.length === 0 || !requests.every(isObject)) return undefined;
    return requests.map((request) => contentText(arrayOf(isObject(request) ? request.content : {}, 'parts')));
  }

  private answer(route: EmbeddingRoute, body: JsonObject, texts: string[]): JsonObject {
    if (route.kind === 'openai') {
      const model = typeof body.model === 'string' ? body.model : 'text-embedding-3-small';
      const dimensions = positiveInt(body.dimensions) ?? defaultDimensions(model, 1536);
      const base64 = body.encoding_format === 'base64';
      return {
        object: 'list',
        data: texts.map((text, index) => {
          const values = mockEmbedding(text, dimensions);
          return { object: 'embedding', index, embedding: base64 ? base64Floats(values) : values };
        }),
        model,
        usage: { prompt_tokens: tokens(texts), total_tokens: tokens(texts) },
      };
    }
    if (route.kind === 'gemini-single') {
      const dimensions = positiveInt(body.outputDimensionality) ?? defaultDimensions(route.model, 768);
      return { embedding: { values: mockEmbedding(texts[0] ?? '', dimensions) } };
    }
    const requests = arrayOf(body, 'requests');
    return {
      embeddings: texts.map((text, i) => {
        const request = requests[i];
        const asked = isObject(request) ? positiveInt(request.outputDimensionality) : undefined;
        return { values: mockEmbedding(text, asked ?? defaultDimensions(route.model, 768)) };
      }),
    };
  }

  private error(spec: ErrorSpec, body: JsonObject | undefined): EmbeddingReply {
    const model = body !== undefined && typeof body.model === 'string' ? body.model : 'mock-embedding-model';
    const error = this.wire.error(spec, { callIndex: this.calls, model, body: body ?? {}, mode: 'json' });
    return { status: error.status, json: error.json, ...(error.headers ? { headers: error.headers } : {}) };
  }
}
