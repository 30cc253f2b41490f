/**
 * The one table of facts about each wire API: where its hosted API is, which variable holds its
 * key, which catalog namespace prices its models, and how its adapter is loaded (lazily: its code,
 * with its SDK where it has one, loads on the first call). Every per-type table in this package is derived from it, so adding a
 * wire API is: the type in @oxydra/types (PROVIDER_TYPES), a row here, and its adapter folder.
 */
import type { ProviderType } from '@oxydra/types';
import { type AdapterFactory, lazyAdapter } from './adapters/lazy.js';

export interface WireApi {
  /** The provider's own hosted API (an entry without base_url talks to it). */
  defaultBaseUrl: string;
  /** The variable holding the key, tried only for the provider's own API. */
  keyEnv: string;
  /** The models.dev provider id its models are priced under. */
  catalogNamespace: string;
  /** The adapter; its module is imported on the first call. */
  adapter: AdapterFactory;
}

export const WIRE_APIS: Readonly<Record<ProviderType, WireApi>> = {
  /** OpenAI Chat Completions (and any OpenAI-compatible server). */
  openai: {
    defaultBaseUrl: 'https://api.openai.com/v1',
    keyEnv: 'OPENAI_API_KEY',
    catalogNamespace: 'openai',
    adapter: lazyAdapter(
      'openai',
      async () => (await import('./adapters/openai-chat/provider.js')).createOpenAIChatProvider,
    ),
  },
  /** OpenAI Responses, with previous_response_id chaining; the same models as Chat Completions. */
  openai_responses: {
    defaultBaseUrl: 'https://api.openai.com/v1',
    keyEnv: 'OPENAI_API_KEY',
    catalogNamespace: 'openai',
    adapter: lazyAdapter(
      'openai_responses',
      async () => (await import('./adapters/openai-responses/provider.js')).createOpenAIResponsesProvider,
    ),
  },
  /** Anthropic Messages. */
  anthropic: {
    defaultBaseUrl: 'https://api.anthropic.com',
    keyEnv: 'ANTHROPIC_API_KEY',
    catalogNamespace: 'anthropic',
    adapter: lazyAdapter(
      'anthropic',
      async () => (await import('./adapters/anthropic/provider.js')).createAnthropicProvider,
    ),
  },
  /** Google Gemini (streamGenerateContent). */
  gemini: {
    defaultBaseUrl: 'https://generativelanguage.googleapis.com',
    keyEnv: 'GEMINI_API_KEY',
    catalogNamespace: 'google',
    adapter: lazyAdapter(
      'gemini',
      async () => (await import('./adapters/gemini/provider.js')).createGeminiProvider,
    ),
  },
};

/** One fact of every wire API, as a table by type. */
export function byWireApi<T>(fact: (api: WireApi) => T): Record<ProviderType, T> {
  return Object.fromEntries(Object.entries(WIRE_APIS).map(([type, api]) => [type, fact(api)])) as Record<
    ProviderType,
    T
  >;
}
