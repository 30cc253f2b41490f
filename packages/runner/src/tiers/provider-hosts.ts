/**
 * The hosts a container guest may reach through the egress proxy: those of the model providers
 * in the user's configuration (every [providers.registry] entry's base_url, the built-in ones
 * included), read as the guest will read it: the user's shared/.oxydra files and the operator's
 * OXYDRA__* overrides, no host-wide layer (the guest has none either).
 */
import { lstatSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { AGENT_CONFIG_FILES, loadAgentConfig, writeFileAtomic } from '@oxydra/config';
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

/** Far above any agent.toml; a larger one is not read (it would be read whole). */
const CONFIG_MAX_BYTES = 1024 * 1024;

/**
 * True when the guest's configuration files are not plain files the runner may read: the guest
 * writes shared/.oxydra/, and the runner (root, maybe) reads it before every container start. A
 * FIFO there would hang the start for good, a link be followed to a file of the host's (or to
 * /dev/zero, read whole), a huge file be read whole. The guest is not running while this looks.
 */
function unsafeConfigFiles(sharedDir: string): boolean {
  const dir = join(sharedDir, '.oxydra');
  const folder = lstatSync(dir, { throwIfNoEntry: false });
  if (folder === undefined) return false;
  if (!folder.isDirectory()) return true;
  return AGENT_CONFIG_FILES.some((name) => {
    const file = lstatSync(join(dir, name), { throwIfNoEntry: false });
    return file !== undefined && (!file.isFile() || file.size > CONFIG_MAX_BYTES);
  });
}

/** `nowhere`: a path in a runner-owned folder that does not exist (no home or system layer). */
async function providerHosts(sharedDir: string, nowhere: string, env: NodeJS.ProcessEnv): Promise<string[]> {
  const builtIn = () => registryHosts(DEFAULT_PROVIDER_REGISTRY as Registry);
  // Not readable as it is: the guest will have to do without it; the built-in providers only.
  if (unsafeConfigFiles(sharedDir)) return builtIn();
  const guestEnv: NodeJS.ProcessEnv = {
    // No operator or system layer, and none the guest could plant either: both point at nothing
    // in a folder the guest never sees.
    HOME: join(nowhere, 'home'),
    OXYDRA_SYSTEM_CONFIG_DIR: join(nowhere, 'system'),
  };
  for (const [name, value] of Object.entries(env)) if (name.startsWith('OXYDRA__')) guestEnv[name] = value;
  try {
    const loaded = await loadAgentConfig({ cwd: sharedDir, env: guestEnv, trust: 'this-run' });
    return registryHosts(loaded.config.providers.registry as Registry);
  } catch {
    // A configuration the guest will refuse anyway: the built-in providers only.
    return builtIn();
  }
}

/** What a container start may allow, and the hosts it held back (for the guest's log). */
export interface EgressAllowlist {
  allow: string[];
  /** Hosts the user's files name that the pin does not: added since, maybe by the guest. */
  heldBack: string[];
  /** Set when the user's files were not read (a link, FIFO or huge file): the built-ins only. */
  unreadable?: string;
}

/**
 * The container guest can write `shared/.oxydra/` (its memory database lives there), so the
 * user's agent.toml is not a trustworthy source on its own: a command could add a provider whose
 * host the next start would allow. The runner pins the hosts the files named at this user's
 * first container start (`pinFile`, in a runner-owned folder never mounted into the guest) and
 * from then on allows a host the files name only if the pin holds it. The operator's OXYDRA__*
 * overrides are theirs, not the guest's, so hosts they add are allowed. A host removed from the
 * files is dropped (it is no longer in `allow`); deleting the pin re-pins at the next start.
 */
export async function pinnedProviderHosts(
  sharedDir: string,
  pinFile: string,
  env: NodeJS.ProcessEnv,
): Promise<EgressAllowlist> {
  const nowhere = join(dirname(pinFile), 'no-config');
  const fromFiles = await providerHosts(sharedDir, nowhere, {});
  const withEnv = await providerHosts(sharedDir, nowhere, env);
  let pinned: string[] | undefined;
  try {
    const parsed: unknown = JSON.parse(await readFile(pinFile, 'utf8'));
    pinned = Array.isArray(parsed) && parsed.every((host) => typeof host === 'string') ? parsed : [];
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') pinned = [];
  }
  if (pinned === undefined) {
    await writeFileAtomic(pinFile, `${JSON.stringify(fromFiles)}\n`, { mode: 0o600 });
    pinned = fromFiles;
  }
  // An unreadable or malformed pin trusts nothing from the files (fail closed), only the
  // built-in providers and the operator's overrides.
  const trusted = new Set([...pinned, ...registryHosts(DEFAULT_PROVIDER_REGISTRY as Registry)]);
  const heldBack = fromFiles.filter((host) => !trusted.has(host));
  const envAdded = new Set(withEnv.filter((host) => !fromFiles.includes(host)));
  const allow = withEnv.filter((host) => envAdded.has(host) || trusted.has(host));
  return {
    allow,
    heldBack,
    ...(unsafeConfigFiles(sharedDir)
      ? { unreadable: `${join(sharedDir, '.oxydra')} holds a link, a FIFO or a file over 1 MiB` }
      : {}),
  };
}
