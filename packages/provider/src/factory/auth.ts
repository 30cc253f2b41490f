/**
 * Credential messages: what to set when no key is found, and which key a provider rejected.
 * They name where a key came from, never the key.
 */

import {
  ConfigError,
  type Context,
  type ModelEvent,
  type Provider,
  type ProviderEntry,
  ProviderError,
  type StreamOptions,
  WIRE_FACTS,
} from '@oxydra/types';
import { wrapStream } from '../shared/stream.js';
import { type CredentialSource, credentialCandidates } from './credentials.js';

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
