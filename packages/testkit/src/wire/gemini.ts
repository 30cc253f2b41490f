/**
 * Gemini: POST /v1beta/models/{model}:streamGenerateContent?alt=sse and :generateContent.
 * Streams `data: <GenerateContentResponse>` with no event names and no terminator (the stream
 * ends when the connection closes); the server frames them with CRLF as Google does. Chunks
 * follow the recorded gemini-3 streams: thought parts, text parts, complete functionCall parts
 * (Gemini has no argument fragments and no call ids), then a last chunk with an empty text
 * part, finishReason and the complete usageMetadata.
 */
import { mapFinishReason, type ReplyPlan } from '../plan.js';
import { dataEvents, jsonEvent, type SseEvent } from '../sse.js';
import { arrayOf, findLast, isObject, stringLeaves } from './text.js';
import type { CallContext, ErrorSpec, JsonObject, ResponseMode, WireApi } from './types.js';

const ROUTE = /^\/(v1beta|v1|v1alpha)\/models\/([^/:]+):(streamGenerateContent|generateContent)$/;

const FINISH: Record<string, string> = {
  stop: 'STOP',
  tool_calls: 'STOP',
  length: 'MAX_TOKENS',
  content_filter: 'SAFETY',
  refusal: 'SAFETY',
};

const STATUSES: Record<number, string> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  429: 'RESOURCE_EXHAUSTED',
  500: 'INTERNAL',
  503: 'UNAVAILABLE',
  504: 'DEADLINE_EXCEEDED',
};

function errorObject(spec: ErrorSpec, ctx: CallContext | undefined): JsonObject {
  const status = STATUSES[spec.status] ?? (spec.status >= 500 ? 'UNAVAILABLE' : 'INVALID_ARGUMENT');
  const messages: Record<string, string> = {
    INVALID_ARGUMENT: spec.contextOverflow
      ? 'The input token count (1048577) exceeds the maximum number of tokens allowed (1048576).'
      : 'Request contains an invalid argument.',
    UNAUTHENTICATED:
      'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.',
    PERMISSION_DENIED: 'The caller does not have permission',
    NOT_FOUND: `models/${ctx?.model ?? 'unknown'} is not found for API version v1beta, or is not supported for generateContent.`,
    RESOURCE_EXHAUSTED: 'Resource has been exhausted (e.g. check quota).',
    INTERNAL:
      'An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting',
    UNAVAILABLE: 'The model is overloaded. Please try again later.',
    DEADLINE_EXCEEDED: 'The request timed out. Please try again.',
  };
  if (spec.badKey && spec.status === 400) {
    // Google's answer to a key it does not know: 400, not 401 (what a client must recognise).
    const message = spec.message ?? 'API key not valid. Please pass a valid API key.';
    return {
      error: {
        code: 400,
        message,
        status,
        details: [
          {
            '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
            reason: 'API_KEY_INVALID',
            domain: 'googleapis.com',
            metadata: { service: 'generativelanguage.googleapis.com' },
          },
          { '@type': 'type.googleapis.com/google.rpc.LocalizedMessage', locale: 'en-US', message },
        ],
      },
    };
  }
  const error: JsonObject = {
    code: spec.status,
    message: spec.message ?? messages[status] ?? 'Error',
    status,
  };
  const delaySeconds =
    spec.retryAfter ?? (spec.retryAfterMs === undefined ? undefined : spec.retryAfterMs / 1000);
  if (delaySeconds !== undefined) {
    // Google states the wait in the body (RetryInfo), not only in a header.
    error.details = [{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: `${delaySeconds}s` }];
  }
  return { error };
}

function usageMetadata(plan: ReplyPlan): JsonObject {
  const { input, output, cacheRead, reasoning } = plan.usage;
  const prompt = input + (cacheRead ?? 0);
  // Scenario `output` counts reasoning (as OpenAI and Anthropic do); Gemini reports thoughts
  // apart from candidatesTokenCount, and both inside totalTokenCount.
  return {
    promptTokenCount: prompt,
    candidatesTokenCount: output - (reasoning ?? 0),
    totalTokenCount: prompt + output,
    ...(cacheRead === undefined ? {} : { cachedContentTokenCount: cacheRead }),
    promptTokensDetails: [{ modality: 'TEXT', tokenCount: prompt }],
    ...(reasoning === undefined ? {} : { thoughtsTokenCount: reasoning }),
  };
}

