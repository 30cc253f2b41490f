/** OpenAI Chat Completions (`type: openai`): OpenAI and every OpenAI-compatible server. */
import type { Context, Provider, StreamEvent } from '@oxydra/types';
import type OpenAI from 'openai';
import type { ChatCompletion, ChatCompletionChunk } from 'openai/resources/chat/completions';
import { translate } from '../../shared/translate.js';
import { defineAdapter } from '../define.js';
import { createOpenAIClient } from '../openai/client.js';
import { describeOpenAIError } from '../openai/errors.js';
import type { AdapterOptions } from '../options.js';
import { ChatStreamTranslator } from './events.js';
import { chatRequest } from './request.js';

async function* streamChat(
  client: OpenAI,
  options: AdapterOptions,
  context: Context,
  signal: AbortSignal,
): AsyncGenerator<StreamEvent> {
  const body = chatRequest(context, { provider: options.name, baseURL: options.baseURL });
  const { data: stream, response } = await client.chat.completions.create(body, { signal }).withResponse();
  const translator = new ChatStreamTranslator();
  // Some compatible servers ignore `stream: true` and answer with one JSON body; the SDK would
  // find no SSE events in it and report an empty answer.
  if (response.headers.get('content-type')?.includes('application/json')) {
    yield* translator.handleCompletion((await response.json()) as ChatCompletion);
    yield* translator.end();
    return;
  }
  yield* translate(stream as AsyncIterable<ChatCompletionChunk>, translator);
}

export function createOpenAIChatProvider(options: AdapterOptions): Provider {
  const client = createOpenAIClient(options);
  return defineAdapter(options, 'openai', (context) => ({
    describe: describeOpenAIError,
    run: (signal) => streamChat(client, options, context, signal),
  }));
}
