/**
 * OpenAI Responses: POST /v1/responses. Streams `event: <type>` + `data: <json>` with a
 * `sequence_number` on every event and no [DONE]; the event sequence follows the recorded
 * gpt-4o-mini / gpt-5.1 streams (created, in_progress, output items with their parts and
 * deltas, completed). Response ids are remembered so `previous_response_id` can be checked.
 */
import type { ReplyPlan } from '../plan.js';
import { jsonEvent, type SseEvent, typedEvents } from '../sse.js';
import { openAiErrorEnvelope, openAiErrorFields, openAiRequestId } from './openai-errors.js';
import { arrayOf, contentText, findLast, isObject } from './text.js';
import type { CallContext, JsonObject, WireApi } from './types.js';

const CREATED = 1_750_000_000;

/** Finish reasons that end a Responses stream as `incomplete`, with the service's reason. */
const INCOMPLETE_REASONS: Record<string, string> = {
  length: 'max_output_tokens',
  content_filter: 'content_filter',
};

type Emit = (type: string, fields: JsonObject) => void;

function usageObject(plan: ReplyPlan): JsonObject {
  const { input, output, cacheRead = 0, reasoning = 0 } = plan.usage;
  return {
    input_tokens: input + cacheRead,
    input_tokens_details: { cached_tokens: cacheRead },
    output_tokens: output,
    output_tokens_details: { reasoning_tokens: reasoning },
    total_tokens: input + cacheRead + output,
  };
}

function responseId(ctx: CallContext): string {
  return `resp_mock_${ctx.callIndex}`;
}

function responseObject(
  ctx: CallContext,
  status: string,
  output: JsonObject[],
  usage: JsonObject | null,
  extra: { error?: JsonObject; incomplete_details?: JsonObject } = {},
): JsonObject {
  const body = ctx.body;
  return {
    id: responseId(ctx),
    object: 'response',
    created_at: CREATED,
    status,
    background: false,
    completed_at: status === 'in_progress' ? null : CREATED,
    error: extra.error ?? null,
    incomplete_details: extra.incomplete_details ?? null,
    instructions: body.instructions ?? null,
    max_output_tokens: body.max_output_tokens ?? null,
    model: ctx.model,
    output,
    parallel_tool_calls: body.parallel_tool_calls ?? true,
    previous_response_id: body.previous_response_id ?? null,
    reasoning: { effort: isObject(body.reasoning) ? (body.reasoning.effort ?? null) : null, summary: null },
    service_tier: 'default',
    store: body.store ?? true,
    temperature: body.temperature ?? 1,
    text: { format: { type: 'text' } },
    tool_choice: body.tool_choice ?? 'auto',
    tools: body.tools ?? [],
    top_p: 1,
    truncation: 'disabled',
    usage,
    user: null,
    metadata: {},
  };
}

/** Encrypted reasoning is only returned when the request asks for it, as the service does. */
function wantsEncryptedReasoning(body: JsonObject): boolean {
  return arrayOf(body, 'include').includes('reasoning.encrypted_content');
}

/**
 * Build the response once, emitting stream events along the way when `emit` is given, so the
 * streamed items and the non-streaming body can never disagree.
 */
