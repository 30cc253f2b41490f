/**
 * The catalog's models: what Oxydra knows about one (ModelInfo), the pinned catalog loaded, its
 * lookups, and the resolution of the model a provider entry will call.
 *
 * What Oxydra knows about one model: capabilities for context budgeting and prices for dollar budgets.
 */

import { readFileSync } from 'node:fs';
import { ConfigError, type ModelCapabilities, type ProviderEntry, type ProviderType } from '@oxydra/types';
import { providerFile } from '../package-files.js';
import { byWireApi } from '../wire-apis.js';
import { catalogPrices, FREE_PRICES, type ModelPrices } from './cost.js';
import type { CatalogEntry, CatalogSnapshot } from './snapshot.js';
import { didYouMeanModel } from './suggest.js';

export type { ModelPrices };

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
  const prices = catalogPrices(entry);
  if (prices) info.prices = prices;
  if (entry.knowledge) info.knowledge = entry.knowledge;
  if (entry.release_date) info.releaseDate = entry.release_date;
  if (entry.last_updated) info.lastUpdated = entry.last_updated;
  if (entry.status) info.status = entry.status;
  if (entry.source) info.source = entry.source;
  return info;
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

/**
 * Loads the pinned catalog (data/models.json) on first use. It is read synchronously and once:
 * importing @oxydra/provider must stay cheap, and every lookup after the first is a map access.
 */

export const CATALOG_SCHEMA_VERSION = 1;

let cached: CatalogSnapshot | undefined;

export function loadCatalog(): CatalogSnapshot {
  if (!cached) {
    const path = providerFile('data/models.json');
    cached = parseCatalog(readFileSync(path, 'utf8'), path);
  }
  return cached;
}

/** Parse and sanity-check a snapshot; `source` names the file in error messages. */
export function parseCatalog(text: string, source = 'model catalog'): CatalogSnapshot {
  const data = JSON.parse(text) as Partial<CatalogSnapshot> | null;
  if (data === null || typeof data !== 'object' || typeof data.providers !== 'object' || !data.providers) {
    throw new Error(`${source}: not a model catalog (no "providers" object)`);
  }
  if (data.schema_version !== CATALOG_SCHEMA_VERSION) {
    throw new Error(
      `${source}: schema_version ${String(data.schema_version)} is not ${CATALOG_SCHEMA_VERSION}; regenerate it with scripts/update-catalog.mjs`,
    );
  }
  return { schema_version: data.schema_version, sources: data.sources ?? [], providers: data.providers };
}

/** Lookups in the pinned catalog. */

/** Namespaces the catalog holds, sorted. */
export function catalogNamespaces(): string[] {
  return Object.keys(loadCatalog().providers).sort();
}

/** Model ids in a namespace, sorted; empty for an unknown namespace. */
export function catalogModelIds(namespace: string): string[] {
  return Object.keys(loadCatalog().providers[namespace]?.models ?? {}).sort();
}

/**
 * The catalog's entry for `id`, tolerating the spellings APIs accept for the same model:
 * Gemini's "models/" prefix, and a dated snapshot ("gpt-4o-mini-2024-07-18") of a listed alias.
 */
export function findCatalogEntry(namespace: string, id: string): CatalogEntry | undefined {
  const models = loadCatalog().providers[namespace]?.models;
  if (!models) return undefined;
  const own = (key: string) => (Object.hasOwn(models, key) ? models[key] : undefined);
  const bare = id.startsWith('models/') ? id.slice('models/'.length) : id;
  const undated = bare.replace(/-(\d{4}-\d{2}-\d{2}|\d{8})$/, '');
  return own(id) ?? own(bare) ?? (undated !== bare ? own(undated) : undefined);
}

/** The model as ModelInfo, or undefined when the catalog does not know it. `id` stays as asked. */
export function findModel(namespace: string, id: string): ModelInfo | undefined {
  const entry = findCatalogEntry(namespace, id);
  if (!entry) return undefined;
  const info = toModelInfo(namespace, entry);
  if (entry.id !== id) info.id = id;
  return info;
}

/** Every model, or those of one namespace, sorted by namespace then id. */
export function listModels(namespace?: string): ModelInfo[] {
  const namespaces = namespace === undefined ? catalogNamespaces() : [namespace];
  return namespaces.flatMap((ns) =>
    catalogModelIds(ns).map((id) => toModelInfo(ns, loadCatalog().providers[ns]!.models[id]!)),
  );
}

