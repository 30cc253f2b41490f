/**
 * The contract between the factory and the wire adapters (src/adapters/). The factory takes the
 * adapters as a parameter, so tests can pass fakes; `createProvider` in the package index
 * passes the real ones.
 */
import type { Provider, ProviderType } from '@oxydra/types';
import type { AdapterOptions } from '../adapters/define.js';

export type AdapterFactory = (options: AdapterOptions) => Provider;

/** createOpenAIChatProvider, createOpenAIResponsesProvider, createAnthropicProvider, createGeminiProvider. */
export type AdapterFactories = Partial<Record<ProviderType, AdapterFactory>>;
