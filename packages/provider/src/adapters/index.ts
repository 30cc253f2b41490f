import type { Provider, ProviderType } from '@oxydra/types';
import { createAnthropicProvider } from './anthropic/provider.js';
import { createGeminiProvider } from './gemini/provider.js';
import { createOpenAIChatProvider } from './openai-chat/provider.js';
import { createOpenAIResponsesProvider } from './openai-responses/provider.js';
import type { AdapterOptions } from './options.js';

export { createAnthropicProvider } from './anthropic/provider.js';
export { createGeminiProvider } from './gemini/provider.js';
export { createOpenAIChatProvider } from './openai-chat/provider.js';
export { createOpenAIResponsesProvider } from './openai-responses/provider.js';
export { type AdapterOptions, PLACEHOLDER_API_KEY } from './options.js';

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
