// A benchmark's workspace: a folder whose .oxydra/agent.toml selects the OpenAI-wire mock at
// `url` (priced as gpt-4o-mini), plus any `extraToml`. One place, so every bench measures the
// same configuration.
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const bin = fileURLToPath(new URL('../packages/cli/bin/oxydra.js', import.meta.url));

/**
 * The workspace, trusted (`oxydra trust --yes`) as the user `env` names (HOME, XDG folders):
 * a provider defined in a workspace's .oxydra/ is held back until its user trusts it, as a
 * user of the benchmark's configuration would have done once. `env` is required: the trust
 * record goes into its HOME, never the real user's. `oxydra` is the bin that trusts it (this
 * tree's by default).
 */
export function mockWorkspace(dir, url, extraToml, env, oxydra = bin) {
  if (!env?.HOME) throw new Error('mockWorkspace: pass the environment the benchmark runs oxydra with');
  mkdirSync(join(dir, '.oxydra'), { recursive: true });
  writeFileSync(
    join(dir, '.oxydra', 'agent.toml'),
    `[selection]
provider = "mock"
model = "gpt-4o-mini"

[providers.registry.mock]
provider_type = "openai"
base_url = "${url}"
api_key = "sk-bench-0123456789"
catalog_provider = "openai"
${extraToml}`,
  );
  const trusted = spawnSync(process.execPath, [oxydra, 'trust', '--yes', dir], { env, encoding: 'utf8' });
  if (trusted.status !== 0) throw new Error(`oxydra trust ${dir} failed: ${trusted.stderr}`);
  return dir;
}
