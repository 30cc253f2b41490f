/**
 * The agent configuration (`agent.toml` + `providers.toml`), after Oxydra's AgentConfig.
 * Keys are snake_case as in the TOML files. Objects are strict: an unknown key is an error
 * (the loader adds a "did you mean" hint). Defaults and descriptions live here, so the schema
 * is the single source of the configuration reference in docs/configuration.md (a test keeps
 * them equal).
 */
import { z } from 'zod';
import { hostPatternProblem } from '../host-patterns.js';
import { httpUrl, once, positiveInt, ratio } from '../once.js';
import { PROVIDER_TYPES, type ProviderType } from '../provider.js';
import { didYouMean } from '../suggest.js';
import { builtInEntryName, WIRE_FACTS } from '../wire-facts.js';
import { a2aSchema } from './a2a-schema.js';
import { browserSchema } from './browser-schema.js';
import { gatewaySchema } from './gateway-schema.js';
import {
  agentPermissionsSchema,
  auditSchema,
  budgetsSchema,
  checkpointsSchema,
  permissionsSchema,
} from './kernel-schema.js';
import { mcpSchema } from './mcp-schema.js';
import { memorySchema } from './memory-schema.js';
import { otelSchema } from './otel-schema.js';
import { pluginsSchema } from './plugins-schema.js';
import { skillsSchema } from './skills-schema.js';
import { storeSchema } from './store-schema.js';
import { agentTaintSchema, taintSchema } from './taint-schema.js';
import { toolSandboxSchema } from './tool-sandbox-schema.js';

export { gatewaySchema } from './gateway-schema.js';

export const CONFIG_MAJOR_VERSION = 1;

export const configVersionSchema = once(() =>
  z
    .string()
    .regex(/^\d+\.\d+\.\d+$/, 'must be a semantic version such as "1.0.0"')
    .refine((v) => Number(v.split('.')[0]) === CONFIG_MAJOR_VERSION, {
      message: `major version must be ${CONFIG_MAJOR_VERSION} (this Oxydra reads config_version 1.x.y)`,
    }),
);

/**
 * The keys of a llama_cpp provider entry (a GGUF file run in this process by node-llama-cpp),
 * spread into providers.toml's entry schema: keys only llama_cpp entries read, how the model
 * file is loaded and run in this process.
 */
const localModelKeys = once(() => ({
  context_size: positiveInt()
    .optional()
    .describe(
      "llama_cpp: context window in tokens (default: as large as memory allows, up to the model's own)",
    ),
  gpu_layers: z
    .int()
    .min(0)
    .optional()
    .describe('llama_cpp: layers offloaded to the GPU; 0 runs on the CPU only (default: as many as fit)'),
  threads: positiveInt().optional().describe("llama_cpp: CPU threads (default: the CPU's performance cores)"),
  tool_choice: z
    .enum(['auto', 'required'])
    .optional()
    .describe(
      'llama_cpp: "required" makes the first answer to each user message a call of one of the offered tools, constrained by a JSON-schema grammar (for small models that never call tools on their own); default "auto": the model decides',
    ),
}));

export const providerEntrySchema = once(() =>
  z.strictObject({
    provider_type: z
      .enum(PROVIDER_TYPES)
      .describe(
        'wire API: openai (also any OpenAI-compatible server), openai_responses, anthropic, gemini, llama_cpp (a GGUF file run in process)',
      ),
    base_url: httpUrl()
      .optional()
      .describe('API base URL; OpenAI-type entries include /v1 (e.g. http://localhost:11434/v1 for Ollama)'),
    api_key: z
      .string()
      .min(1)
      .optional()
      .describe('the key itself; prefer api_key_env so no key sits in a file'),
    api_key_env: z.string().min(1).optional().describe('name of the environment variable holding the key'),
    extra_headers: z.record(z.string(), z.string()).default({}).describe('headers sent with every request'),
    catalog_provider: z
      .string()
      .min(1)
      .optional()
      .describe('model catalog namespace for this entry (e.g. "openai" for an OpenAI-compatible proxy)'),
    attachment: z.boolean().optional().describe('capability override: the model accepts attachments'),
    input_modalities: z
      .array(z.string())
      .optional()
      .describe('capability override: e.g. ["text", "image", "pdf"]'),
    reasoning: z.boolean().optional().describe('capability override: the model reasons'),
    max_input_tokens: positiveInt().optional().describe('capability override'),
    max_output_tokens: positiveInt().optional().describe('capability override'),
    max_context_tokens: positiveInt().optional().describe('capability override: context window'),
    free: z
      .boolean()
      .optional()
      .describe(
        'the models of this entry cost nothing (a local server): priced at $0, so dollar caps hold and costs read $0; turn and time caps still apply',
      ),
    ...localModelKeys(),
  }),
);

