/** The Provider object every adapter returns: its stream runs inside the shared guard. */
import {
  type Context,
  type ModelEvent,
  type Provider,
  type ProviderType,
  type StreamOptions,
  WIRE_FACTS,
} from '@oxydra/types';
import { type ErrorDescriber, guardStream } from '../shared/stream.js';
import type { AdapterOptions } from './options.js';

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
