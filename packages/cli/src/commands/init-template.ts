/** The commented agent.toml that `oxydra init` writes. */

import { PROVIDER_TYPES, WIRE_FACTS } from '@oxydra/types';

export const DEFAULT_MODELS: Record<string, string> = {
  openai: 'gpt-4o-mini',
  anthropic: 'claude-haiku-4-5',
  gemini: 'gemini-2.5-flash',
};

/** What init writes, whether it came from flags or from the questions. */
export interface InitPlan {
  provider: string;
  model?: string;
  baseUrl?: string;
  apiKeyEnv?: string;
  force?: boolean;
  /** A key the user pasted: stored in the user-level providers.toml, never in the workspace. */
  apiKey?: string;
}

export interface TemplateOptions {
  provider: string;
  model: string;
  /** A local OpenAI-compatible server; adds a `local` registry entry. */
  baseUrl?: string;
  /**
   * The variable holding the key, written as the entry's api_key_env: for a local server the only
   * way it gets one; for a hosted provider only when it is not the provider's own variable.
   */
  apiKeyEnv?: string;
}

/** The provider's own key variable: no api_key_env is needed to read it. */
export const PROVIDER_KEY_ENV: Record<string, string> = Object.fromEntries(
  PROVIDER_TYPES.filter((type) => WIRE_FACTS[type].builtInEntry && WIRE_FACTS[type].keyEnv !== '').map(
    (type) => [type, WIRE_FACTS[type].keyEnv],
  ),
);

export function agentTomlTemplate(options: TemplateOptions): string {
  const provider = options.baseUrl ? 'local' : options.provider;
  const keyEnv = options.apiKeyEnv;
  const local = options.baseUrl
    ? `
# A local OpenAI-compatible server (Ollama, vLLM, llama.cpp, LM Studio). Such servers
# usually need no key; ${keyEnv ? 'this one reads it from the variable below' : 'set api_key_env if yours does'}.
[providers.registry.local]
provider_type = "openai"
base_url = ${JSON.stringify(options.baseUrl)}
${
  keyEnv
    ? `api_key_env = ${JSON.stringify(keyEnv)}
`
    : ''
}# Your own server costs nothing per token: its models are priced at $0, so dollar caps
# (runtime.max_cost, scheduler.max_cost, [budgets]) hold and costs read $0. Turn and time
# caps still apply. Remove this line for a server that bills you.
free = true
# The pinned model catalog cannot know what your server serves, so its model ids are not
# checked; those of the hosted providers still are.
`
    : `
# Provider entries openai, anthropic and gemini are built in. Keys come from, in order:
# api_key here > the variable named by api_key_env > OPENAI_API_KEY / ANTHROPIC_API_KEY /
# GEMINI_API_KEY > API_KEY. Prefer the environment: never commit a key.
${
  keyEnv && keyEnv !== PROVIDER_KEY_ENV[provider]
    ? `[providers.registry.${tomlKey(provider)}]
api_key_env = ${JSON.stringify(keyEnv)}

`
    : ''
}# [providers.registry.openrouter]
# provider_type = "openai"
# base_url = "https://openrouter.ai/api/v1"
# api_key_env = "OPENROUTER_API_KEY"
`;
  return `# Oxydra agent configuration. Precedence, lowest first: built-in defaults <
# /etc/oxydra < ~/.config/oxydra < ./.oxydra (this file) < OXYDRA__SECTION__KEY
# environment variables < command-line flags. \`oxydra config show\` prints the result.
config_version = "1.0.0"

[selection]
provider = ${JSON.stringify(provider)}
model = ${JSON.stringify(options.model)}
# Tried in order when the selected provider keeps failing:
# fallbacks = [{ provider = "anthropic", model = "claude-haiku-4-5" }]
${local}
[runtime]
# Per provider call and per tool run, in seconds.
turn_timeout_secs = 60
# Model calls per run.
max_turns = 100
# Dollar budget per run (from the model catalog's prices). Unset: no limit.
# max_cost = 0.50

[memory]
# Sessions, notes and retrieval in one embedded libSQL file (local-first).
enabled = true
db_path = ".oxydra/memory.db"

[tools]
# Privileged tools (shell_exec): "auto" runs them, "ask" asks (denied when not interactive), "deny" refuses.
approval = "ask"
`;
}

/** A TOML key: bare when it may be, else quoted (TOML basic strings take JSON's escapes). */
function tomlKey(key: string): string {
  return /^[A-Za-z0-9_-]+$/.test(key) ? key : JSON.stringify(key);
}
