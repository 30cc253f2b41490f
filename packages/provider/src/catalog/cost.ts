/**
 * Dollar cost of one model call from its Usage and the catalog's prices (USD per million tokens).
 *
 * Normalisation (see @oxydra/types Usage): `inputTokens` counts ALL prompt tokens, cache reads
 * and writes included, as OpenAI (prompt_tokens / input_tokens) and Gemini (promptTokenCount)
 * report them; the Anthropic adapter adds cache_read_input_tokens and cache_creation_input_tokens
 * to its input_tokens to match. So the uncached part is inputTokens - cacheRead - cacheWrite.
 * An adapter that passes Anthropic's raw input_tokens through must say `inputIncludesCache: false`.
 *
 * Reasoning tokens are billed as output and are counted inside outputTokens: OpenAI and Anthropic
 * report them that way, and the Gemini adapter adds thoughtsTokenCount to candidatesTokenCount.
 * A caller holding Gemini's raw counts says `outputIncludesReasoning: false`.
 *
 * withUsageCost fills `costUsd` into a provider's usage events from these prices.
 */
import type { Context, ModelEvent, Provider, ProviderType, StreamOptions, Usage } from '@oxydra/types';
import { wrapStream } from '../shared/stream.js';
import type { ModelPrices } from './models.js';

export interface CostOptions {
  /** `usage.inputTokens` includes cached prompt tokens (default true, the normalised Usage). */
  inputIncludesCache?: boolean;
  /** `usage.outputTokens` already includes reasoning tokens (default true, the normalised Usage). */
  outputIncludesReasoning?: boolean;
}

const PER_MILLION = 1_000_000;

/**
 * How each wire API's usage relates to Oxydra's normalised Usage. Every adapter normalises (cache
 * inside inputTokens, reasoning inside outputTokens), so this is the same for all types today;
 * it is kept per type so a future adapter that cannot normalise has one place to say so.
 */
export function costOptionsFor(_providerType: ProviderType): Required<CostOptions> {
  return { inputIncludesCache: true, outputIncludesReasoning: true };
}

/**
 * Cost in US dollars, or undefined when the input or output price is unknown or the usage has no
 * token counts. Cache tokens without a cache price are charged at the input price: an unknown
 * discount is not assumed, so budgets err on the side of stopping early.
 */
export function costOf(
  usage: Usage,
  prices: ModelPrices | undefined,
  options: CostOptions = {},
): number | undefined {
  if (prices?.input === undefined || prices.output === undefined) return undefined;
  const reported = [usage.inputTokens, usage.outputTokens, usage.cacheReadTokens, usage.cacheWriteTokens];
  if (reported.every((n) => n === undefined)) return undefined;

  const cacheRead = usage.cacheReadTokens ?? 0;
  const cacheWrite = usage.cacheWriteTokens ?? 0;
  const input = usage.inputTokens ?? 0;
  const uncached = (options.inputIncludesCache ?? true) ? Math.max(0, input - cacheRead - cacheWrite) : input;
  const reasoningExtra = (options.outputIncludesReasoning ?? true) ? 0 : (usage.reasoningTokens ?? 0);
  const output = (usage.outputTokens ?? 0) + reasoningExtra;

  return (
    (uncached * prices.input +
      cacheRead * (prices.cacheRead ?? prices.input) +
      cacheWrite * (prices.cacheWrite ?? prices.input) +
      output * prices.output) /
    PER_MILLION
  );
}

/** `usage` with `costUsd` filled in when it is unset and computable. */
export function withCost(usage: Usage, prices: ModelPrices | undefined, options?: CostOptions): Usage {
  if (usage.costUsd !== undefined) return usage;
  const cost = costOf(usage, prices, options);
  return cost === undefined ? usage : { ...usage, costUsd: cost };
}

export type PriceLookup = (model: string) => ModelPrices | undefined;

/** The provider with `costUsd` on its usage events, priced for the model each call names. */
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
