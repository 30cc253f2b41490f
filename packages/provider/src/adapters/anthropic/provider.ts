/** Anthropic Messages API (`type: anthropic`). */
import Anthropic from '@anthropic-ai/sdk';
import type { Context, ModelEvent, Provider } from '@oxydra/types';
import { boundingEvents } from '../../shared/bounded.js';
import { refusingRedirects } from '../../shared/http.js';
import { translate } from '../../shared/translate.js';
import { type AdapterOptions, apiKeyOf, defineAdapter } from '../define.js';
import { describeAnthropicError } from './errors.js';
import { AnthropicStreamTranslator } from './events.js';
import { anthropicRequest } from './request.js';

/** The SDK adds /v1/messages; accept a base URL given with the /v1 suffix too. */
function origin(baseURL: string): string {
  return baseURL.replace(/\/+$/, '').replace(/\/v1$/, '');
}

export function createAnthropicClient(options: AdapterOptions): Anthropic {
  const key = apiKeyOf(options);
  return new Anthropic({
    // The SDK sends the key as a bearer token; x-api-key is added because it is what the
    // Anthropic API has always accepted and what Anthropic-compatible servers check.
    apiKey: key,
    baseURL: origin(options.baseURL),
    maxRetries: 0,
    defaultHeaders: { 'x-api-key': key, ...options.extraHeaders },
    ...(options.timeoutMs !== undefined ? { timeout: options.timeoutMs } : {}),
    // Redirects refused, as on our own transport: a followed one would carry x-api-key elsewhere.
    // Events bounded: the SDK's own SSE decoder would buffer an endless line whole.
    fetch: boundingEvents(refusingRedirects(options.fetch)),
  });
}

async function* streamMessages(
  client: Anthropic,
  options: AdapterOptions,
  context: Context,
  signal: AbortSignal,
): AsyncGenerator<ModelEvent> {
  const stream = await client.messages.create(anthropicRequest(context, options.name), { signal });
  yield* translate(stream, new AnthropicStreamTranslator());
}

export function createAnthropicProvider(options: AdapterOptions): Provider {
  const client = createAnthropicClient(options);
  return defineAdapter(options, 'anthropic', (context) => ({
    describe: describeAnthropicError,
    run: (signal) => streamMessages(client, options, context, signal),
  }));
}
