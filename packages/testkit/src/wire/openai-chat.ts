/**
 * OpenAI Chat Completions: POST /v1/chat/completions. Streams `data: <chunk>` events with no
 * event names and ends with `data: [DONE]`; chunk shapes follow the recorded gpt-4o streams
 * (role chunk, content deltas, tool_calls deltas keyed by index, an empty-delta finish chunk,
 * and a `choices: []` usage chunk only when `stream_options.include_usage` is set).
 */
import { mapFinishReason, type ReplyPlan } from '../plan.js';
import { dataEvents, jsonEvent, type SseEvent } from '../sse.js';
import { openAiErrorEnvelope, openAiErrorFields, openAiRequestId } from './openai-errors.js';
import { arrayOf, contentText, findLast, isObject } from './text.js';
import type { CallContext, ErrorSpec, JsonObject, WireApi } from './types.js';

const FINISH: Record<string, string> = { refusal: 'stop' };

/** Fixed timestamp: the mock is deterministic, so two runs produce the same bytes. */
const CREATED = 1_750_000_000;

const DONE: SseEvent = { data: '[DONE]' };

function includeUsage(body: JsonObject): boolean {
  return isObject(body.stream_options) && body.stream_options.include_usage === true;
}

function usageObject(plan: ReplyPlan): JsonObject {
  const { input, output, cacheRead = 0, reasoning = 0 } = plan.usage;
  return {
    prompt_tokens: input + cacheRead,
    completion_tokens: output,
    total_tokens: input + cacheRead + output,
    prompt_tokens_details: { cached_tokens: cacheRead, audio_tokens: 0 },
    completion_tokens_details: {
      reasoning_tokens: reasoning,
      audio_tokens: 0,
      accepted_prediction_tokens: 0,
      rejected_prediction_tokens: 0,
    },
  };
}

function callId(plan: ReplyPlan['toolCalls'][number], ctx: CallContext): string {
  return plan.id ?? `call_mock_${ctx.callIndex}_${plan.index}`;
}

function envelope(ctx: CallContext, object: string): JsonObject {
  return {
    id: `chatcmpl-mock-${ctx.callIndex}`,
    object,
    created: CREATED,
    model: ctx.model,
    service_tier: 'default',
    system_fingerprint: 'fp_mock',
  };
}

export const openAiChat: WireApi<'openai-chat'> = {
  api: 'openai-chat',
  basePath: '/v1',
  streamErrorStatus: 500,

  route(method, url) {
    return method === 'POST' && url.pathname === '/v1/chat/completions' ? {} : undefined;
  },

  mode(_route, body) {
    return body.stream === true ? 'sse' : 'json';
  },

  view(body, callIndex) {
    const messages = arrayOf(body, 'messages').filter(isObject);
    const last = messages.at(-1);
    const tool = findLast(messages, (m) => m.role === 'tool' || m.role === 'function');
    return {
      callIndex,
      lastMessage: last ? contentText(last.content) : undefined,
      lastToolResult: tool ? contentText(tool.content) : undefined,
    };
  },

  events(plan, ctx) {
    const withUsage = includeUsage(ctx.body);
    const head = envelope(ctx, 'chat.completion.chunk');
    // With include_usage the real service puts `"usage":null` on every chunk but the last.
    const chunk = (delta: JsonObject, finish: string | null = null) =>
      jsonEvent({
        ...head,
        choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
        ...(withUsage ? { usage: null } : {}),
      });
    const events: SseEvent[] = [chunk({ role: 'assistant', content: '', refusal: null })];
    // Chat has no reasoning field of its own; DeepSeek-style `reasoning_content` is what
    // OpenAI-compatible servers stream, so that is what the mock sends.
    for (const piece of plan.reasoningChunks) events.push(chunk({ content: null, reasoning_content: piece }));
    for (const piece of plan.textChunks) events.push(chunk({ content: piece }));
    for (const call of plan.toolCalls) {
      events.push(
        chunk({
          tool_calls: [
            {
              index: call.index,
              id: callId(call, ctx),
              type: 'function',
              function: { name: call.name, arguments: '' },
            },
          ],
        }),
      );
      for (const piece of call.argumentChunks) {
        events.push(chunk({ tool_calls: [{ index: call.index, function: { arguments: piece } }] }));
      }
    }
    events.push(chunk({}, mapFinishReason(plan.finishReason, FINISH)));
    if (withUsage) events.push(jsonEvent({ ...head, choices: [], usage: usageObject(plan) }));
    events.push(DONE);
    return events;
  },

  body(plan, ctx) {
    const message: JsonObject = {
      role: 'assistant',
      content: plan.text === '' && plan.toolCalls.length > 0 ? null : plan.text,
      refusal: null,
      annotations: [],
    };
    if (plan.reasoning !== '') message.reasoning_content = plan.reasoning;
    if (plan.toolCalls.length > 0) {
      message.tool_calls = plan.toolCalls.map((call) => ({
        id: callId(call, ctx),
        type: 'function',
        function: { name: call.name, arguments: call.argumentsText },
      }));
    }
    const { service_tier, system_fingerprint, ...head } = envelope(ctx, 'chat.completion');
    return {
      ...head,
      choices: [
        { index: 0, message, logprobs: null, finish_reason: mapFinishReason(plan.finishReason, FINISH) },
      ],
      usage: usageObject(plan),
      service_tier,
      system_fingerprint,
    };
  },

  error(spec: ErrorSpec, ctx) {
    const fields = openAiErrorFields(spec, ctx, 'chat');
    return {
      status: spec.status,
      json: JSON.stringify(openAiErrorEnvelope(fields)),
      headers: openAiRequestId(ctx),
    };
  },

  streamError(spec, ctx) {
    // Mid-stream failures arrive as a lone `data: {"error": ...}` line, then the stream closes.
    return [jsonEvent(openAiErrorEnvelope(openAiErrorFields(spec, ctx, 'chat')))];
  },

  fixtureEvents(lines) {
    return [...dataEvents(lines), DONE];
  },
};