const modelRefSchema = once(() =>
  z.strictObject({
    provider: z.string().min(1),
    model: z.string().min(1),
  }),
);

export const selectionSchema = once(() =>
  z.strictObject({
    provider: z.string().min(1).default('openai').describe('a [providers.registry] entry'),
    model: z.string().min(1).default('gpt-4o-mini').describe('model id, checked against the model catalog'),
    fallbacks: z
      .array(modelRefSchema())
      .default([])
      .describe('[{ provider, model }] tried in order when the selection keeps failing after its retries'),
  }),
);

export const runtimeSchema = once(() =>
  z.strictObject({
    turn_timeout_secs: positiveInt()
      .default(60)
      .describe('limit for each provider call and each tool run, in seconds'),
    max_turns: positiveInt().default(100).describe('model calls per run'),
    max_delegation_depth: z
      .int()
      .min(0)
      .max(16)
      .default(3)
      .describe('how deep agents may delegate to agents (delegate_to_agent); 0: no delegation'),
    max_cost: z
      .number()
      .positive()
      .optional()
      .describe('US dollars per run, from catalog prices; unset: no limit'),
    context_budget: z
      .strictObject({
        trigger_ratio: ratio()
          .default(0.85)
          .describe('summarize when the context fills this share of the window'),
        safety_buffer_tokens: z.int().nonnegative().default(1024).describe('tokens kept free for the answer'),
        fallback_max_context_tokens: positiveInt()
          .default(128_000)
          .describe('window used when the catalog does not know the model'),
      })
      .prefault({}),
    summarization: z
      .strictObject({
        target_ratio: ratio().default(0.5).describe('condense history down to this share of the window'),
        min_turns: positiveInt().default(6).describe('unsummarized messages needed before summarizing'),
        provider: z
          .string()
          .min(1)
          .optional()
          .describe('registry entry that writes summaries (default: the selected one)'),
        model: z
          .string()
          .min(1)
          .optional()
          .describe('a cheaper model for summaries (default: the selected model)'),
      })
      .prefault({}),
  }),
);

export const reliabilitySchema = once(() =>
  z.strictObject({
    max_attempts: z.int().min(1).max(20).default(3).describe('attempts per call, the first included'),
    backoff_base_ms: z.int().nonnegative().default(250).describe('first retry delay; doubles each attempt'),
    backoff_max_ms: z.int().nonnegative().default(2000).describe('longest retry delay'),
    jitter: z.boolean().default(false).describe('randomise retry delays (full jitter)'),
    retry_after_cap_ms: z
      .int()
      .nonnegative()
      .default(60_000)
      .describe('longest server-requested retry-after honoured'),
    circuit_breaker_threshold: positiveInt()
      .default(5)
      .describe("consecutive failures that open a provider's breaker"),
    circuit_breaker_cooldown_secs: positiveInt()
      .default(30)
      .describe('seconds before an open breaker lets a trial call through'),
  }),
);

export const catalogSchema = once(() =>
  z.strictObject({
    skip_catalog_validation: z
      .boolean()
      .default(false)
      .describe('accept model ids the pinned catalog does not know'),
  }),
);

export { SANDBOX_MODES } from './tool-sandbox-schema.js';
export const APPROVAL_MODES = ['auto', 'ask', 'deny'] as const;

export const toolsSchema = once(() =>
  z.strictObject({
    approval: z
      .enum(APPROVAL_MODES)
      .default('ask')
      .describe(
        'privileged tools (shell_exec): run (auto), ask (denied when not interactive) or refuse (deny)',
      ),
    approval_timeout_secs: positiveInt()
      .default(300)
      .describe('how long an approval question waits for an answer before it counts as "deny"'),
    shell: z
      .strictObject({
        enabled: z.boolean().default(true).describe('register shell_exec'),
        allow: z
          .array(z.string())
          .default(['*'])
          .describe('command patterns allowed (* globs at either end)'),
        deny: z.array(z.string()).default([]).describe('command patterns refused, checked before allow'),
        allow_operators: z.boolean().default(true).describe('allow pipes, &&, ; and redirections'),
        env_keys: z.array(z.string()).default([]).describe('environment variables passed to commands'),
        command_timeout_secs: positiveInt().default(60).describe('limit per command'),
      })
      .prefault({}),
    web_search: z
      .strictObject({
        provider: z.enum(['duckduckgo', 'searxng']).default('duckduckgo').describe('search backend'),
        base_url: httpUrl().optional().describe('backend URL (e.g. your SearxNG)'),
        egress_allowlist: z
          .array(z.string())
          .default([])
          .describe('hosts the web tools may reach despite the SSRF guard'),
      })
      .prefault({}),
    browser: browserSchema().prefault({}),
    vault_path: z
      .string()
      .min(1)
      .optional()
      .describe(
        'a folder of secrets/documents readable only through vault_copyto (absolute, or relative to the workspace)',
      ),
    sandbox: toolSandboxSchema().prefault({}),
  }),
);

