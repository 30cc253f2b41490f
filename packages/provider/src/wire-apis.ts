/**
 * The one table of wire APIs in this package: each row is the plain facts @oxydra/types keeps
 * for the type (WIRE_FACTS: hosted API, key variable, catalog namespace...) plus how its adapter
 * is loaded (lazily: its code, with its SDK where it has one, loads on the first call). Every
 * per-type table in this package is derived from it, so a wire API is a row in WIRE_FACTS
 * (@oxydra/types), a row here and a row in the testkit's API_BY_PROVIDER; a new wire adds its
 * adapter folder and a testkit mock wire (the whole list: CONTRIBUTING.md, "Add a wire API").
 */
import { type ProviderType, WIRE_FACTS, type WireFacts } from '@oxydra/types';
import { type AdapterFactory, lazyAdapter } from './adapters/define.js';

export type WireApi = WireFacts & {
  /** The adapter; its module is imported on the first call. */
  adapter: AdapterFactory;
};

/** Where each adapter's module is; it is imported on the first call (lazyAdapter). */
const ADAPTER_MODULES: Readonly<Record<ProviderType, () => Promise<AdapterFactory>>> = {
  /** OpenAI Chat Completions (and any OpenAI-compatible server). */
  openai: async () => (await import('./adapters/openai-chat/provider.js')).createOpenAIChatProvider,
  /** OpenAI Responses, with previous_response_id chaining. */
  openai_responses: async () =>
    (await import('./adapters/openai-responses/provider.js')).createOpenAIResponsesProvider,
  /** Anthropic Messages. */
  anthropic: async () => (await import('./adapters/anthropic/provider.js')).createAnthropicProvider,
  /** Google Gemini (streamGenerateContent). */
  gemini: async () => (await import('./adapters/gemini/provider.js')).createGeminiProvider,
  /** A GGUF file run in this process (node-llama-cpp, an optional package loaded only here). */
  llama_cpp: async () => (await import('./adapters/llama-cpp/provider.js')).createLlamaCppProvider,
};

export const WIRE_APIS: Readonly<Record<ProviderType, WireApi>> = Object.fromEntries(
  (Object.keys(WIRE_FACTS) as ProviderType[]).map((type) => [
    type,
    { ...WIRE_FACTS[type], adapter: lazyAdapter(type, ADAPTER_MODULES[type]) },
  ]),
) as Record<ProviderType, WireApi>;

/** One fact of every wire API, as a table by type. */
export function byWireApi<T>(fact: (api: WireApi) => T): Record<ProviderType, T> {
  return Object.fromEntries(Object.entries(WIRE_APIS).map(([type, api]) => [type, fact(api)])) as Record<
    ProviderType,
    T
  >;
}
