/**
 * The plain facts of each wire API Oxydra speaks, in the lowest layer because the config schema
 * (built-in registry, the provider_type enum), the runner (which key variables a guest receives)
 * and OpenTelemetry (gen_ai.provider.name) need them without loading any adapter. @oxydra/provider's
 * WIRE_APIS adds the adapter to each row; every other per-type table is derived from these two.
 * Adding a wire API: a row here, a row in @oxydra/provider's ADAPTER_MODULES (wire-apis.ts), a row
 * in the testkit's API_BY_PROVIDER, and the adapter folder (CONTRIBUTING.md, "Add a wire API";
 * scripts/check-one-home.mjs fails when these facts are written out elsewhere).
 */

export interface WireFacts {
  /** The provider's own hosted API (an entry without base_url talks to it). */
  readonly defaultBaseUrl: string;
  /** The variable holding the key, tried only for the provider's own API. */
  readonly keyEnv: string;
  /** The models.dev provider id its models are priced under. */
  readonly catalogNamespace: string;
  /** gen_ai.provider.name in the OpenTelemetry conventions. */
  readonly genAiName: string;
  /**
   * The OpenAI-compatible wire: its base URL carries the version (`.../v1`), which local servers
   * (Ollama, llama.cpp, vLLM) speak too; a 404 there usually means the `/v1` is missing.
   */
  readonly versionedBaseUrl: boolean;
  /** Whether every installation has a registry entry of this name talking to the hosted API. */
  readonly builtInEntry: boolean;
}

const WIRE_FACTS_TABLE = {
  /** OpenAI Chat Completions (and any OpenAI-compatible server). */
  openai: {
    defaultBaseUrl: 'https://api.openai.com/v1',
    keyEnv: 'OPENAI_API_KEY',
    catalogNamespace: 'openai',
    genAiName: 'openai',
    versionedBaseUrl: true,
    builtInEntry: true,
  },
  /** OpenAI Responses, with previous_response_id chaining; the same models as Chat Completions. */
  openai_responses: {
    defaultBaseUrl: 'https://api.openai.com/v1',
    keyEnv: 'OPENAI_API_KEY',
    catalogNamespace: 'openai',
    genAiName: 'openai',
    versionedBaseUrl: true,
    builtInEntry: false,
  },
  /** Anthropic Messages. */
  anthropic: {
    defaultBaseUrl: 'https://api.anthropic.com',
    keyEnv: 'ANTHROPIC_API_KEY',
    catalogNamespace: 'anthropic',
    genAiName: 'anthropic',
    versionedBaseUrl: false,
    builtInEntry: true,
  },
  /** Google Gemini (streamGenerateContent). */
  gemini: {
    defaultBaseUrl: 'https://generativelanguage.googleapis.com',
    keyEnv: 'GEMINI_API_KEY',
    catalogNamespace: 'google',
    genAiName: 'gcp.gemini',
    versionedBaseUrl: false,
    builtInEntry: true,
  },
} as const satisfies Record<string, WireFacts>;

/** The wire APIs Oxydra speaks; any OpenAI-compatible server uses `openai`. */
export type ProviderType = keyof typeof WIRE_FACTS_TABLE;

export const WIRE_FACTS: Readonly<Record<ProviderType, WireFacts>> = WIRE_FACTS_TABLE;

export const PROVIDER_TYPES = Object.keys(WIRE_FACTS_TABLE) as readonly ProviderType[];

/** The last variable of the credential chain, shared by every provider's own API. */
export const GENERIC_KEY_ENV = 'API_KEY';

/** Every variable a provider's own API may take its key from (the types' variables, then API_KEY). */
export function providerKeyVariables(): string[] {
  return [...new Set([...PROVIDER_TYPES.map((type) => WIRE_FACTS[type].keyEnv), GENERIC_KEY_ENV])];
}
