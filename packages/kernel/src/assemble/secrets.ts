/**
 * The one secret policy: every configured credential's value, the memory server's token and
 * whatever the host adds (the gateway's token). The tool registry scrubs them from tool output
 * and the session hooks from stored transcripts; both read this list and no other.
 */
import { credentialValues } from '@oxydra/provider';
import type { AgentConfig } from '@oxydra/types';

/** Shorter values would scrub ordinary words; no real key is that short. */
const MIN_SECRET_LENGTH = 8;

export function knownSecrets(
  config: AgentConfig,
  env: NodeJS.ProcessEnv,
  extra: readonly string[],
): string[] {
  const secrets = credentialValues(Object.values(config.providers.registry), env).filter(
    (key) => key.length >= MIN_SECRET_LENGTH,
  );
  if (config.memory.auth_token) secrets.push(config.memory.auth_token);
  secrets.push(...extra.filter((secret) => secret.length > 0));
  return [...new Set(secrets)];
}
