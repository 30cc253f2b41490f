/**
 * OpenAI Chat Completions (`type: openai`): OpenAI and every OpenAI-compatible server.
 * POST {baseURL}/chat/completions on `fetch`, the stream read with eventsource-parser (../openai/wire.ts).
 */
import type { Context, ModelEvent, Provider } from '@oxydra/types';
import type { HttpTransport } from '../../shared/http.js';
import { defineAdapter } from '../define.js';
import { describeOpenAIError } from '../openai/errors.js';
import { openAITransport, openAIUrl, postOpenAI, translateOpenAIStream } from '../openai/wire.js';
import type { AdapterOptions } from '../options.js';
import { ChatStreamTranslator } from './events.js';
import { chatRequest } from './request.js';
import type { ChatCompletion, ChatCompletionChunk } from './types.js';

async function* streamChat(
  transport: HttpTransport,
  url: string,
  options: AdapterOptions,
  context: Context,
  signal: AbortSignal,
): AsyncGenerator<ModelEvent> {
  const body = JSON.stringify(chatRequest(context, { provider: options.name, baseURL: options.baseURL }));
  const response = await postOpenAI(transport, url, body, signal);
  const translator = new ChatStreamTranslator();
  // Some compatible servers ignore `stream: true` and answer with one JSON body: read as SSE it
  // would hold no events, an empty answer.
  if (response.headers.get('content-type')?.includes('application/json')) {
    yield* translator.handleCompletion((await response.json()) as ChatCompletion);
    yield* translator.end();
    return;
  }
  yield* translateOpenAIStream<ChatCompletionChunk>(response, translator);
}

export function createOpenAIChatProvider(options: AdapterOptions): Provider {
  const transport = openAITransport(options);
  const url = openAIUrl(options.baseURL, '/chat/completions');
  return defineAdapter(options, 'openai', (context) => ({
    describe: describeOpenAIError,
    run: (signal) => streamChat(transport, url, options, context, signal),
  }));
}
