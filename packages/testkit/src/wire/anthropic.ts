/**
 * Anthropic Messages: POST /v1/messages. Streams `event: <type>` + `data: <json>`:
 * message_start (with usage), one content block per thinking / text / tool_use (started,
 * deltas, stopped), a ping after the first block starts as the service does, message_delta
 * with stop_reason and final usage, message_stop. No [DONE].
 */
import { mapFinishReason, type ReplyPlan } from '../plan.js';
import { jsonEvent, type SseEvent, typedEvents } from '../sse.js';
import { arrayOf, contentText, findLast, isObject } from './text.js';
import type { CallContext, ErrorSpec, JsonObject, WireApi } from './types.js';

const FINISH: Record<string, string> = {
  stop: 'end_turn',
  tool_calls: 'tool_use',
  length: 'max_tokens',
  content_filter: 'refusal',
};

const ERROR_TYPES: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  402: 'billing_error',
  403: 'permission_error',
  404: 'not_found_error',
  413: 'request_too_large',
  429: 'rate_limit_error',
  500: 'api_error',
  504: 'timeout_error',
  529: 'overloaded_error',
};

const ERROR_MESSAGES: Record<string, string> = {
  invalid_request_error: 'Invalid request (mock-llm fault).',
  authentication_error: 'invalid x-api-key',
  billing_error: 'Your credit balance is too low to access the Anthropic API.',
  permission_error: 'Your API key does not have permission to use the specified resource.',
  not_found_error: 'Not Found',
  request_too_large: 'Request exceeds the maximum allowed number of bytes.',
  rate_limit_error:
    'This request would exceed the rate limit for your organization of 50,000 input tokens per minute. Please try again later.',
  api_error: 'Internal server error',
  timeout_error: 'Request timed out',
  overloaded_error: 'Overloaded',
};

function errorObject(spec: ErrorSpec): { type: string; message: string } {
  const type = ERROR_TYPES[spec.status] ?? (spec.status >= 500 ? 'api_error' : 'invalid_request_error');
  const fallback = spec.contextOverflow
    ? 'prompt is too long: 208310 tokens > 200000 maximum'
    : (ERROR_MESSAGES[type] ?? 'Error');
  return { type, message: spec.message ?? fallback };
}

function usageObject(plan: ReplyPlan, outputTokens: number): JsonObject {
  const { input, cacheRead = 0, cacheWrite = 0, reasoning } = plan.usage;
  return {
    input_tokens: input,
    cache_creation_input_tokens: cacheWrite,
    cache_read_input_tokens: cacheRead,
    output_tokens: outputTokens,
    ...(reasoning === undefined ? {} : { output_tokens_details: { thinking_tokens: reasoning } }),
  };
}

function toolUseId(call: ReplyPlan['toolCalls'][number], ctx: CallContext): string {
  return call.id ?? `toolu_mock_${ctx.callIndex}_${call.index}`;
}

function signature(plan: ReplyPlan, ctx: CallContext): string {
  return plan.reasoningSignature ?? `mock-signature-${ctx.callIndex}`;
}

/** Text is sent as a block even when empty if nothing else is, so a reply is never contentless by accident. */
function hasTextBlock(plan: ReplyPlan): boolean {
  return plan.text !== '' || (plan.toolCalls.length === 0 && plan.reasoning === '');
}

export const anthropic: WireApi<'anthropic'> = {
  api: 'anthropic',
  basePath: '',
  streamErrorStatus: 529,

  route(method, url) {
    return method === 'POST' && url.pathname === '/v1/messages' ? {} : undefined;
  },

  mode(_route, body) {
    return body.stream === true ? 'sse' : 'json';
  },

  view(body, callIndex) {
    const messages = arrayOf(body, 'messages').filter(isObject);
    const last = messages.at(-1);
    const results = messages.flatMap((m) =>
      (Array.isArray(m.content) ? m.content : []).filter(
        (block): block is JsonObject => isObject(block) && block.type === 'tool_result',
      ),
    );
    const result = findLast(results, () => true);
    return {
      callIndex,
      lastMessage: last ? contentText(last.content) : undefined,
      lastToolResult: result ? contentText(result.content ?? '') : undefined,
    };
  },

  events(plan, ctx) {
    const events: SseEvent[] = [];
    const send = (payload: JsonObject & { type: string }) => events.push(jsonEvent(payload, payload.type));
    send({
      type: 'message_start',
      message: {
        model: ctx.model,
        id: `msg_mock_${ctx.callIndex}`,
        type: 'message',
        role: 'assistant',
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: usageObject({ ...plan, usage: { ...plan.usage, reasoning: undefined } }, 1),
      },
    });
    let index = 0;
    const block = (start: JsonObject, deltas: JsonObject[]) => {
      send({ type: 'content_block_start', index, content_block: start });
      if (index === 0) send({ type: 'ping' });
      for (const delta of deltas) send({ type: 'content_block_delta', index, delta });
      send({ type: 'content_block_stop', index });
      index++;
    };
    if (plan.reasoning !== '') {
      block({ type: 'thinking', thinking: '', signature: '' }, [
        ...plan.reasoningChunks.map((thinking) => ({ type: 'thinking_delta', thinking })),
        { type: 'signature_delta', signature: signature(plan, ctx) },
      ]);
    }
    if (hasTextBlock(plan)) {
      block(
        { type: 'text', text: '' },
        plan.textChunks.map((text) => ({ type: 'text_delta', text })),
      );
    }
    for (const call of plan.toolCalls) {
      // The service always opens a tool_use block with an empty fragment.
      block(
        { type: 'tool_use', id: toolUseId(call, ctx), name: call.name, input: {} },
        ['', ...call.argumentChunks].map((partial_json) => ({ type: 'input_json_delta', partial_json })),
      );
    }
    if (index === 0) send({ type: 'ping' });
    send({
      type: 'message_delta',
      delta: { stop_reason: mapFinishReason(plan.finishReason, FINISH), stop_sequence: null },
      usage: usageObject(plan, plan.usage.output),
    });
    send({ type: 'message_stop' });
    return events;
  },

  body(plan, ctx) {
    const content: JsonObject[] = [];
    if (plan.reasoning !== '') {
      content.push({ type: 'thinking', thinking: plan.reasoning, signature: signature(plan, ctx) });
    }
    if (hasTextBlock(plan)) content.push({ type: 'text', text: plan.text });
    for (const call of plan.toolCalls) {
      content.push({
        type: 'tool_use',
        id: toolUseId(call, ctx),
        name: call.name,
        input: call.argumentsValue,
      });
    }
    return {
      model: ctx.model,
      id: `msg_mock_${ctx.callIndex}`,
      type: 'message',
      role: 'assistant',
      content,
      stop_reason: mapFinishReason(plan.finishReason, FINISH),
      stop_sequence: null,
      usage: usageObject(plan, plan.usage.output),
    };
  },

  error(spec, ctx) {
    const requestId = `req_mock_${ctx?.callIndex ?? 'none'}`;
    return {
      status: spec.status,
      json: JSON.stringify({ type: 'error', error: errorObject(spec), request_id: requestId }),
      headers: { 'request-id': requestId },
    };
  },

  streamError(spec) {
    return [jsonEvent({ type: 'error', error: errorObject(spec) }, 'error')];
  },

  fixtureEvents: typedEvents,
};
