/**
 * Resolves the model a provider entry will call: catalog data, then the entry's capability
 * overrides on top. Unknown models fail here, before any network call, unless validation is skipped.
 */
import { ConfigError, type ProviderEntry, type ProviderType } from '@oxydra/types';
import { byWireApi } from '../wire-apis.js';
import { catalogModelIds, catalogNamespaces, findModel } from './lookup.js';
import { type ModelInfo, synthesizeModelInfo } from './model-info.js';
import { didYouMeanModel } from './suggest.js';

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
  if (entry.free === true) out.prices = { input: 0, output: 0, cacheRead: 0, cacheWrite: 0 };
  return out;
}
