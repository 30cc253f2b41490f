import type { Provider, ProviderType } from '@oxydra/types';
import { byWireApi, WIRE_APIS } from '../wire-apis.js';
import type { AdapterFactory } from './lazy.js';
import type { AdapterOptions } from './options.js';

export { type AdapterCall, defineAdapter } from './define.js';
export { type AdapterOptions, PLACEHOLDER_API_KEY } from './options.js';

/** The adapter for each wire API, for registries that build providers from config. */
export const ADAPTER_FACTORIES: Readonly<Record<ProviderType, (options: AdapterOptions) => Provider>> =
  byWireApi((api) => api.adapter);
export const createOpenAIChatProvider: AdapterFactory = WIRE_APIS.openai.adapter;
export const createOpenAIResponsesProvider: AdapterFactory = WIRE_APIS.openai_responses.adapter;
export const createAnthropicProvider: AdapterFactory = WIRE_APIS.anthropic.adapter;
export const createGeminiProvider: AdapterFactory = WIRE_APIS.gemini.adapter;

export function createAdapter(type: ProviderType, options: AdapterOptions): Provider {
  return ADAPTER_FACTORIES[type](options);
}
