/** Fills `costUsd` into usage events from the catalog's prices for the model being called. */
import type { Context, ModelEvent, Provider, StreamOptions } from '@oxydra/types';
import { type CostOptions, withCost } from '../catalog/cost.js';
import type { ModelPrices } from '../catalog/model-info.js';
import { wrapStream } from '../shared/wrap-stream.js';

export type PriceLookup = (model: string) => ModelPrices | undefined;

export function withUsageCost(provider: Provider, prices: PriceLookup, options: CostOptions): Provider {
  function stream(context: Context, streamOptions?: StreamOptions): AsyncIterable<ModelEvent> {
    // Looked up per call: fallbacks and agents may call another model through the same provider.
    const modelPrices = prices(context.model);
    if (!modelPrices) return provider.stream(context, streamOptions);
    return wrapStream({
      open: () => provider.stream(context, streamOptions),
      map: (event) =>
        event.type === 'usage' ? { ...event, usage: withCost(event.usage, modelPrices, options) } : event,
    });
  }
  return { name: provider.name, type: provider.type, stream };
}
