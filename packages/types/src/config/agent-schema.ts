/**
 * The agent configuration (`agent.toml` + `providers.toml`), after Oxydra's AgentConfig.
 * Keys are snake_case as in the TOML files. Objects are strict: an unknown key is an error
 * (the loader adds a "did you mean" hint). Defaults live here, so the schema is the single
 * source of truth for the README's configuration reference (a test checks the two agree).
 */
import { z } from 'zod';
import { PROVIDER_TYPES } from '../provider.js';

const positiveInt = z.int().positive();
const ratio = z.number().min(0).max(1);
const httpUrl = z.url({ protocol: /^https?$/ });

export const CONFIG_MAJOR_VERSION = 1;

export const configVersionSchema = z
  .string()
  .regex(/^\d+\.\d+\.\d+$/, 'must be a semantic version such as "1.0.0"')
  .refine((v) => Number(v.split('.')[0]) === CONFIG_MAJOR_VERSION, {
    message: `major version must be ${CONFIG_MAJOR_VERSION} (this Oxydra reads config_version 1.x.y)`,
  });

export const providerEntrySchema = z.strictObject({
  provider_type: z.enum(PROVIDER_TYPES),
  /** API base URL; OpenAI-type entries include the `/v1` path (e.g. http://localhost:11434/v1 for Ollama). */
  base_url: httpUrl.optional(),
  api_key: z.string().min(1).optional(),
  api_key_env: z.string().min(1).optional(),
  extra_headers: z.record(z.string(), z.string()).default({}),
  /** Catalog namespace to look models up in (e.g. "openai" for an OpenAI-compatible proxy). */
  catalog_provider: z.string().min(1).optional(),
  // Capability overrides, for models the catalog does not know.
  attachment: z.boolean().optional(),
  input_modalities: z.array(z.string()).optional(),
  reasoning: z.boolean().optional(),
  max_input_tokens: positiveInt.optional(),
  max_output_tokens: positiveInt.optional(),
  max_context_tokens: positiveInt.optional(),
});

const modelRefSchema = z.strictObject({
  provider: z.string().min(1),
  model: z.string().min(1),
});

export const selectionSchema = z.strictObject({
  provider: z.string().min(1).default('openai'),
  model: z.string().min(1).default('gpt-4o-mini'),
  /** Tried in order when the selected provider keeps failing after its retries. */
  fallbacks: z.array(modelRefSchema).default([]),
});

export const runtimeSchema = z.strictObject({
  turn_timeout_secs: positiveInt.default(60),
  max_turns: positiveInt.default(100),
  /** US dollars per run; unset means no dollar limit. */
  max_cost: z.number().positive().optional(),
  context_budget: z
    .strictObject({
      trigger_ratio: ratio.default(0.85),
      safety_buffer_tokens: z.int().nonnegative().default(1024),
      fallback_max_context_tokens: positiveInt.default(128_000),
    })
    .prefault({}),
  summarization: z
    .strictObject({
      target_ratio: ratio.default(0.5),
      min_turns: positiveInt.default(6),
    })
    .prefault({}),
});

export const EMBEDDING_BACKENDS = ['deterministic', 'openai', 'gemini', 'model2vec'] as const;

export const memorySchema = z.strictObject({
  enabled: z.boolean().default(true),
  db_path: z.string().min(1).default('.oxydra/memory.db'),
  remote_url: z.url({ protocol: /^(libsql|https?|wss?)$/ }).optional(),
  auth_token: z.string().min(1).optional(),
  embedding_backend: z.enum(EMBEDDING_BACKENDS).default('deterministic'),
  retrieval: z
    .strictObject({
      top_k: z.int().min(1).max(100).default(8),
      vector_weight: ratio.default(0.7),
      fts_weight: ratio.default(0.3),
    })
    .prefault({}),
});

export const reliabilitySchema = z.strictObject({
  max_attempts: z.int().min(1).max(20).default(3),
  backoff_base_ms: z.int().nonnegative().default(250),
  backoff_max_ms: z.int().nonnegative().default(2000),
  jitter: z.boolean().default(false),
  /** The longest server-requested retry-after Oxydra will honour. */
  retry_after_cap_ms: z.int().nonnegative().default(60_000),
  circuit_breaker_threshold: positiveInt.default(5),
  circuit_breaker_cooldown_secs: positiveInt.default(30),
});

export const catalogSchema = z.strictObject({
  skip_catalog_validation: z.boolean().default(false),
});

export const APPROVAL_MODES = ['auto', 'ask', 'deny'] as const;
export const SANDBOX_MODES = ['auto', 'bubblewrap', 'none'] as const;

export const toolsSchema = z.strictObject({
  /** How privileged tools (shell_exec) are approved. */
  approval: z.enum(APPROVAL_MODES).default('ask'),
  shell: z
    .strictObject({
      enabled: z.boolean().default(true),
      allow: z.array(z.string()).default(['*']),
      deny: z.array(z.string()).default([]),
      allow_operators: z.boolean().default(true),
      env_keys: z.array(z.string()).default([]),
      command_timeout_secs: positiveInt.default(60),
    })
    .prefault({}),
  web_search: z
    .strictObject({
      provider: z.enum(['duckduckgo', 'searxng']).default('duckduckgo'),
      base_url: httpUrl.optional(),
      egress_allowlist: z.array(z.string()).default([]),
    })
    .prefault({}),
  sandbox: z.strictObject({ mode: z.enum(SANDBOX_MODES).default('auto') }).prefault({}),
});

