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
 *
 * The one home of pricing (scripts/check-one-home.mjs holds it there): model and embedding prices,
 * the per-million arithmetic, token estimates, and how costs add up. What a cost is allowed to be
 * (caps, limits) is decided elsewhere: runtime/src/budgets.ts and kernel/src/services/budgets/.
 */
import type { Context, ModelEvent, Provider, ProviderType, StreamOptions, Usage } from '@oxydra/types';
import { wrapStream } from '../shared/stream.js';
import type { CatalogEntry } from './snapshot.js';

/** US dollars per million tokens; a missing field means the price is unknown. */
export interface ModelPrices {
  input?: number;
  output?: number;
  cacheRead?: number;
  cacheWrite?: number;
}

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

/** A catalog entry's prices (USD per million tokens), undefined when it lists none. */
export function catalogPrices(entry: CatalogEntry): ModelPrices | undefined {
  const cost = entry.cost;
  if (!cost) return undefined;
  const prices: ModelPrices = {};
  if (cost.input !== undefined) prices.input = cost.input;
  if (cost.output !== undefined) prices.output = cost.output;
  if (cost.cache_read !== undefined) prices.cacheRead = cost.cache_read;
  if (cost.cache_write !== undefined) prices.cacheWrite = cost.cache_write;
  return Object.keys(prices).length > 0 ? prices : undefined;
}

/**
 * The prices of a server the user says costs nothing (free = true, a local model): every price
 * zero, so dollar caps are enforceable (and never reached) and costs read $0 instead of unknown.
 */
export const FREE_PRICES: Readonly<ModelPrices> = Object.freeze({
  input: 0,
  output: 0,
  cacheRead: 0,
  cacheWrite: 0,
});

/** Both the input and the output price are known: a cost can be computed and a dollar cap enforced. */
export function pricesKnown(
  prices: ModelPrices | undefined,
): prices is ModelPrices & { input: number; output: number } {
  return prices?.input !== undefined && prices.output !== undefined;
}

/** A model that costs nothing (a free = true entry, a local server). */
export function isFree(prices: ModelPrices | undefined): boolean {
  return prices?.input === 0 && prices.output === 0;
}

/**
 * The least a call with `promptTokens` prompt tokens can cost (its prompt at the input price, no
 * output), for the check before a call; undefined when the input price is unknown.
 */
export function promptCostOf(promptTokens: number, prices: ModelPrices | undefined): number | undefined {
  const input = prices?.input;
  return input === undefined ? undefined : (promptTokens * input) / PER_MILLION;
}

/**
 * Two costs added up, where null is "unknown": once any part of a total is unknown, so is the
 * total (a run whose one call had no price has no known cost).
 */
export function addCost(total: number | null, cost: number | null): number | null {
  return total === null || cost === null ? null : total + cost;
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
  if (!pricesKnown(prices)) return undefined;
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

/**
 * Embedding list prices in US dollars per million input tokens (OpenAI and Google price pages,
 * 2026), so memory's embedding calls count against spending caps. A model not listed (a local
 * server's, say) is counted in tokens only.
 */
const EMBEDDING_PRICES_PER_MILLION: Readonly<Record<string, number>> = {
  'text-embedding-3-small': 0.02,
  'text-embedding-3-large': 0.13,
  'text-embedding-ada-002': 0.1,
  'gemini-embedding-001': 0.15,
  'text-embedding-004': 0,
  'embedding-001': 0,
};

/** Characters per token when an API does not count them: English text averages about 4. */
const CHARS_PER_TOKEN = 4;

/** Tokens of `texts` estimated from their length (CHARS_PER_TOKEN), for an API that reports none. */
function estimateTokens(texts: readonly string[]): number {
  return Math.ceil(texts.reduce((sum, text) => sum + text.length, 0) / CHARS_PER_TOKEN);
}

/** What one embedding request cost: its tokens (reported, else estimated) and, for a listed model, its dollars. */
export function embeddingUsage(model: string, texts: readonly string[], reportedTokens?: number): Usage {
  const inputTokens = reportedTokens ?? estimateTokens(texts);
  const price = EMBEDDING_PRICES_PER_MILLION[model.replace(/^models\//, '')];
  return { inputTokens, ...(price !== undefined ? { costUsd: (inputTokens * price) / PER_MILLION } : {}) };
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