export const agentDefinitionSchema = once(() =>
  z.strictObject({
    description: z.string().optional().describe('what the agent is for (shown to delegating agents)'),
    system_prompt: z.string().optional().describe("the agent's system prompt"),
    system_prompt_file: z.string().min(1).optional().describe('or a file holding it'),
    selection: z
      .strictObject({
        provider: z.string().min(1).optional().describe('provider for this agent'),
        model: z.string().min(1).optional().describe('model for this agent'),
      })
      .optional(),
    tools: z.array(z.string().min(1)).optional().describe('allowlist of tool names; unset: all'),
    max_turns: positiveInt().optional().describe('overrides runtime.max_turns'),
    max_cost: z.number().positive().optional().describe('overrides runtime.max_cost'),
    permissions: agentPermissionsSchema().optional().describe('overrides [permissions] for this agent'),
    taint: agentTaintSchema().optional().describe('overrides [taint] for this agent'),
    persona: z
      .string()
      .min(1)
      .optional()
      .describe(
        'a persona name (`oxydra persona list`) or a character file (JSON or TOML) shaping the prompt',
      ),
  }),
);

const WEIGHT_EPSILON = 1e-6;

/**
 * The top-level sections of agent.toml, split around the two that only the gateway, `oxydra
 * channels` and `oxydra scheduler` read (`[scheduler]`, `[channels]`): their schemas are in
 * `@oxydra/types/config-full` (agent-full-schema.ts), so a configuration that names neither is
 * parsed without building them (issue 32's "a small core"). The full schema puts those two
 * between the head and the tail, in the order of the configuration reference. Each section's
 * schema is built at its first use: the loader parses only the sections a configuration names
 * (absent-sections.ts).
 */
const headSections = {
  config_version: once(() =>
    configVersionSchema().default('1.0.0').describe('config format version; major must be 1'),
  ),
  selection: once(() => selectionSchema().prefault({})),
  providers: once(() =>
    z.strictObject({ registry: z.record(z.string().min(1), providerEntrySchema()).default({}) }).prefault({}),
  ),
  runtime: once(() => runtimeSchema().prefault({})),
  memory: once(() => memorySchema().prefault({})),
  reliability: once(() => reliabilitySchema().prefault({})),
  catalog: once(() => catalogSchema().prefault({})),
  tools: once(() => toolsSchema().prefault({})),
  gateway: once(() => gatewaySchema().prefault({})),
  agents: once(() => z.record(z.string().min(1), agentDefinitionSchema()).default({})),
  audit: once(() => auditSchema().prefault({})),
  checkpoints: once(() => checkpointsSchema().prefault({})),
  budgets: once(() => budgetsSchema().prefault({})),
  permissions: once(() => permissionsSchema().prefault({})),
  taint: once(() => taintSchema().prefault({})),
  mcp: once(() => mcpSchema().prefault({})),
  plugins: once(() => pluginsSchema().prefault({})),
  a2a: once(() => a2aSchema().prefault({})),
};

const tailSections = {
  skills: once(() => skillsSchema().prefault({})),
  otel: once(() => otelSchema().prefault({})),
  store: once(() => storeSchema().prefault({})),
  persona: once(() =>
    z
      .string()
      .min(1)
      .optional()
      .describe(
        'persona of the default agent: a name (`oxydra persona list`) or a character file; unset: the active persona',
      ),
  ),
};

type Built<S> = { [K in keyof S]: S[K] extends () => infer T ? T : never };

/**
 * The full schema's shape: the core sections with `middle` (the full-only ones) between the head
 * and the tail, each key a getter that builds its section. zod reads a shape's getters at the
 * object's first parse or `.shape` (how it takes recursive schemas), so making the object builds
 * no section: `oxydra/kernel` exports the full schema, and its import builds nothing.
 */
export function agentConfigShape<M extends Record<string, () => z.ZodType>>(
  middle: M,
): Built<typeof headSections & M & typeof tailSections> {
  const shape = {};
  for (const [key, schema] of Object.entries({ ...headSections, ...middle, ...tailSections })) {
    Object.defineProperty(shape, key, { get: schema, enumerable: true, configurable: true });
  }
  return shape as Built<typeof headSections & M & typeof tailSections>;
}

/** The schema of each section but the full-only ones, by its key, built at its first use. */
export const CORE_SECTION_SCHEMAS: Readonly<Record<string, () => z.ZodType>> = {
  ...headSections,
  ...tailSections,
};

