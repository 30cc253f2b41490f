/**
 * OpenAI Responses API (`type: openai_responses`), with previous_response_id chaining.
 * POST {baseURL}/responses on `fetch`, the stream read with eventsource-parser (../openai/wire.ts).
 */
import type { Context, ModelEvent, Provider } from '@oxydra/types';
import type { HttpTransport } from '../../shared/http.js';
import { ResponseAssembler } from '../../shared/stream.js';
import { type AdapterOptions, defineAdapter } from '../define.js';
import {
  describeOpenAIError,
  OpenAIApiError,
  openAITransport,
  openAIUrl,
  postOpenAI,
  translateOpenAIStream,
} from '../openai/wire.js';
import { ResponseChain } from './chain.js';
import { ResponsesStreamTranslator } from './events.js';
import { assistantItems, responsesInputJson, responsesRequestJson } from './request.js';
import type { ResponsesStreamEvent } from './types.js';

/** The server no longer has (or never stored) the response we chained to. */
function chainRejected(error: unknown): boolean {
  if (!(error instanceof OpenAIApiError) || (error.status !== 400 && error.status !== 404)) return false;
  const text = `${error.code ?? ''} ${error.param ?? ''} ${error.message}`;
  return /previous[_ ]response/i.test(text);
}

async function* streamResponses(
  transport: HttpTransport,
  url: string,
  chain: ResponseChain,
  options: AdapterOptions,
  context: Context,
  signal: AbortSignal,
): AsyncGenerator<ModelEvent> {
  const { instructions, items } = responsesInputJson(context, options.name);
  const open = (input: readonly string[], previousResponseId: string | undefined) =>
    postOpenAI(
      transport,
      url,
      responsesRequestJson(context, input, instructions, previousResponseId),
      signal,
    );

  const plan = chain.plan(context.model, items);
  let response: Response;
  try {
    response = await open(plan.items, plan.previousResponseId);
  } catch (error) {
    if (plan.previousResponseId === undefined || !chainRejected(error)) throw error;
    // Expired or unstored response: once more with the whole conversation.
    chain.disable();
    response = await open(items, undefined);
  }

  const translator = new ResponsesStreamTranslator();
  // What this answer becomes in the next context, for chaining.
  const answer = new ResponseAssembler();
  try {
    for await (const event of translateOpenAIStream<ResponsesStreamEvent>(response, translator)) {
      answer.add(event);
      yield event;
    }
  } catch (error) {
    chain.forget();
    throw error;
  }
  if (translator.completed && translator.responseId !== undefined) {
    chain.remember(context.model, translator.responseId, items, assistantItems(answer.message()));
  } else {
    chain.forget();
  }
}

export function createOpenAIResponsesProvider(options: AdapterOptions): Provider {
  const transport = openAITransport(options);
  const url = openAIUrl(options.baseURL, '/responses');
  // Per provider instance: chaining only ever applies to the conversation sent last.
  const chain = new ResponseChain();
  return defineAdapter(options, 'openai_responses', (context) => ({
    describe: describeOpenAIError,
    run: (signal) => streamResponses(transport, url, chain, options, context, signal),
  }));
}