/** Models with this id in any namespace (for `oxydra models show <id>` without --provider). */
export function findModelAnywhere(id: string): ModelInfo[] {
  return catalogNamespaces().flatMap((ns) => {
    const found = findModel(ns, id);
    return found ? [found] : [];
  });
}

/**
 * Resolves the model a provider entry will call: catalog data, then the entry's capability
 * overrides on top. Unknown models fail here, before any network call, unless validation is skipped.
 */

/** Which catalog namespace (models.dev provider id) a registry entry's models are looked up in. */
export const CATALOG_NAMESPACE_BY_TYPE: Record<ProviderType, string> = byWireApi(
  (api) => api.catalogNamespace,
);

/** An entry's `catalog_provider` wins (e.g. "openai" for an OpenAI-compatible proxy of OpenAI models). */
export function catalogNamespace(providerType: ProviderType, entry?: { catalog_provider?: string }): string {
  return entry?.catalog_provider ?? CATALOG_NAMESPACE_BY_TYPE[providerType];
}

/** The registry-entry fields that bear on a model's capabilities. */
export type CapabilityOverrides = Partial<
  Pick<
    ProviderEntry,
    | 'catalog_provider'
    | 'attachment'
    | 'input_modalities'
    | 'reasoning'
    | 'max_input_tokens'
    | 'max_output_tokens'
    | 'max_context_tokens'
    | 'free'
  >
>;

export interface ResolveModelOptions {
  /** `[catalog] skip_catalog_validation`: synthesise capabilities for unknown models instead of failing. */
  skipValidation?: boolean;
  /** Registry name used in messages (defaults to the catalog namespace). */
  providerName?: string;
  /** Config key path of the model setting, for the error's location. */
  keyPath?: string;
}

export function resolveModel(
  entry: CapabilityOverrides | undefined,
  providerType: ProviderType,
  modelId: string,
  options: ResolveModelOptions = {},
): ModelInfo {
  const namespace = catalogNamespace(providerType, entry);
  const found = findModel(namespace, modelId);
  if (!found && !options.skipValidation) {
    throw unknownModelError(namespace, modelId, options.providerName ?? namespace, options.keyPath);
  }
  return applyOverrides(found ?? synthesizeModelInfo(namespace, modelId), entry);
}

export function unknownModelError(
  namespace: string,
  modelId: string,
  providerLabel: string,
  keyPath = 'selection.model',
): ConfigError {
  const hint = `run \`oxydra models list --provider ${namespace}\` to see the known models, or set [catalog] skip_catalog_validation = true to use a model the catalog does not list`;
  if (!catalogNamespaces().includes(namespace)) {
    return new ConfigError(
      `the model catalog has no provider "${namespace}" (known: ${catalogNamespaces().join(', ')}); cannot check model "${modelId}" for provider ${providerLabel}`,
      { keyPath },
      { hint },
    );
  }
  return new ConfigError(
    `unknown model "${modelId}" for provider ${providerLabel}${didYouMeanModel(modelId, catalogModelIds(namespace))}`,
    { keyPath },
    { hint },
  );
}

/** Registry-entry capability overrides win over the catalog (for models it lacks or misdescribes). */
export function applyOverrides(info: ModelInfo, entry: CapabilityOverrides | undefined): ModelInfo {
  if (!entry) return info;
  const capabilities = { ...info.capabilities, inputModalities: [...info.capabilities.inputModalities] };
  const out: ModelInfo = { ...info, capabilities };
  if (entry.max_context_tokens !== undefined) capabilities.contextWindow = entry.max_context_tokens;
  if (entry.max_output_tokens !== undefined) capabilities.maxOutputTokens = entry.max_output_tokens;
  if (entry.max_input_tokens !== undefined) out.maxInputTokens = entry.max_input_tokens;
  if (entry.reasoning !== undefined) capabilities.supportsReasoning = entry.reasoning;
  if (entry.input_modalities !== undefined) {
    capabilities.inputModalities = [...entry.input_modalities];
    out.supportsAttachments = entry.input_modalities.some((m) => m !== 'text');
  }
  // An explicit `attachment` wins over what the modalities imply.
  if (entry.attachment !== undefined) out.supportsAttachments = entry.attachment;
  // The user's word that the server costs nothing (a local model): every price is zero, so
  // dollar caps are enforceable (and never reached) and costs read $0 instead of unknown.
  if (entry.free === true) out.prices = { ...FREE_PRICES };
  return out;
}
