/**
 * What every adapter is: the options its factory takes, the Provider object it returns, and the
 * stand-in that loads its module on the first call (lazyAdapter, below).
 *
 * The Provider object every adapter returns: its stream runs inside the shared guard.
 */

import {
  type Context,
  type ModelEvent,
  type Provider,
  type ProviderType,
  type StreamOptions,
  WIRE_FACTS,
} from '@oxydra/types';
import { type ErrorDescriber, guardStream, wrapStream } from '../shared/stream.js';

export interface AdapterCall {
  /** Reduces this SDK's typed errors to facts for classification. */
  describe: ErrorDescriber;
  /** The wire stream for one call; `signal` aborts the request. */
  run(signal: AbortSignal): AsyncIterable<ModelEvent>;
}

export function defineAdapter(
  options: AdapterOptions,
  type: ProviderType,
  call: (context: Context) => AdapterCall,
): Provider {
  return {
    name: options.name,
    type,
    stream(context: Context, streamOptions?: StreamOptions): AsyncIterable<ModelEvent> {
      const { describe, run } = call(context);
      return guardStream(
        {
          provider: options.name,
          model: context.model,
          apiKey: options.apiKey,
          baseURL: options.baseURL,
          versionedBaseURL: WIRE_FACTS[type].versionedBaseUrl,
          signal: streamOptions?.signal,
          describe,
        },
        run,
      );
    },
  };
}

/** What every adapter factory takes: where the API is and how to authenticate. */
export interface AdapterOptions {
  /** Registry name, e.g. "openai" or "openrouter"; used in errors and on the Provider. */
  name: string;
  /**
   * openai / openai_responses: including the version path (http://127.0.0.1:1234/v1);
   * anthropic and gemini: the origin (the Anthropic SDK and our Gemini wire code add /v1/messages
   * and /v1beta/models/...).
   */
  baseURL: string;
  /** May be absent for local OpenAI-compatible servers. */
  apiKey?: string;
  extraHeaders?: Record<string, string>;
  /** How long to wait for the response to start (not the whole stream). */
  timeoutMs?: number;
  fetch?: typeof fetch;
  /** llama_cpp only: how the model file is loaded and run in this process. */
  local?: LocalModelSettings;
}

/** The llama_cpp entry's keys (context_size, gpu_layers, threads, tool_choice, max_output_tokens), camelCased. */
export interface LocalModelSettings {
  contextSize?: number;
  gpuLayers?: number;
  threads?: number;
  toolChoice?: 'auto' | 'required';
  /** The entry's max_output_tokens: the bound of a call that sets none (the runtime sets none). */
  maxOutputTokens?: number;
}

/**
 * Sent when no key is configured (local servers ignore it): the Anthropic SDK refuses to run
 * without one, and the OpenAI and Gemini requests carry it where the SDKs they replaced did.
 * Never a real credential, so the Anthropic SDK never falls back to environment variables.
 */
export const PLACEHOLDER_API_KEY = 'no-api-key';

export function apiKeyOf(options: AdapterOptions): string {
  return options.apiKey !== undefined && options.apiKey !== '' ? options.apiKey : PLACEHOLDER_API_KEY;
}

/**
 * Adapters whose module (and SDK) loads on the first call. A process uses one or two of the
 * four APIs; importing the Anthropic SDK and every adapter's code up front costs time and memory
 * at every start, which `oxydra run` and `oxydra --help` should not pay. Construction stays
 * synchronous.
 */

export type AdapterFactory = (options: AdapterOptions) => Provider;

export function lazyAdapter(type: ProviderType, load: () => Promise<AdapterFactory>): AdapterFactory {
  let factory: Promise<AdapterFactory> | undefined;
  return (options) => {
    let provider: Promise<Provider> | undefined;
    let loaded: Provider | undefined;
    return {
      name: options.name,
      type,
      stream(context: Context, streamOptions?: StreamOptions): AsyncIterable<ModelEvent> {
        // Once loaded, the adapter's own stream: no layer left between it and the caller.
        if (loaded) return loaded.stream(context, streamOptions);
        return wrapStream({
          open: async () => {
            factory ??= load();
            provider ??= factory.then((create) => create(options));
            loaded = await provider;
            return loaded.stream(context, streamOptions);
          },
        });
      },
    };
  };
}
