/**
 * Adapters whose module (and SDK) loads on the first call. A process uses one or two of the
 * four APIs; importing the Anthropic SDK and every adapter's code up front costs time and memory
 * at every start, which `oxydra run` and `oxydra --help` should not pay. Construction stays
 * synchronous.
 */
import type { Context, ModelEvent, Provider, ProviderType, StreamOptions } from '@oxydra/types';
import { wrapStream } from '../shared/stream.js';
import type { AdapterOptions } from './options.js';

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
