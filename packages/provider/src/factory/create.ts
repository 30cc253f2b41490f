/**
 * createProviderFromConfig: from an AgentConfig to a ready Provider. For the selected provider
 * and each `[selection] fallbacks` entry it resolves the registry entry, the credential and the
 * model (validated against the catalog before any network call), builds the wire adapter, and
 * wraps it: auth messages that name the credential source, costUsd on usage events, retries and
 * the circuit breaker; then chains the targets with fallbacks.
 */

import {
  type AgentConfig,
  ConfigError,
  didYouMean,
  type Provider,
  type ProviderEntry,
  type ProviderType,
  WIRE_FACTS,
} from '@oxydra/types';
import { checkLocalModel, localEntry, localSettings } from '../adapters/llama-cpp/entry.js';
import { costOptionsFor, withUsageCost } from '../catalog/cost.js';
import { catalogNamespace, findModel, type ModelInfo, resolveModel } from '../catalog/models.js';
import { type FallbackHooks, withFallbacks } from '../reliability/fallbacks.js';
import { type ReliabilityHooks, withReliability } from '../reliability/retry.js';
import type { AdapterFactories } from './adapters.js';
import { credentialLabel, missingKeyError, withAuthContext } from './auth.js';
import { resolveCredential } from './credentials.js';
import { DEFAULT_BASE_URLS, isCustomEndpoint } from './endpoints.js';
import { withModelInputCheck } from './model-inputs.js';

export interface CreateProviderOptions {
  /** The wire adapters by provider type (src/adapters/ in production, fakes in tests). */
  adapters: AdapterFactories;
  env?: NodeJS.ProcessEnv;
  /** --provider: a registry name instead of the selection's. */
  providerName?: string;
  /** --model */
  model?: string;
  /** --base-url: replaces the selected provider's base_url (e.g. a local OpenAI-compatible server). */
  baseURL?: string;
  /**
   * The selection already resolved for the agent that runs (the kernel's resolveAgentSettings,
   * the one place an `[agents.<name>]` entry is read), used over `[selection]`.
   */
  selection?: { provider: string; model: string };
  timeoutMs?: number;
  /** Injected sleep / clock / randomness / breaker registry, and retry and fallback callbacks. */
  hooks?: ReliabilityHooks & FallbackHooks;
}

export interface ProviderTarget {
  providerName: string;
  providerType: ProviderType;
  baseURL: string;
  /** The provider type's own hosted API rather than a custom server. */
  hosted: boolean;
  model: ModelInfo;
  /** Where the API key came from ("$OPENAI_API_KEY"), or undefined when calls go without one. */
  credential?: string;
  /** The adapter with auth messages, cost annotation, retries and the circuit breaker. */
  provider: Provider;
}

export interface ProviderSetup {
  /** The provider to call: the first target, falling back to the others in order. */
  provider: Provider;
  providerName: string;
  /** The selected model, for context budgeting and prices. */
  model: ModelInfo;
  targets: ProviderTarget[];
}

interface TargetSpec {
  providerName: string;
  model: string;
  baseURL?: string;
  /** Config key paths, for error locations. */
  providerKey: string;
  modelKey: string;
}

export function createProviderFromConfig(config: AgentConfig, options: CreateProviderOptions): ProviderSetup {
  const specs = targetSpecs(config, options);
  const targets = specs.map((spec) => buildTarget(config, spec, options));
  const primary = targets[0]!;
  // No fallbacks configured (the usual case): the one target is the provider, unwrapped.
  const provider =
    targets.length === 1
      ? primary.provider
      : withFallbacks(
          targets.map((target) => ({ provider: target.provider, model: target.model.id })),
          options.hooks,
        );
  return { provider, providerName: primary.providerName, model: primary.model, targets };
}

function targetSpecs(config: AgentConfig, options: CreateProviderOptions): TargetSpec[] {
  const selection = options.selection ?? config.selection;
  const primary: TargetSpec = {
    providerName: options.providerName ?? selection.provider,
    model: options.model ?? selection.model,
    providerKey: 'selection.provider',
    modelKey: 'selection.model',
    ...(options.baseURL !== undefined ? { baseURL: options.baseURL } : {}),
  };
  const fallbacks = config.selection.fallbacks
    .map((ref, i) => ({
      providerName: ref.provider,
      model: ref.model,
      providerKey: `selection.fallbacks.${i}.provider`,
      modelKey: `selection.fallbacks.${i}.model`,
    }))
    .filter((spec) => !(spec.providerName === primary.providerName && spec.model === primary.model));
  return [primary, ...fallbacks];
}

function buildTarget(config: AgentConfig, spec: TargetSpec, options: CreateProviderOptions): ProviderTarget {
  const registry = config.providers.registry;
  const configured = Object.hasOwn(registry, spec.providerName) ? registry[spec.providerName] : undefined;
  if (!configured) {
    const known = Object.keys(registry);
    throw new ConfigError(
      `provider "${spec.providerName}" is not in [providers.registry]${didYouMean(spec.providerName, known)} (known: ${known.join(', ') || 'none'})`,
      { keyPath: spec.providerKey },
    );
  }
  const given: ProviderEntry =
    spec.baseURL !== undefined ? { ...configured, base_url: spec.baseURL } : configured;
  const type = given.provider_type;
  const inProcess = WIRE_FACTS[type].inProcess === true;
  // A model run in process: the package and the file are checked now, a one-line config error.
  if (inProcess) checkLocalModel(spec.model, spec.modelKey);
  const entry = inProcess ? localEntry(given) : given;
  const baseURL = entry.base_url ?? DEFAULT_BASE_URLS[type];
  const hosted = !isCustomEndpoint(entry);

  // A custom endpoint gets a key only from its own api_key / api_key_env, never OPENAI_API_KEY.
  const credential = resolveCredential(entry, options.env ?? process.env);
  // Local servers (Ollama, llama.cpp, LM Studio) usually take no key; hosted APIs always do.
  if (!credential && hosted) throw missingKeyError(spec.providerName, entry);

  // A custom server without `catalog_provider` serves models the catalog cannot know (llama3.2...).
  const catalogKnowsServer = hosted || entry.catalog_provider !== undefined;
  const model = resolveModel(entry, type, spec.model, {
    skipValidation: config.catalog.skip_catalog_validation || !catalogKnowsServer,
    providerName: spec.providerName,
    keyPath: spec.modelKey,
  });

  const factory = options.adapters[type];
  if (!factory) throw new Error(`no adapter registered for provider type "${type}"`);
  const adapter = factory({
    name: spec.providerName,
    baseURL,
    ...(credential ? { apiKey: credential.apiKey } : {}),
    ...(Object.keys(entry.extra_headers).length > 0 ? { extraHeaders: entry.extra_headers } : {}),
    ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
    ...(inProcess ? { local: localSettings(entry) } : {}),
  });

  const namespace = catalogNamespace(type, entry);
  // Every model of a free entry (the user's own server) is priced at $0, whatever id a call names.
  const prices = (id: string) =>
    entry.free === true ? model.prices : catalogKnowsServer ? findModel(namespace, id)?.prices : undefined;
  const provider = withReliability(
    withUsageCost(
      withAuthContext(withModelInputCheck(adapter, model, spec.providerName), {
        entry,
        baseURL,
        ...(credential ? { source: credential.source } : {}),
      }),
      prices,
      costOptionsFor(type),
    ),
    config.reliability,
    options.hooks,
  );

  return {
    providerName: spec.providerName,
    providerType: type,
    baseURL,
    hosted,
    model,
    ...(credential ? { credential: credentialLabel(credential.source) } : {}),
    provider,
  };
}
