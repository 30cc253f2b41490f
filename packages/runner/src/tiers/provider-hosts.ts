/**
 * The hosts a container guest may reach through the egress proxy: those of the model providers
 * in the user's configuration (every [providers.registry] entry's base_url, the built-in ones
 * included), read as the guest will read it: the user's shared/.oxydra files and the operator's
 * OXYDRA__* overrides, no host-wide layer (the guest has none either).
 */
import { join } from 'node:path';
import { loadAgentConfig } from '@oxydra/config';
import { DEFAULT_PROVIDER_REGISTRY, WIRE_FACTS } from '@oxydra/types';

type Registry = Record<string, { provider_type: keyof typeof WIRE_FACTS; base_url?: string | undefined }>;

/** `host:port` of every URL-addressed entry, sorted and without repeats. */
export function registryHosts(registry: Registry): string[] {
  const hosts = new Set<string>();
  for (const entry of Object.values(registry)) {
    const url = entry.base_url ?? WIRE_FACTS[entry.provider_type].defaultBaseUrl;
    if (!url) continue;
    try {
      const parsed = new URL(url);
      const port = parsed.port || (parsed.protocol === 'https:' ? '443' : '80');
      hosts.add(`${parsed.hostname}:${port}`);
    } catch {
      // The guest refuses an invalid base_url itself; it opens nothing here.
    }
  }
  return [...hosts].sort();
}

export async function providerHosts(sharedDir: string, env: NodeJS.ProcessEnv): Promise<string[]> {
  const guestEnv: NodeJS.ProcessEnv = {
    // No operator or system layer: point both at nothing inside the user's own folder.
    HOME: join(sharedDir, '.oxydra', 'no-home'),
    OXYDRA_SYSTEM_CONFIG_DIR: join(sharedDir, '.oxydra', 'no-system'),
  };
  for (const [name, value] of Object.entries(env)) if (name.startsWith('OXYDRA__')) guestEnv[name] = value;
  try {
    const loaded = await loadAgentConfig({ cwd: sharedDir, env: guestEnv, trust: 'this-run' });
    return registryHosts(loaded.config.providers.registry as Registry);
  } catch {
    // A configuration the guest will refuse anyway: the built-in providers only.
    return registryHosts(DEFAULT_PROVIDER_REGISTRY as Registry);
  }
}