/** The sections whose schemas live in `@oxydra/types/config-full`, in their order. */
export const FULL_ONLY_SECTIONS = ['scheduler', 'channels'] as const;

/** Every top-level key of agent.toml, in the order of the full schema. */
export const AGENT_CONFIG_SECTIONS: readonly string[] = [
  ...Object.keys(headSections),
  ...FULL_ONLY_SECTIONS,
  ...Object.keys(tailSections),
];

/** What the core checks read of a configuration: every section but the full-only ones. */
type CoreConfig = z.output<z.ZodObject<Built<typeof headSections & typeof tailSections>>>;

/**
 * The checks across sections, in the order their issues are reported. `sectionChecks` runs the
 * full-only sections' own (the scheduler's notify target) at their place in that order, so the
 * full schema reports exactly what it reported before the split.
 */
export function checkAgentConfig(config: CoreConfig, ctx: z.RefinementCtx, sectionChecks?: () => void): void {
  const sandbox = config.tools.sandbox;
  sandbox.allow_hosts.forEach((raw, i) => {
    const problem = hostPatternProblem(raw);
    if (problem) {
      ctx.addIssue({
        code: 'custom',
        path: ['tools', 'sandbox', 'allow_hosts', i],
        input: raw,
        message: problem,
      });
    }
  });
  if (sandbox.network === 'allowlist' && sandbox.allow_hosts.length === 0) {
    ctx.addIssue({
      code: 'custom',
      path: ['tools', 'sandbox', 'allow_hosts'],
      input: sandbox.allow_hosts,
      message: 'network = "allowlist" needs at least one host in allow_hosts (or use network = "off")',
    });
  }
  if (sandbox.network !== 'allowlist' && sandbox.allow_hosts.length > 0) {
    ctx.addIssue({
      code: 'custom',
      path: ['tools', 'sandbox', 'network'],
      input: sandbox.network,
      message: `allow_hosts is set but network = "${sandbox.network}"; set network = "allowlist" to use it`,
    });
  }
  const registry = config.providers.registry;
  const known = Object.keys(registry).join(', ') || '(none)';
  const checkProvider = (name: string | undefined, path: (string | number)[]) => {
    if (name !== undefined && !(name in registry)) {
      ctx.addIssue({
        code: 'custom',
        path,
        input: name,
        message: `is not a provider of [providers.registry]${didYouMean(name, Object.keys(registry))} (known: ${known})`,
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
  sectionChecks?.();
  if (config.reliability.backoff_base_ms > config.reliability.backoff_max_ms) {
    ctx.addIssue({
      code: 'custom',
      path: ['reliability', 'backoff_base_ms'],
      input: config.reliability.backoff_base_ms,
      message: `backoff_base_ms (${config.reliability.backoff_base_ms}) must not exceed backoff_max_ms (${config.reliability.backoff_max_ms})`,
    });
  }
}

/**
 * Whether a configuration whose sections were parsed one by one passes the checks across them
 * (absent-sections.ts; the issues themselves come from the full schema's parse).
 */
export function passesCoreChecks(config: Readonly<Record<string, unknown>>): boolean {
  return coreChecks().safeParse(config).success;
}

const coreChecks = once(() =>
  z.custom<CoreConfig>().superRefine((config, ctx) => checkAgentConfig(config, ctx)),
);

/**
 * An object schema of the named core sections only: what environment and command-line
 * overrides that name only core sections are read against, without building the others.
 */
export function coreSectionsSchema(sections: readonly string[]): z.ZodType {
  return z.strictObject(Object.fromEntries(sections.map((key) => [key, CORE_SECTION_SCHEMAS[key]!()])));
}

export type ProviderEntry = z.output<ReturnType<typeof providerEntrySchema>>;
export type AgentDefinition = z.output<ReturnType<typeof agentDefinitionSchema>>;

/**
 * Provider entries every installation has; user files add to them or override their fields.
 * No api_key_env here: the provider type's variable (OPENAI_API_KEY...) is already in the
 * credential chain for the provider's own API, and an api_key_env is what lets a key go to a
 * custom base_url, which only the user may decide (see @oxydra/config credentials.ts).
 */
export const DEFAULT_PROVIDER_REGISTRY: Record<string, { provider_type: ProviderType; base_url?: string }> =
  Object.fromEntries(
    PROVIDER_TYPES.filter((type) => WIRE_FACTS[type].builtInEntry).map((type) => [
      builtInEntryName(type),
      // An in-process type has no URL: its entry is the type alone.
      WIRE_FACTS[type].defaultBaseUrl === ''
        ? { provider_type: type }
        : { provider_type: type, base_url: WIRE_FACTS[type].defaultBaseUrl },
    ]),
  );