export const gatewaySchema = z.strictObject({
  bind: z.string().min(1).default('127.0.0.1:7700'),
  auth_token_env: z.string().min(1).optional(),
  max_sessions_per_user: positiveInt.default(50),
  max_concurrent_turns_per_user: positiveInt.default(10),
  session_idle_ttl_hours: positiveInt.default(48),
});

export const agentDefinitionSchema = z.strictObject({
  description: z.string().optional(),
  system_prompt: z.string().optional(),
  system_prompt_file: z.string().min(1).optional(),
  selection: z
    .strictObject({ provider: z.string().min(1).optional(), model: z.string().min(1).optional() })
    .optional(),
  /** Allowlist of tool names this agent may use; unset means all. */
  tools: z.array(z.string().min(1)).optional(),
  max_turns: positiveInt.optional(),
  max_cost: z.number().positive().optional(),
});

const WEIGHT_EPSILON = 1e-6;

export const agentConfigSchema = z
  .strictObject({
    config_version: configVersionSchema.default('1.0.0'),
    selection: selectionSchema.prefault({}),
    providers: z
      .strictObject({ registry: z.record(z.string().min(1), providerEntrySchema).default({}) })
      .prefault({}),
    runtime: runtimeSchema.prefault({}),
    memory: memorySchema.prefault({}),
    reliability: reliabilitySchema.prefault({}),
    catalog: catalogSchema.prefault({}),
    tools: toolsSchema.prefault({}),
    gateway: gatewaySchema.prefault({}),
    agents: z.record(z.string().min(1), agentDefinitionSchema).default({}),
  })
  .superRefine((config, ctx) => {
    const registry = config.providers.registry;
    const known = Object.keys(registry).join(', ') || '(none)';
    const checkProvider = (name: string | undefined, path: (string | number)[]) => {
      if (name !== undefined && !(name in registry)) {
        ctx.addIssue({
          code: 'custom',
          path,
          input: name,
          message: `provider "${name}" is not in [providers.registry] (known: ${known})`,
        });
      }
    };
    checkProvider(config.selection.provider, ['selection', 'provider']);
    config.selection.fallbacks.forEach((fallback, i) => {
      checkProvider(fallback.provider, ['selection', 'fallbacks', i, 'provider']);
    });
    for (const [name, agent] of Object.entries(config.agents)) {
      checkProvider(agent.selection?.provider, ['agents', name, 'selection', 'provider']);
      if (agent.system_prompt !== undefined && agent.system_prompt_file !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['agents', name, 'system_prompt_file'],
          message: 'set system_prompt or system_prompt_file, not both',
        });
      }
    }
    const { retrieval } = config.memory;
    if (Math.abs(retrieval.vector_weight + retrieval.fts_weight - 1) > WEIGHT_EPSILON) {
      ctx.addIssue({
        code: 'custom',
        path: ['memory', 'retrieval', 'fts_weight'],
        input: retrieval.fts_weight,
        message: `vector_weight (${retrieval.vector_weight}) + fts_weight (${retrieval.fts_weight}) must sum to 1.0`,
      });
    }
    if (
      config.memory.enabled &&
      config.memory.remote_url !== undefined &&
      config.memory.auth_token === undefined
    ) {
      ctx.addIssue({
        code: 'custom',
        path: ['memory', 'auth_token'],
        message:
          'memory.remote_url is set, so memory.auth_token is required (the remote libSQL server needs it)',
      });
    }
    if (config.reliability.backoff_base_ms > config.reliability.backoff_max_ms) {
      ctx.addIssue({
        code: 'custom',
        path: ['reliability', 'backoff_base_ms'],
        input: config.reliability.backoff_base_ms,
        message: `backoff_base_ms (${config.reliability.backoff_base_ms}) must not exceed backoff_max_ms (${config.reliability.backoff_max_ms})`,
      });
    }
  });

export type AgentConfig = z.output<typeof agentConfigSchema>;
export type AgentConfigInput = z.input<typeof agentConfigSchema>;
export type ProviderEntry = z.output<typeof providerEntrySchema>;
export type AgentDefinition = z.output<typeof agentDefinitionSchema>;

/** Provider entries every installation has; user files add to them or override their fields. */
export const DEFAULT_PROVIDER_REGISTRY: Record<
  string,
  { provider_type: string; base_url: string; api_key_env: string }
> = {
  openai: { provider_type: 'openai', base_url: 'https://api.openai.com/v1', api_key_env: 'OPENAI_API_KEY' },
  anthropic: {
    provider_type: 'anthropic',
    base_url: 'https://api.anthropic.com',
    api_key_env: 'ANTHROPIC_API_KEY',
  },
  gemini: {
    provider_type: 'gemini',
    base_url: 'https://generativelanguage.googleapis.com',
    api_key_env: 'GEMINI_API_KEY',
  },
};
