// A benchmark's workspace: a folder whose .oxydra/agent.toml selects the OpenAI-wire mock at
// `url` (priced as gpt-4o-mini), plus any `extraToml`. One place, so every bench measures the
// same configuration.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export function mockWorkspace(dir, url, extraToml = '') {
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
  return dir;
}
