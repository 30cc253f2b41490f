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
  type Context,
  didYouMean,
  type ModelEvent,
  type Provider,
  type ProviderEntry,
  ProviderError,
  type ProviderType,
  type StreamOptions,
  WIRE_FACTS,
} from '@oxydra/types';
import { checkLocalModel, localEntry, localSettings } from '../adapters/llama-cpp/entry.js';
import { costOptionsFor, withUsageCost } from '../catalog/cost.js';
import { catalogNamespace, findModel, type ModelInfo, resolveModel } from '../catalog/models.js';
import { type FallbackHooks, withFallbacks } from '../reliability/fallbacks.js';
import { type ReliabilityHooks, withReliability } from '../reliability/retry.js';
import { attachmentKind } from '../shared/attachments.js';
import { wrapStream } from '../shared/stream.js';
import type { AdapterFactories } from './adapters.js';
import {
  type CredentialSource,
  credentialCandidates,
  DEFAULT_BASE_URLS,
  isCustomEndpoint,
  resolveCredential,
} from './credentials.js';

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
  const catalogPrices = catalogKnowsServer(entry);
  const model = checkedModel(config, entry, spec.model, {
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
    entry.free === true ? model.prices : catalogPrices ? findModel(namespace, id)?.prices : undefined;
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

/**
 * Credential messages: what to set when no key is found, and which key a provider rejected.
 * They name where a key came from, never the key.
 */

/** No key anywhere in the chain for a provider whose hosted API needs one. */
export function missingKeyError(name: string, entry: ProviderEntry): ConfigError {
  const candidates = credentialCandidates(entry);
  const variables = candidates.filter((c) => c.startsWith('$')).map((c) => c.slice(1));
  const local = WIRE_FACTS[entry.provider_type].versionedBaseUrl
    ? ', or use --base-url with a local OpenAI-compatible server'
    : '';
  return new ConfigError(
    `no API key for provider ${name}: set ${variables[0] ?? 'api_key'}, or run \`oxydra init\`${local}`,
    { keyPath: `providers.registry.${name}.api_key` },
    { hint: `a key is looked for in: ${candidates.join(', ')}` },
  );
}

/** "$OPENAI_API_KEY" or "api_key in the config": where the key came from, as users set it. */
export function credentialLabel(source: CredentialSource): string {
  return source.kind === 'config' ? 'api_key in the config' : `$${source.variable}`;
}

export interface AuthContext {
  entry: ProviderEntry;
  baseURL: string;
  /** Where the key came from; undefined when the call was made without one. */
  source?: CredentialSource;
}

/** The message for an auth failure: which provider, which credential source, which status. */
export function describeAuthFailure(name: string, error: ProviderError, auth: AuthContext): string {
  const status = error.status !== undefined ? ` (${error.status})` : '';
  return auth.source
    ? `${name} rejected the API key from ${credentialLabel(auth.source)}${status}`
    : `${name} at ${auth.baseURL} requires an API key${status}`;
}

/** Rewraps auth errors so they say which provider and which credential source failed. */
export function withAuthContext(provider: Provider, auth: AuthContext): Provider {
  function describe(error: unknown): unknown {
    if (!(error instanceof ProviderError) || error.kind !== 'auth') return error;
    return new ProviderError(describeAuthFailure(provider.name, error, auth), {
      kind: 'auth',
      provider: error.provider,
      ...(error.model !== undefined ? { model: error.model } : {}),
      ...(error.status !== undefined ? { status: error.status } : {}),
      partialOutput: error.partialOutput,
      cause: error,
      hint: auth.source
        ? `check that the key is valid and has access to this model; keys are looked for in: ${credentialCandidates(auth.entry).join(', ')}`
        : `set one of: ${credentialCandidates(auth.entry).join(', ')}`,
    });
  }
  function stream(context: Context, options?: StreamOptions): AsyncIterable<ModelEvent> {
    return wrapStream({ open: () => provider.stream(context, options), mapError: describe });
  }
  return { name: provider.name, type: provider.type, stream };
}

/**
 * Refuses attachments the selected model cannot read, before any request is sent: a user must
 * never get an answer about a file the model never saw. This checks the model (catalog input
 * modalities, e.g. a text-only o3-mini); each adapter then checks what its wire API can carry.
 * Models the catalog does not know are not checked: their capabilities are only assumed.
 */

export function withModelInputCheck(provider: Provider, model: ModelInfo, providerName: string): Provider {
  if (!model.known) return provider;
  const accepted = model.supportsAttachments ? model.capabilities.inputModalities : ['text'];
  /** Throws on the first attachment the model cannot read. */
  function check(context: Context): void {
    for (const message of context.messages) {
      if (message.role !== 'user' || typeof message.content === 'string') continue;
      for (const part of message.content) {
        if (part.type !== 'attachment') continue;
        const kind = attachmentKind(part.mimeType);
        if (kind === 'text' || accepted.includes(kind)) continue;
        const file = part.name ? ` ("${part.name}")` : '';
        throw new ProviderError(
          `${providerName} (${model.id}): the model cannot read ${part.mimeType} attachments${file}; it accepts ${accepted.join(', ')} input`,
          {
            kind: 'bad_request',
            provider: providerName,
            model: model.id,
            hint: 'choose a model that accepts this input (see `oxydra models show <id>`), or convert the file to text',
          },
        );
      }
    }
  }
  function stream(context: Context, options?: StreamOptions): AsyncIterable<ModelEvent> {
    try {
      check(context);
    } catch (error) {
      // A failure of the stream, when it is first read, as a refused request would be.
      return wrapStream({
        open: () => {
          throw error;
        },
      });
    }
    return provider.stream(context, options);
  }
  return { name: provider.name, type: provider.type, stream };
}

/*
 * The model a registry entry runs, checked against the catalog by the one rule every caller
 * shares: a run (createProviderFromConfig), `oxydra doctor` and `oxydra init` must agree on
 * which model ids are refused, or doctor says "Ready." and init writes a file the first run
 * then rejects.
 */
/** A hosted API, or a custom server that says which catalog prices it (`catalog_provider`). */
export function catalogKnowsServer(entry: ProviderEntry): boolean {
  return !isCustomEndpoint(entry) || entry.catalog_provider !== undefined;
}

/**
 * The entry's model info; throws the catalog's ConfigError ("did you mean") for an id the
 * catalog does not list, unless the catalog cannot know the server's models (a custom server
 * such as Ollama serves llama3.2) or `[catalog] skip_catalog_validation` is set.
 */
export function checkedModel(
  config: AgentConfig,
  entry: ProviderEntry,
  model: string,
  labels: { providerName: string; keyPath: string },
): ModelInfo {
  return resolveModel(entry, entry.provider_type, model, {
    skipValidation: config.catalog.skip_catalog_validation || !catalogKnowsServer(entry),
    ...labels,
  });
}
