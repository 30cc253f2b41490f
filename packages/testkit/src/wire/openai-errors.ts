/**
 * OpenAI's error envelope `{"error":{"message","type","param","code"}}`, shared by Chat
 * Completions and Responses. Messages are the ones the service sends, so adapters that look
 * at codes or wording are tested against the real thing.
 */
import type { CallContext, ErrorSpec, JsonObject } from './types.js';

export interface OpenAiErrorFields {
  message: string;
  type: string;
  param: string | null;
  code: string | null;
}

export function openAiErrorFields(
  spec: ErrorSpec,
  ctx: CallContext | undefined,
  flavour: 'chat' | 'responses',
): OpenAiErrorFields {
  const model = ctx?.model ?? 'the model';
  const make = (message: string, type: string, param: string | null, code: string | null) => ({
    message: spec.message ?? message,
    type,
    param,
    code,
  });
  if (spec.contextOverflow) {
    return flavour === 'chat'
      ? make(
          "This model's maximum context length is 128000 tokens. However, your messages resulted in 130512 tokens. Please reduce the length of the messages.",
          'invalid_request_error',
          'messages',
          'context_length_exceeded',
        )
      : make(
          'Your input exceeds the context window of this model. Please adjust your input and try again.',
          'invalid_request_error',
          'input',
          'context_length_exceeded',
        );
  }
  if (spec.previousResponseNotFound) {
    const id = typeof ctx?.body.previous_response_id === 'string' ? ctx.body.previous_response_id : '';
    return make(
      `Previous response with id '${id}' not found.`,
      'invalid_request_error',
      'previous_response_id',
      'previous_response_not_found',
    );
  }
  switch (spec.status) {
    case 401:
      return make(
        'Incorrect API key provided. You can find your API key at https://platform.openai.com/account/api-keys.',
        'invalid_request_error',
        null,
        'invalid_api_key',
      );
    case 403:
      return make('You are not allowed to sample from this model', 'invalid_request_error', null, null);
    case 404:
      return make(
        `The model \`${model}\` does not exist or you do not have access to it.`,
        'invalid_request_error',
        null,
        'model_not_found',
      );
    case 429: {
      const wait = spec.retryAfter ?? (spec.retryAfterMs ?? 20_000) / 1000;
      return make(
        `Rate limit reached for ${model} in organization org-mock on requests per min (RPM): Limit 3, Used 3, Requested 1. Please try again in ${wait}s. Visit https://platform.openai.com/account/rate-limits to learn more.`,
        'requests',
        null,
        'rate_limit_exceeded',
      );
    }
    case 500:
      return make(
        'The server had an error while processing your request. Sorry about that!',
        'server_error',
        null,
        null,
      );
    default:
      return spec.status >= 500
        ? make('The server is overloaded or not ready yet.', 'server_error', null, null)
        : make('Invalid request (mock-llm fault).', 'invalid_request_error', null, null);
  }
}

export function openAiErrorEnvelope(fields: OpenAiErrorFields): JsonObject {
  return { error: fields };
}

/** OpenAI sends `x-request-id` on every response. */
export function openAiRequestId(ctx: CallContext | undefined): Record<string, string> {
  return { 'x-request-id': `req_mock_${ctx?.callIndex ?? 'none'}` };
}
