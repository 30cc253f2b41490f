import type { Provider, ProviderType } from '@oxydra/types';
import { type AdapterFactory, lazyAdapter } from './lazy.js';
import type { AdapterOptions } from './options.js';

export { type AdapterOptions, PLACEHOLDER_API_KEY } from './options.js';

/** OpenAI Chat Completions (and any OpenAI-compatible server). The SDK loads on the first call. */
export const createOpenAIChatProvider: AdapterFactory = lazyAdapter(
  'openai',
  async () => (await import('./openai-chat/provider.js')).createOpenAIChatProvider,
);
/** OpenAI Responses, with previous_response_id chaining. */
export const createOpenAIResponsesProvider: AdapterFactory = lazyAdapter(
  'openai_responses',
  async () => (await import('./openai-responses/provider.js')).createOpenAIResponsesProvider,
);
/** Anthropic Messages. */
export const createAnthropicProvider: AdapterFactory = lazyAdapter(
  'anthropic',
  async () => (await import('./anthropic/provider.js')).createAnthropicProvider,
);
/** Google Gemini (streamGenerateContent). */
export const createGeminiProvider: AdapterFactory = lazyAdapter(
  'gemini',
  async () => (await import('./gemini/provider.js')).createGeminiProvider,
);

/** The adapter for each wire API, for registries that build providers from config. */
export const ADAPTER_FACTORIES: Readonly<Record<ProviderType, (options: AdapterOptions) => Provider>> = {
  openai: createOpenAIChatProvider,
  openai_responses: createOpenAIResponsesProvider,
  anthropic: createAnthropicProvider,
  gemini: createGeminiProvider,
};

export function createAdapter(type: ProviderType, options: AdapterOptions): Provider {
  return ADAPTER_FACTORIES[type](options);
}
