/**
 * Which of the operator's environment variables a container guest receives (by name): the
 * provider credentials Oxydra knows, the user's credential_refs and OXYDRA__* config overrides.
 * Nothing else crosses into the container; a process-tier guest inherits the runner's env.
 */
import { GATEWAY_TOKEN_ENV } from '@oxydra/config/admin';
import { providerKeyVariables } from '@oxydra/types';

const PROVIDER_KEY_VARIABLES = providerKeyVariables();

export function guestEnvNames(env: NodeJS.ProcessEnv, credentialRefs: Record<string, string>): string[] {
  const names = new Set<string>();
  for (const name of [...PROVIDER_KEY_VARIABLES, ...Object.values(credentialRefs)]) {
    if (env[name] !== undefined) names.add(name);
  }
  for (const name of Object.keys(env)) if (name.startsWith('OXYDRA__')) names.add(name);
  // The host's gateway token (the runner sets it for a container guest): local clients use it.
  if (env[GATEWAY_TOKEN_ENV] !== undefined) names.add(GATEWAY_TOKEN_ENV);
  return [...names].sort();
}
