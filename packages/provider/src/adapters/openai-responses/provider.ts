/** OpenAI Responses API (`type: openai_responses`), with previous_response_id chaining. */
import type { Context, Provider, StreamEvent } from '@oxydra/types';
import type OpenAI from 'openai';
import { APIError } from 'openai';
import type { ResponseInputItem, ResponseStreamEvent } from 'openai/resources/responses/responses';
import { ResponseAssembler } from '../../shared/collect.js';
import { translate } from '../../shared/translate.js';
import { defineAdapter } from '../define.js';
import { createOpenAIClient } from '../openai/client.js';
import { describeOpenAIError } from '../openai/errors.js';
import type { AdapterOptions } from '../options.js';
import { ResponseChain } from './chain.js';
import { ResponsesStreamTranslator } from './events.js';
import { assistantItems, responsesInput, responsesRequest } from './request.js';

/** The server no longer has (or never stored) the response we chained to. */
function chainRejected(error: unknown): boolean {
  if (!(error instanceof APIError) || (error.status !== 400 && error.status !== 404)) return false;
  const text = `${error.code ?? ''} ${error.param ?? ''} ${error.message}`;
  return /previous[_ ]response/i.test(text);
}

async function* streamResponses(
  client: OpenAI,
  chain: ResponseChain,
  options: AdapterOptions,
  context: Context,
  signal: AbortSignal,
): AsyncGenerator<StreamEvent> {
  const { instructions, items } = responsesInput(context, options.name);
  const open = (input: ResponseInputItem[], previousResponseId: string | undefined) =>
    client.responses.create(responsesRequest(context, input, instructions, previousResponseId), { signal });

  const plan = chain.plan(context.model, items);
  let stream: AsyncIterable<ResponseStreamEvent>;
  try {
    stream = await open(plan.items, plan.previousResponseId);
  } catch (error) {
    if (plan.previousResponseId === undefined || !chainRejected(error)) throw error;
    // Expired or unstored response: once more with the whole conversation.
    chain.disable();
    stream = await open(items, undefined);
  }

  const translator = new ResponsesStreamTranslator();
  // What this answer becomes in the next context, for chaining.
  const answer = new ResponseAssembler();
  try {
    for await (const event of translate(stream, translator)) {
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
  const client = createOpenAIClient(options);
  // Per provider instance: chaining only ever applies to the conversation sent last.
  const chain = new ResponseChain();
  return defineAdapter(options, 'openai_responses', (context) => ({
    describe: describeOpenAIError,
    run: (signal) => streamResponses(client, chain, options, context, signal),
  }));
}