function functionCallParts(plan: ReplyPlan): JsonObject[] {
  return plan.toolCalls.map((call, i) => ({
    functionCall: {
      ...(call.id === undefined ? {} : { id: call.id }),
      name: call.name,
      args: call.argumentsValue,
    },
    // Gemini 3 signs the first function call of a turn.
    ...(i === 0 && plan.reasoningSignature !== undefined
      ? { thoughtSignature: plan.reasoningSignature }
      : {}),
  }));
}

/** The closing empty text part carries the signature when no function call does (as recorded). */
function closingPart(plan: ReplyPlan): JsonObject {
  const signed = plan.reasoningSignature !== undefined && plan.toolCalls.length === 0;
  return { text: '', ...(signed ? { thoughtSignature: plan.reasoningSignature } : {}) };
}

function response(
  ctx: CallContext,
  parts: JsonObject[],
  usage: JsonObject,
  finishReason?: string,
): JsonObject {
  return {
    candidates: [
      {
        content: { parts, role: 'model' },
        ...(finishReason === undefined ? {} : { finishReason }),
        index: 0,
      },
    ],
    usageMetadata: usage,
    modelVersion: ctx.model,
    responseId: `mock-${ctx.callIndex}`,
  };
}

function contentsText(part: JsonObject): string {
  if (typeof part.text === 'string') return part.text;
  if (isObject(part.functionResponse)) return stringLeaves(part.functionResponse.response);
  return '';
}

export const gemini: WireApi<'gemini'> = {
  api: 'gemini',
  basePath: '',
  streamErrorStatus: 503,

  route(method, url) {
    const match = method === 'POST' ? ROUTE.exec(url.pathname) : null;
    if (!match) return undefined;
    const mode: ResponseMode =
      match[3] === 'generateContent' ? 'json' : url.searchParams.get('alt') === 'sse' ? 'sse' : 'json-array';
    return { model: decodeURIComponent(match[2] ?? ''), mode };
  },

  mode(route) {
    return route.mode ?? 'json';
  },

  view(body, callIndex) {
    const contents = arrayOf(body, 'contents').filter(isObject);
    const last = contents.at(-1);
    const parts = contents.flatMap((c) => arrayOf(c, 'parts').filter(isObject));
    const result = findLast(parts, (part) => isObject(part.functionResponse));
    return {
      callIndex,
      lastMessage: last ? arrayOf(last, 'parts').filter(isObject).map(contentsText).join('') : undefined,
      lastToolResult: result ? contentsText(result) : undefined,
    };
  },

  events(plan, ctx) {
    // Early chunks carry only the prompt count, as the service's running usage does.
    const prompt = plan.usage.input + (plan.usage.cacheRead ?? 0);
    const running = { promptTokenCount: prompt, totalTokenCount: prompt };
    const chunk = (parts: JsonObject[]) => jsonEvent(response(ctx, parts, running));
    const events: SseEvent[] = [
      ...plan.reasoningChunks.map((text) => chunk([{ text, thought: true }])),
      ...plan.textChunks.map((text) => chunk([{ text }])),
    ];
    if (plan.toolCalls.length > 0) events.push(chunk(functionCallParts(plan)));
    events.push(
      jsonEvent(
        response(ctx, [closingPart(plan)], usageMetadata(plan), mapFinishReason(plan.finishReason, FINISH)),
      ),
    );
    return events;
  },

  body(plan, ctx) {
    const parts: JsonObject[] = [];
    if (plan.reasoning !== '') parts.push({ text: plan.reasoning, thought: true });
    if (plan.text !== '' || plan.toolCalls.length === 0) {
      parts.push(
        plan.toolCalls.length === 0 ? { ...closingPart(plan), text: plan.text } : { text: plan.text },
      );
    }
    parts.push(...functionCallParts(plan));
    return response(ctx, parts, usageMetadata(plan), mapFinishReason(plan.finishReason, FINISH));
  },

  error(spec, ctx) {
    const body = errorObject(spec, ctx);
    // Google pretty-prints error bodies; streamGenerateContent without alt=sse wraps them in an array.
    const json = `${JSON.stringify(ctx?.mode === 'json-array' ? [body] : body, null, 2)}\n`;
    return { status: spec.status, json };
  },

  streamError(spec, ctx) {
    return [jsonEvent(errorObject(spec, ctx))];
  },

  // Google lists models only to a caller with a key: none is 403, a wrong one 400 API_KEY_INVALID.
  listingRefusal(keySent) {
    return keySent
      ? { status: 400, badKey: true }
      : {
          status: 403,
          message:
            "Method doesn't allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API.",
        };
  },

  fixtureEvents: dataEvents,
};
