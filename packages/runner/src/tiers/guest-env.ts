/**
 * Which of the operator's environment variables a container guest receives (by name): the
 * provider credentials Oxydra knows, the user's credential_refs and OXYDRA__* config overrides
 * (and, added by the launchers, its own gateway token: guest-token.ts). Nothing else crosses
 * into the container; a process-tier guest inherits the runner's env.
 */
import { providerKeyVariables } from '@oxydra/types';

const PROVIDER_KEY_VARIABLES = providerKeyVariables();

export function guestEnvNames(env: NodeJS.ProcessEnv, credentialRefs: Record<string, string>): string[] {
  const names = new Set<string>();
  for (const name of [...PROVIDER_KEY_VARIABLES, ...Object.values(credentialRefs)]) {
    if (env[name] !== undefined) names.add(name);
  }
  for (const name of Object.keys(env)) if (name.startsWith('OXYDRA__')) names.add(name);
  return [...names].sort();
}
