import type { AgentConfig, Provider, ProviderType } from '@oxydra/types';
import {
  type CreateProviderOptions,
  createProviderFromConfig,
  type ProviderSetup,
} from '../factory/create.js';
import { byWireApi, WIRE_APIS } from '../wire-apis.js';
import type { AdapterFactory, AdapterOptions } from './define.js';

export { type AdapterCall, type AdapterOptions, defineAdapter, PLACEHOLDER_API_KEY } from './define.js';

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

/**
 * The provider a configuration selects, built on the real wire adapters: credentials resolved,
 * model validated against the catalog, retries, circuit breaker, fallbacks and dollar costs.
 */
export function createProvider(
  config: AgentConfig,
  options: Omit<CreateProviderOptions, 'adapters'> & Partial<Pick<CreateProviderOptions, 'adapters'>> = {},
): ProviderSetup {
  return createProviderFromConfig(config, { adapters: ADAPTER_FACTORIES, ...options });
}
