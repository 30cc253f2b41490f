/** Fills `costUsd` into usage events from the catalog's prices for the model being called. */
import type { Context, Provider, StreamEvent, StreamOptions } from '@oxydra/types';
import { type CostOptions, withCost } from '../catalog/cost.js';
import type { ModelPrices } from '../catalog/model-info.js';

export type PriceLookup = (model: string) => ModelPrices | undefined;

export function withUsageCost(provider: Provider, prices: PriceLookup, options: CostOptions): Provider {
  async function* stream(context: Context, streamOptions?: StreamOptions): AsyncGenerator<StreamEvent> {
    // Looked up per call: fallbacks and agents may call another model through the same provider.
    const modelPrices = prices(context.model);
    for await (const event of provider.stream(context, streamOptions)) {
      yield event.type === 'usage' && modelPrices
        ? { ...event, usage: withCost(event.usage, modelPrices, options) }
        : event;
    }
  }
  return { name: provider.name, type: provider.type, stream };
}
