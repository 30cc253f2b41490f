/**
 * The plain facts of each wire API Oxydra speaks, in the lowest layer because the config schema
 * (built-in registry, the provider_type enum), the runner (which key variables a guest receives)
 * and OpenTelemetry (gen_ai.provider.name) need them without loading any adapter, and doctor's
 * probe asks each server for its models as its row's listModels says. @oxydra/provider's
 * WIRE_APIS adds the adapter to each row; every other per-type table is derived from these two.
 * Adding a wire API: a row here (its listModels included), a row in @oxydra/provider's
 * ADAPTER_MODULES (wire-apis.ts), a row in the testkit's API_BY_PROVIDER and a docs row; a new
 * wire adds its adapter folder and a testkit mock wire (its module, its WIRE_LIST entry and its
 * WIRE_CASES row). CONTRIBUTING.md, "Add a wire API", has the list; scripts/check-one-home.mjs
 * fails when these facts are written out elsewhere.
 */

interface WireFactsCommon {
  /**
   * The provider's own hosted API (an entry without base_url talks to it); empty for a model run
   * in process, which has no URL (so every entry of that type is a custom endpoint, sent no key).
   */
  readonly defaultBaseUrl: string;
  /** The variable holding the key, tried only for the provider's own API; empty when none. */
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
  /** The built-in entry's name when it is not the type's own (`local` for llama_cpp). */
  readonly builtInName?: string;
}

/**
 * A wire API's facts. A served one says how its server lists its models (doctor's probe); one
 * whose model runs inside this process from a file (no URL, no key) has no server to ask, so it
 * has no listing: the one fact says both.
 */
export type WireFacts = WireFactsCommon &
  (
    | { readonly inProcess: true; readonly listModels?: undefined }
    | { readonly inProcess?: false; readonly listModels: ModelListing }
  );

/** A wire API's model listing: `GET {base_url}{path}`, the key in `keyHeader`. */
export interface ModelListing {
  readonly path: string;
  readonly keyHeader: string;
  /** What the header holds before the key (`Bearer `). */
  readonly keyPrefix?: string;
  /** Headers the API wants on every call (Anthropic's version). */
  readonly headers?: Readonly<Record<string, string>>;
  /**
   * A wrong key is answered 400 with the reason API_KEY_INVALID in error.details (Google), not
   * 401/403: the body of a 400 is read to tell it from a bad request.
   */
  readonly keyRefusedWith400?: boolean;
}

const BEARER_MODELS = { path: '/models', keyHeader: 'authorization', keyPrefix: 'Bearer ' } as const;

const WIRE_FACTS_TABLE = {
  /** OpenAI Chat Completions (and any OpenAI-compatible server). */
  openai: {
    defaultBaseUrl: 'https://api.openai.com/v1',
    keyEnv: 'OPENAI_API_KEY',
    catalogNamespace: 'openai',
    genAiName: 'openai',
    versionedBaseUrl: true,
    builtInEntry: true,
    listModels: BEARER_MODELS,
  },
  /** OpenAI Responses, with previous_response_id chaining; the same models as Chat Completions. */
  openai_responses: {
    defaultBaseUrl: 'https://api.openai.com/v1',
    keyEnv: 'OPENAI_API_KEY',
    catalogNamespace: 'openai',
    genAiName: 'openai',
    versionedBaseUrl: true,
    builtInEntry: false,
    listModels: BEARER_MODELS,
  },
  /** Anthropic Messages. */
  anthropic: {
    defaultBaseUrl: 'https://api.anthropic.com',
    keyEnv: 'ANTHROPIC_API_KEY',
    catalogNamespace: 'anthropic',
    genAiName: 'anthropic',
    versionedBaseUrl: false,
    builtInEntry: true,
    listModels: {
      path: '/v1/models',
      keyHeader: 'x-api-key',
      headers: { 'anthropic-version': '2023-06-01' },
    },
  },
  /** Google Gemini (streamGenerateContent). */
  gemini: {
    defaultBaseUrl: 'https://generativelanguage.googleapis.com',
    keyEnv: 'GEMINI_API_KEY',
    catalogNamespace: 'google',
    genAiName: 'gcp.gemini',
    versionedBaseUrl: false,
    builtInEntry: true,
    listModels: { path: '/v1beta/models', keyHeader: 'x-goog-api-key', keyRefusedWith400: true },
  },
  /**
   * A GGUF model file run in this process by llama.cpp (the optional node-llama-cpp package): no
   * server, no key. Its models are files, which no catalog lists; the namespace is a placeholder
   * the pinned catalog holds (entries of a custom endpoint skip the catalog check anyway).
   */
  llama_cpp: {
    defaultBaseUrl: '',
    keyEnv: '',
    catalogNamespace: 'openai',
    genAiName: 'llama.cpp',
    versionedBaseUrl: false,
    builtInEntry: true,
    builtInName: 'local',
    inProcess: true,
  },
} as const satisfies Record<string, WireFacts>;

/** The wire APIs Oxydra speaks; any OpenAI-compatible server uses `openai`. */
export type ProviderType = keyof typeof WIRE_FACTS_TABLE;

export const WIRE_FACTS: Readonly<Record<ProviderType, WireFacts>> = WIRE_FACTS_TABLE;

export const PROVIDER_TYPES = Object.keys(WIRE_FACTS_TABLE) as readonly ProviderType[];

/** The name of a type's built-in registry entry (the type's own unless it says otherwise). */
export function builtInEntryName(type: ProviderType): string {
  const facts: WireFacts = WIRE_FACTS[type];
  return facts.builtInName ?? type;
}

/** The last variable of the credential chain, shared by every provider's own API. */
export const GENERIC_KEY_ENV = 'API_KEY';

/** Every variable a provider's own API may take its key from (the types' variables, then API_KEY). */
export function providerKeyVariables(): string[] {
  const variables = PROVIDER_TYPES.map((type) => WIRE_FACTS[type].keyEnv).filter((name) => name !== '');
  return [...new Set([...variables, GENERIC_KEY_ENV])];
}
