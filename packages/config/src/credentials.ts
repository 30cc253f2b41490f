/**
 * The credential chain, first non-empty wins:
 * explicit api_key > the entry's api_key_env > the provider type's variable
 * (OPENAI_API_KEY / ANTHROPIC_API_KEY / GEMINI_API_KEY) > API_KEY.
 * Callers show `source`, never the key.
 */
import type { ProviderEntry, ProviderType } from '@oxydra/types';

export const PROVIDER_TYPE_KEY_ENV: Record<ProviderType, string> = {
  openai: 'OPENAI_API_KEY',
  openai_responses: 'OPENAI_API_KEY',
  anthropic: 'ANTHROPIC_API_KEY',
  gemini: 'GEMINI_API_KEY',
};

export const GENERIC_KEY_ENV = 'API_KEY';

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

export interface ResolveOptions {
  /**
   * The entry points at a custom endpoint (a proxy, OpenRouter, a local server), not the
   * provider's own API: then only its own api_key / api_key_env count, so OPENAI_API_KEY and
   * API_KEY never reach a third party by accident.
   */
  customEndpoint?: boolean;
}

export function resolveCredential(
  entry: ProviderEntry,
  env: NodeJS.ProcessEnv = process.env,
  options: ResolveOptions = {},
): ResolvedCredential | undefined {
  const nonEmpty = (value: string | undefined) =>
    value !== undefined && value.trim() !== '' ? value : undefined;
  const explicit = nonEmpty(entry.api_key);
  if (explicit) return { apiKey: explicit, source: { kind: 'config' } };
  const candidates: CredentialSource[] = [];
  if (entry.api_key_env) candidates.push({ kind: 'api_key_env', variable: entry.api_key_env });
  if (!options.customEndpoint) {
    candidates.push({ kind: 'provider_env', variable: PROVIDER_TYPE_KEY_ENV[entry.provider_type] });
    candidates.push({ kind: 'generic_env', variable: GENERIC_KEY_ENV });
  }
  for (const source of candidates) {
    const value = 'variable' in source ? nonEmpty(env[source.variable]) : undefined;
    if (value) return { apiKey: value, source };
  }
  return undefined;
}

/** Where a key could come from for this entry, in the order they are tried (for "no credentials" hints). */
export function credentialCandidates(entry: ProviderEntry): string[] {
  const names = [entry.api_key_env, PROVIDER_TYPE_KEY_ENV[entry.provider_type], GENERIC_KEY_ENV].filter(
    (name): name is string => Boolean(name),
  );
  return ['api_key in the config', ...[...new Set(names)].map((name) => `$${name}`)];
}
