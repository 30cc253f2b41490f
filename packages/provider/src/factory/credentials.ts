/**
 * The credential chain, first non-empty wins:
 * explicit api_key > the entry's api_key_env > the provider type's variable
 * (OPENAI_API_KEY / ANTHROPIC_API_KEY / GEMINI_API_KEY) > API_KEY.
 * The last two only for the provider's own API: an entry whose base URL is a custom server (a
 * proxy, OpenRouter, a local model) gets only the api_key / api_key_env the user wrote for it,
 * so OPENAI_API_KEY never reaches a server the user did not give it to. The built-in entries
 * carry no api_key_env for that reason: any api_key_env is the user's. This is the one place
 * that decides which key goes where; chat, embeddings, doctor and the scrubber all ask it.
 * Callers show `source`, never the key.
 */

import { GENERIC_KEY_ENV, type ProviderEntry, type ProviderType, providerKeyVariables } from '@oxydra/types';
import { byWireApi } from '../wire-apis.js';

export const PROVIDER_TYPE_KEY_ENV: Record<ProviderType, string> = byWireApi((api) => api.keyEnv);

export { GENERIC_KEY_ENV };

export type CredentialSource =
  | { kind: 'config' }
  | { kind: 'api_key_env'; variable: string }
  | { kind: 'provider_env'; variable: string }
  | { kind: 'generic_env'; variable: string };

export interface ResolvedCredential {
  apiKey: string;
  source: CredentialSource;
}

export function describeCredentialSource(source: CredentialSource): string {
  switch (source.kind) {
    case 'config':
      return 'api_key in the config';
    case 'api_key_env':
      return `$${source.variable} (api_key_env)`;
    case 'provider_env':
    case 'generic_env':
      return `$${source.variable}`;
  }
}

/** The variables tried for this entry, in order: its api_key_env, then (its own API only) the shared ones. */
type VariableSource = Exclude<CredentialSource, { kind: 'config' }>;

function variableSources(entry: ProviderEntry): VariableSource[] {
  const sources: VariableSource[] = [];
  if (entry.api_key_env) sources.push({ kind: 'api_key_env', variable: entry.api_key_env });
  if (!isCustomEndpoint(entry)) {
    const typeVariable = PROVIDER_TYPE_KEY_ENV[entry.provider_type];
    if (typeVariable !== entry.api_key_env) sources.push({ kind: 'provider_env', variable: typeVariable });
    sources.push({ kind: 'generic_env', variable: GENERIC_KEY_ENV });
  }
  return sources;
}

/** The key requests to this entry carry, and where it came from; undefined: none. */
export function resolveCredential(
  entry: ProviderEntry,
  env: NodeJS.ProcessEnv = process.env,
): ResolvedCredential | undefined {
  const nonEmpty = (value: string | undefined) =>
    value !== undefined && value.trim() !== '' ? value : undefined;
  const explicit = nonEmpty(entry.api_key);
  if (explicit) return { apiKey: explicit, source: { kind: 'config' } };
  for (const source of variableSources(entry)) {
    const value = nonEmpty(env[source.variable]);
    if (value) return { apiKey: value, source };
  }
  return undefined;
}

/** Where a key could come from for this entry, in the order they are tried (for "no credentials" hints). */
export function credentialCandidates(entry: ProviderEntry): string[] {
  return ['api_key in the config', ...variableSources(entry).map((source) => `$${source.variable}`)];
}

/**
 * Every key value these entries could be given, whatever their endpoints: what the scrubber
 * removes from tool output and transcripts. Wider than what is sent (resolveCredential), because
 * a key that is not sent must still not be read out of a file and passed to a custom server.
 */
export function credentialValues(entries: readonly ProviderEntry[], env: NodeJS.ProcessEnv): string[] {
  const variables = new Set<string>(providerKeyVariables());
  const values: (string | undefined)[] = [];
  for (const entry of entries) {
    values.push(entry.api_key);
    if (entry.api_key_env) variables.add(entry.api_key_env);
  }
  for (const variable of variables) values.push(env[variable]);
  return [...new Set(values.map((value) => value?.trim() ?? '').filter((value) => value !== ''))];
}

/**
 * The hosted API of each wire type, and whether an entry points at it or at a custom server.
 * This decides which keys an entry may be sent (the credential chain above), so it lives here, once,
 * for chat, embeddings, doctor and the scrubber alike.
 */

export const DEFAULT_BASE_URLS: Record<ProviderType, string> = byWireApi((api) => api.defaultBaseUrl);

/**
 * True when `baseURL` is the provider type's own hosted API. Those always need a key and serve
 * exactly the catalog's models; a custom server (Ollama, vLLM, a proxy) may need neither.
 */
export function isHostedEndpoint(providerType: ProviderType, baseURL: string): boolean {
  try {
    const url = new URL(baseURL);
    const hosted = new URL(DEFAULT_BASE_URLS[providerType]);
    return url.protocol === hosted.protocol && url.host === hosted.host;
  } catch {
    return false;
  }
}

/** The URL an entry's requests go to: its base_url, else its provider type's hosted API. */
export function entryBaseURL(entry: Pick<ProviderEntry, 'provider_type' | 'base_url'>): string {
  return entry.base_url ?? DEFAULT_BASE_URLS[entry.provider_type];
}

/** The entry points somewhere other than its provider's own API (a proxy, a local server). */
export function isCustomEndpoint(entry: Pick<ProviderEntry, 'provider_type' | 'base_url'>): boolean {
  return !isHostedEndpoint(entry.provider_type, entryBaseURL(entry));
}
