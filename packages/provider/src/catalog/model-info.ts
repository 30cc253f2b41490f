/** What Oxydra knows about one model: capabilities for context budgeting and prices for dollar budgets. */
import type { ModelCapabilities } from '@oxydra/types';
import type { CatalogEntry } from './snapshot.js';

/** US dollars per million tokens; a missing field means the price is unknown. */
export interface ModelPrices {
  input?: number;
  output?: number;
  cacheRead?: number;
  cacheWrite?: number;
}

export interface ModelInfo {
  id: string;
  name: string;
  /** Catalog namespace: "openai", "anthropic" or "google". */
  namespace: string;
  /** False when the catalog does not know the model and its capabilities were synthesised. */
  known: boolean;
  capabilities: ModelCapabilities;
  /** Accepts inline media (images, PDFs...) at all; `capabilities.inputModalities` says which. */
  supportsAttachments: boolean;
  /** Some models accept less input than their context window (context = input + output). */
  maxInputTokens?: number;
  prices?: ModelPrices;
  knowledge?: string;
  releaseDate?: string;
  lastUpdated?: string;
  status?: string;
  /** Where a catalog entry came from when it is not models.dev itself. */
  source?: string;
}

/** Capabilities assumed for a model the catalog does not know (the original's synthetic defaults). */
export const SYNTHETIC_CONTEXT_WINDOW = 128_000;
export const SYNTHETIC_MAX_OUTPUT = 16_384;

export function toModelInfo(namespace: string, entry: CatalogEntry): ModelInfo {
  const inputModalities = entry.modalities?.input ?? ['text'];
  const info: ModelInfo = {
    id: entry.id,
    name: entry.name,
    namespace,
    known: true,
    capabilities: {
      supportsTools: entry.tool_call ?? false,
      supportsReasoning: entry.reasoning ?? false,
      inputModalities: [...inputModalities],
    },
    supportsAttachments: entry.attachment ?? inputModalities.some((m) => m !== 'text'),
  };
  if (entry.limit?.context !== undefined) info.capabilities.contextWindow = entry.limit.context;
  if (entry.limit?.output !== undefined) info.capabilities.maxOutputTokens = entry.limit.output;
  if (entry.limit?.input !== undefined) info.maxInputTokens = entry.limit.input;
  const prices = toPrices(entry);
  if (prices) info.prices = prices;
  if (entry.knowledge) info.knowledge = entry.knowledge;
  if (entry.release_date) info.releaseDate = entry.release_date;
  if (entry.last_updated) info.lastUpdated = entry.last_updated;
  if (entry.status) info.status = entry.status;
  if (entry.source) info.source = entry.source;
  return info;
}

function toPrices(entry: CatalogEntry): ModelPrices | undefined {
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
 * Capabilities for a model the catalog lacks: 128K context, 16K output, tools on. Image-generation
 * models (an id containing "image") take images and cannot call tools, as in the original.
 */
export function synthesizeModelInfo(namespace: string, id: string): ModelInfo {
  const imageModel = /image/i.test(id);
  return {
    id,
    name: id,
    namespace,
    known: false,
    capabilities: {
      contextWindow: SYNTHETIC_CONTEXT_WINDOW,
      maxOutputTokens: SYNTHETIC_MAX_OUTPUT,
      supportsTools: !imageModel,
      supportsReasoning: false,
      inputModalities: imageModel ? ['text', 'image'] : ['text'],
    },
    supportsAttachments: imageModel,
  };
}