function render(plan: ReplyPlan, ctx: CallContext, emit: Emit = () => {}): JsonObject {
  const output: JsonObject[] = [];
  const id = (prefix: string) => `${prefix}_mock_${ctx.callIndex}_${output.length}`;

  emit('response.created', { response: responseObject(ctx, 'in_progress', [], null) });
  emit('response.in_progress', { response: responseObject(ctx, 'in_progress', [], null) });

  const encrypted = wantsEncryptedReasoning(ctx.body)
    ? { encrypted_content: plan.reasoningSignature ?? `mock-encrypted-${ctx.callIndex}` }
    : {};
  if (plan.reasoning !== '' || 'encrypted_content' in encrypted) {
    const item_id = id('rs');
    const output_index = output.length;
    const where = { item_id, output_index, summary_index: 0 };
    emit('response.output_item.added', {
      item: { id: item_id, type: 'reasoning', summary: [], ...encrypted },
      output_index,
    });
    if (plan.reasoning !== '') {
      emit('response.reasoning_summary_part.added', { ...where, part: { type: 'summary_text', text: '' } });
      for (const delta of plan.reasoningChunks)
        emit('response.reasoning_summary_text.delta', { ...where, delta });
      emit('response.reasoning_summary_text.done', { ...where, text: plan.reasoning });
      emit('response.reasoning_summary_part.done', {
        ...where,
        part: { type: 'summary_text', text: plan.reasoning },
      });
    }
    const item = {
      id: item_id,
      type: 'reasoning',
      summary: plan.reasoning === '' ? [] : [{ type: 'summary_text', text: plan.reasoning }],
      ...encrypted,
    };
    emit('response.output_item.done', { item, output_index });
    output.push(item);
  }

  if (plan.text !== '' || plan.toolCalls.length === 0) {
    const item_id = id('msg');
    const output_index = output.length;
    const where = { content_index: 0, item_id };
    const part = (text: string) => ({ type: 'output_text', annotations: [], logprobs: [], text });
    emit('response.output_item.added', {
      item: { id: item_id, type: 'message', status: 'in_progress', content: [], role: 'assistant' },
      output_index,
    });
    emit('response.content_part.added', { ...where, output_index, part: part('') });
    for (const delta of plan.textChunks) {
      emit('response.output_text.delta', { ...where, delta, logprobs: [], output_index });
    }
    emit('response.output_text.done', { ...where, logprobs: [], output_index, text: plan.text });
    emit('response.content_part.done', { ...where, output_index, part: part(plan.text) });
    const item = {
      id: item_id,
      type: 'message',
      status: 'completed',
      content: [part(plan.text)],
      role: 'assistant',
    };
    emit('response.output_item.done', { item, output_index });
    output.push(item);
  }

  for (const call of plan.toolCalls) {
    const item_id = id('fc');
    const output_index = output.length;
    const base = { id: item_id, type: 'function_call' };
    const call_id = call.id ?? `call_mock_${ctx.callIndex}_${call.index}`;
    emit('response.output_item.added', {
      item: { ...base, status: 'in_progress', arguments: '', call_id, name: call.name },
      output_index,
    });
    for (const delta of call.argumentChunks) {
      emit('response.function_call_arguments.delta', { delta, item_id, output_index });
    }
    emit('response.function_call_arguments.done', { arguments: call.argumentsText, item_id, output_index });
    const item = { ...base, status: 'completed', arguments: call.argumentsText, call_id, name: call.name };
    emit('response.output_item.done', { item, output_index });
    output.push(item);
  }

  const incompleteReason = INCOMPLETE_REASONS[plan.finishReason];
  const final = incompleteReason
    ? responseObject(ctx, 'incomplete', output, usageObject(plan), {
        incomplete_details: { reason: incompleteReason },
      })
    : responseObject(ctx, 'completed', output, usageObject(plan));
  emit(incompleteReason ? 'response.incomplete' : 'response.completed', { response: final });
  return final;
}

function eventList(): { events: SseEvent[]; emit: Emit } {
  const events: SseEvent[] = [];
  const emit: Emit = (type, fields) =>
    events.push(jsonEvent({ type, ...fields, sequence_number: events.length }, type));
  return { events, emit };
}

export const openAiResponses: WireApi<'openai-responses'> = {
  api: 'openai-responses',
  basePath: '/v1',
  streamErrorStatus: 500,

  route(method, url) {
    return method === 'POST' && url.pathname === '/v1/responses' ? {} : undefined;
  },

  mode(_route, body) {
    return body.stream === true ? 'sse' : 'json';
  },

  view(body, callIndex) {
    const input = body.input;
    if (typeof input === 'string') return { callIndex, lastMessage: input, lastToolResult: undefined };
    const items = Array.isArray(input) ? input.filter(isObject) : [];
    const last = items.at(-1);
    const result = findLast(items, (item) => item.type === 'function_call_output');
    return {
      callIndex,
      lastMessage: last ? contentText(last) : undefined,
      lastToolResult: result ? contentText(result.output) : undefined,
    };
  },

  events(plan, ctx) {
    const { events, emit } = eventList();
    render(plan, ctx, emit);
    return events;
  },

  body(plan, ctx) {
    return render(plan, ctx);
  },

  error(spec, ctx) {
    const fields = openAiErrorFields(spec, ctx, 'responses');
    return {
      status: spec.status,
      json: JSON.stringify(openAiErrorEnvelope(fields)),
      headers: openAiRequestId(ctx),
    };
  },

  streamError(spec, ctx, sent) {
    // As recorded (openai-error.1): an `error` event with the error nested, then `response.failed`.
    const fields = openAiErrorFields(spec, ctx, 'responses');
    const events: SseEvent[] = [
      jsonEvent(
        {
          type: 'error',
          sequence_number: sent,
          error: {
            type: fields.type,
            code: fields.code ?? fields.type,
            message: fields.message,
            param: fields.param,
          },
        },
        'error',
      ),
    ];
    const failed = responseObject(ctx, 'failed', [], null, {
      error: { code: fields.code ?? fields.type, message: fields.message },
    });
    events.push(
      jsonEvent({ type: 'response.failed', sequence_number: sent + 1, response: failed }, 'response.failed'),
    );
    return events;
  },

  fixtureEvents: typedEvents,

  previousResponseId(body) {
    return typeof body.previous_response_id === 'string' ? body.previous_response_id : undefined;
  },

  responseId,
};
