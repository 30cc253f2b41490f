/**
 * Which keys of a workspace's own `.oxydra/` need its owner's trust: every key that runs code,
 * routes a credential or the user's data to an address, weakens isolation, decides who may
 * connect, or raises a limit. A cloned repository (or anyone who can write the folder) wrote
 * that layer, so until the user trusts it those keys are held back; everything else (models,
 * prompts, agents, limits that only tighten) still applies. One list, one home: the loader,
 * `oxydra trust`, `doctor` and the dashboard all read what `holdUntrustedKeys` returns.
 */
import { isAbsolute, normalize } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { BUILTIN_CHANNEL_NAMES, isSecretKey, MASK, maskSecrets } from '@oxydra/types';
import { isPlainObject, type PlainObject } from './layers.js';

export interface HeldKey {
  /** Dotted key path, e.g. "providers.registry.openai.base_url". */
  key: string;
  /** The file that set it. */
  source: string;
  /** Why it needs trust, said to the user ("sends your API key to this address"). */
  why: string;
  /** The value as set in the file (shown masked where the key is a secret). */
  value: unknown;
  /**
   * Set when the key is not the workspace's but an item of your own configuration, held for
   * where it resolves or starts (in the workspace): said as yours, not as the workspace's.
   */
  yours?: { kind: 'plugin' | 'mcp-server'; name: string };
}

/** What a key's value is compared with: the value in force from the layers below the workspace. */
type Holds = (value: unknown, lower: unknown) => boolean;

interface TrustRule {
  /** Dotted pattern; `*` stands for any one key (a provider, server or agent name). */
  pattern: string;
  why: string;
  /** Held only when this says so; absent: always held once set. */
  holds?: Holds;
  /** Whether `holds` compares with the value in force below. */
  compares?: boolean;
  /** For limits: where the value in force below lives when not at the same path. */
  lowerAt?: (path: readonly string[]) => readonly string[];
}

const isNonEmpty: Holds = (value) =>
  !(isPlainObject(value) && Object.keys(value).length === 0) && !(Array.isArray(value) && value.length === 0);

/** A path the workspace may use: relative and staying inside it. */
const leavesWorkspace = (value: unknown): boolean =>
  typeof value === 'string' && (isAbsolute(value) || normalize(value).split(/[\\/]/)[0] === '..');

/** A persona or prompt file named by path (a bare persona name is looked up in persona folders). */
const pathLeavesWorkspace: Holds = (value) =>
  leavesWorkspace(value) || (typeof value === 'string' && value.startsWith('~'));

/**
 * A [taint] table that lets more through than the defaults: switched off, a rule or tool set to
 * "allow", operators named, a kind left out of `untrusted`, the path lists replaced, or recall
 * set back to "taint" over your own "exclude".
 */
const loosensTaint: Holds = (value, lower) => {
  if (!isPlainObject(value)) return false;
  // "exclude" below (your own file): recalling tainted text at all is the looser choice.
  const recallsMore =
    value.recall !== undefined &&
    value.recall !== 'exclude' &&
    isPlainObject(lower) &&
    lower.recall === 'exclude';
  const allows = (table: unknown) =>
    isPlainObject(table) && Object.values(table).some((action) => action === 'allow');
  return (
    value.enabled === false ||
    allows(value.rules) ||
    allows(value.tools) ||
    (Array.isArray(value.operators) && value.operators.length > 0) ||
    value.untrusted !== undefined ||
    value.write_paths !== undefined ||
    value.protected_paths !== undefined ||
    recallsMore
  );
};

/** A raised limit: a number above the one in force below (unset below = no limit: anything tightens). */
const raises: Holds = (value, lower) =>
  typeof value === 'number' && typeof lower === 'number' && value > lower;

/**
 * A `[channels.<platform>]` table that does more than switch the channel off: it starts a bot
 * answering chat messages with your agents, names the variable sent as its token (any of yours:
 * an API key), the server it goes to (`api_root`, `api_url`, the mail hosts) and who may talk
 * to it, as which kernel user (`senders`, `unknown_senders`).
 */
const opensChannel: Holds = (value) =>
  isPlainObject(value) && Object.entries(value).some(([key, v]) => !(key === 'enabled' && v === false));

const CHANNEL_WHY =
  'answers chat messages with your agents: sends the variable it names (any of yours) to the server it names, and decides who may talk to them';

/** An allow list with an entry the one in force below has not (none below: no list, nothing to widen). */
const widensList: Holds = (value, lower) =>
  Array.isArray(lower) && Array.isArray(value) && value.some((item) => !lower.includes(item));

/** A deny list without an entry of the one in force below. */
const dropsDenied: Holds = (value, lower) =>
  Array.isArray(lower) && Array.isArray(value) && lower.some((item) => !value.includes(item));

/** Switched back on where you switched it off. */
const turnsBackOn: Holds = (value, lower) => value === true && lower === false;

/** The network given back where you turned it off. */
const givesNetworkBack: Holds = (value, lower) => value === 'inherit' && lower === 'off';

/** An agent's own permission, compared with yours for that agent, else your [permissions]. */
function agentPermission(key: string, why: string, holds: Holds): TrustRule {
  return {
    pattern: `agents.*.permissions.${key}`,
    why,
    holds,
    compares: true,
    lowerAt: () => ['permissions', key],
  };
}

const TOOLS_WHY = 'lets agents use tools your own [permissions] leaves out';
const PATHS_WHY = 'lets agents touch paths your own [permissions] leaves out';

const LIMIT_WHY = 'raises a limit set by you or the defaults';

const LIMITS: readonly string[] = [
  'runtime.max_turns',
  'runtime.max_cost',
  'runtime.turn_timeout_secs',
  'runtime.max_delegation_depth',
  'tools.approval_timeout_secs',
  'tools.shell.command_timeout_secs',
  'tools.sandbox.max_processes',
  'tools.sandbox.max_memory_mib',
  'tools.sandbox.max_cpu_secs',
  'tools.sandbox.max_file_size_mib',
  'tools.sandbox.tmp_size_mib',
  'tools.sandbox.max_concurrent_commands',
  'tools.browser.idle_timeout_secs',
  'tools.browser.action_timeout_secs',
  'tools.browser.max_sessions',
  'tools.browser.max_heap_mib',
  'scheduler.max_concurrent',
  'scheduler.max_schedules_per_user',
  'scheduler.max_turns',
  'scheduler.max_cost',
  'scheduler.run_timeout_secs',
  'gateway.max_sessions_per_user',
  'gateway.max_concurrent_turns_per_user',
  'gateway.max_frame_bytes',
  'gateway.rate_limit_per_sec',
  'gateway.rate_limit_burst',
  'budgets.daily_usd',
  'budgets.monthly_usd',
  'budgets.tokens_per_window',
  'budgets.calls_per_window',
  'budgets.user_daily_usd',
  'budgets.user_monthly_usd',
  'budgets.agent_daily_usd',
  'budgets.agent_monthly_usd',
  'budgets.users.*.daily_usd',
  'budgets.users.*.monthly_usd',
  'budgets.users.*.tokens_per_window',
  'budgets.users.*.calls_per_window',
  'budgets.agents.*.daily_usd',
  'budgets.agents.*.monthly_usd',
  'budgets.agents.*.tokens_per_window',
  'budgets.agents.*.calls_per_window',
  'permissions.max_run_secs',
];

/**
 * The rules before the limits' (the order in which held keys are listed): made when first needed,
 * as the limits' are, so a run without a workspace layer calls no function of this module.
 */
const rulesBeforeLimits = (): readonly TrustRule[] => [
  { pattern: 'plugins.load', why: 'loads code into Oxydra', holds: isNonEmpty },
  {
    pattern: 'mcp.servers',
    why: 'starts programs, or connects to servers with your credentials',
    holds: isNonEmpty,
  },
  { pattern: 'providers.registry.*.base_url', why: 'sends your API key and prompts to this address' },
  { pattern: 'providers.registry.*.api_key', why: 'sends your prompts to an account you do not control' },
  { pattern: 'providers.registry.*.api_key_env', why: 'sends this environment variable to a model server' },
  { pattern: 'providers.registry.*.extra_headers', why: 'adds headers to model requests', holds: isNonEmpty },
  {
    pattern: 'providers.registry.*.free',
    why: 'prices its models at $0, so no dollar cap ever stops them',
    holds: (v) => v === true,
  },
  { pattern: 'tools.approval', why: 'runs privileged tools without asking', holds: (v) => v === 'auto' },
  // A cloned repository must not switch off the guard against the pages and answers it plants.
  {
    pattern: 'taint',
    why: 'loosens the prompt-injection guard ([taint])',
    holds: loosensTaint,
    compares: true,
  },
  {
    pattern: 'agents.*.taint',
    why: 'loosens the prompt-injection guard for this agent',
    holds: loosensTaint,
  },
  { pattern: 'tools.sandbox.mode', why: 'runs commands without the sandbox', holds: (v) => v === 'none' },
  { pattern: 'tools.sandbox.network', why: 'gives commands the network', holds: (v) => v !== 'off' },
  { pattern: 'tools.sandbox.allow_hosts', why: 'lets commands reach these hosts', holds: isNonEmpty },
  {
    pattern: 'tools.sandbox.seccomp',
    why: "turns off the sandbox's seccomp filter",
    holds: (v) => v === false,
  },
  { pattern: 'tools.sandbox.run_as', why: 'chooses the user commands run as', holds: (v) => v !== 'auto' },
  { pattern: 'tools.shell.env_keys', why: 'passes environment variables to commands', holds: isNonEmpty },
  {
    pattern: 'tools.web_search.egress_allowlist',
    why: 'lets the web tools reach private addresses',
    holds: isNonEmpty,
  },
  { pattern: 'tools.web_search.base_url', why: 'sends search queries to this server' },
  { pattern: 'tools.vault_path', why: 'exposes a folder through vault_copyto' },
  { pattern: 'tools.browser.executable', why: 'runs this program as the browser' },
  { pattern: 'tools.browser.no_sandbox', why: 'runs Chromium without its sandbox', holds: (v) => v === true },
  {
    pattern: 'tools.browser.run_as',
    why: 'chooses the user Chromium runs as',
    holds: (v) => v !== '65534:65534',
  },
  ...[...BUILTIN_CHANNEL_NAMES, 'plugin.*'].map(
    (name): TrustRule => ({ pattern: `channels.${name}`, why: CHANNEL_WHY, holds: opensChannel }),
  ),
  {
    pattern: 'scheduler.notify',
    why: "sends the scheduler's alerts to this chat through your bot",
  },
  { pattern: 'gateway.bind', why: 'decides who may connect to the gateway' },
  { pattern: 'gateway.auth_token_env', why: 'decides which variable is the gateway token' },
  {
    pattern: 'gateway.public_hosts',
    why: 'decides which host names the gateway answers to',
    holds: isNonEmpty,
  },
  { pattern: 'a2a.public_url', why: 'tells A2A clients where to send tasks and tokens' },
  { pattern: 'a2a.remotes', why: 'sends tasks (and tokens) to remote agents', holds: isNonEmpty },
  { pattern: 'otel.endpoint', why: 'sends traces to this address' },
  { pattern: 'otel.headers_env', why: 'sends this environment variable to the trace server' },
  { pattern: 'otel.capture_content', why: 'exports prompts and outputs', holds: (v) => v === true },
  { pattern: 'memory.remote_url', why: 'keeps sessions and notes on a remote server' },
  {
    pattern: 'store.backend',
    why: 'keeps sessions, notes and kernel state on a database server',
    holds: (v) => v !== 'libsql',
  },
  { pattern: 'store.url', why: 'keeps sessions, notes and kernel state on this server' },
  { pattern: 'store.url_env', why: 'sends this environment variable (a database URL) to a server' },
  { pattern: 'memory.auth_token', why: 'keeps sessions and notes on a remote server' },
  { pattern: 'memory.db_path', why: 'keeps memory outside this workspace', holds: leavesWorkspace },
  {
    pattern: 'memory.model2vec_model',
    why: 'downloads the embedding model from this address, or reads it from outside this workspace',
    holds: (v) =>
      pathLeavesWorkspace(v, undefined) || (typeof v === 'string' && /^https?:\/\//i.test(v.trim())),
  },
  {
    pattern: 'skills.dirs',
    why: 'reads skill files from folders outside this workspace',
    holds: (v) => Array.isArray(v) && v.some(pathLeavesWorkspace as (x: unknown) => boolean),
  },
  {
    pattern: 'agents.*.system_prompt_file',
    why: 'reads a file outside this workspace into the prompt',
    holds: pathLeavesWorkspace,
  },
  { pattern: 'agents.*.persona', why: 'reads a file outside this workspace', holds: pathLeavesWorkspace },
  { pattern: 'persona', why: 'reads a file outside this workspace', holds: pathLeavesWorkspace },
  {
    pattern: 'permissions.network',
    why: 'gives agents back the network you turned off',
    holds: givesNetworkBack,
    compares: true,
  },
  {
    pattern: 'permissions.can_delegate',
    why: 'lets agents delegate where you turned it off',
    holds: turnsBackOn,
    compares: true,
  },
  { pattern: 'permissions.allowed_tools', why: TOOLS_WHY, holds: widensList, compares: true },
  { pattern: 'permissions.allowed_paths', why: PATHS_WHY, holds: widensList, compares: true },
  agentPermission('allowed_tools', TOOLS_WHY, widensList),
  {
    pattern: 'agents.*.tools',
    why: 'lets your agent use tools its own list leaves out',
    holds: widensList,
    compares: true,
  },
  agentPermission('allowed_paths', PATHS_WHY, widensList),
  agentPermission('network', 'gives this agent back the network you turned off', givesNetworkBack),
  agentPermission('can_delegate', 'lets this agent delegate where you turned it off', turnsBackOn),
  {
    pattern: 'tools.shell.enabled',
    why: 'gives agents shell_exec, which you turned off',
    holds: turnsBackOn,
    compares: true,
  },
  {
    pattern: 'tools.shell.allow',
    why: 'allows commands your own [tools.shell] allow leaves out',
    holds: widensList,
    compares: true,
  },
  {
    pattern: 'tools.shell.deny',
    why: 'drops commands your own [tools.shell] deny refuses',
    holds: dropsDenied,
    compares: true,
  },
  {
    pattern: 'tools.shell.allow_operators',
    why: 'allows pipes, && and redirections you turned off',
    holds: turnsBackOn,
    compares: true,
  },
];

const rulesAfterLimits = (): readonly TrustRule[] => [
  agentPermission('max_run_secs', LIMIT_WHY, raises),
  {
    pattern: 'agents.*.max_turns',
    why: LIMIT_WHY,
    holds: raises,
    compares: true,
    lowerAt: () => ['runtime', 'max_turns'],
  },
  {
    pattern: 'agents.*.max_cost',
    why: LIMIT_WHY,
    holds: raises,
    compares: true,
    lowerAt: () => ['runtime', 'max_cost'],
  },
];

let trustRules: readonly TrustRule[] | undefined;

/**
 * All the rules, made at the first workspace layer to look through: a workspace without its own
 * `.oxydra/` configuration (most runs) never needs them.
 */
function rules(): readonly TrustRule[] {
  trustRules ??= [
    ...rulesBeforeLimits(),
    ...LIMITS.map((pattern): TrustRule => ({ pattern, why: LIMIT_WHY, holds: raises, compares: true })),
    ...rulesAfterLimits(),
  ];
  return trustRules;
}

export interface HoldResult {
  /** The layer's values without the held keys. */
  values: PlainObject;
  held: HeldKey[];
  /** Provider entries the workspace defined itself whose routing keys were held: dropped whole. */
  droppedProviders: string[];
}

/**
 * Take the held keys out of one workspace layer. `lowerAt` gives the value in force at a key path
 * from the layers below (defaults, /etc/oxydra, ~/.config/oxydra), for the limit rules and to
 * leave alone a value that changes nothing.
 */
export function holdUntrustedKeys(
  values: PlainObject,
  source: string,
  lowerAt: (path: readonly string[]) => unknown,
): HoldResult {
  const kept = structuredClone(values);
  const held: HeldKey[] = [];
  for (const rule of rules()) {
    for (const path of matchingPaths(kept, rule.pattern.split('.'))) {
      const value = valueAt(kept, path);
      if (value === undefined) continue;
      if (rule.holds && !rule.holds(value, rule.compares ? lowerInForce(rule, path, lowerAt) : undefined))
        continue;
      // The same value as the one in force below changes nothing: nothing to trust.
      if (isDeepStrictEqual(value, lowerAt(path))) continue;
      held.push({ key: path.join('.'), source, why: rule.why, value });
      deleteAt(kept, path);
    }
  }
  const droppedProviders = dropOrphanedProviders(kept, held, lowerAt);
  return { values: kept, held, droppedProviders };
}

/**
 * The value in force below a key: the one set at the same path (your own agent's), else, for a
 * rule with `lowerAt`, the one it falls back to (your [permissions], [runtime]).
 */
function lowerInForce(
  rule: TrustRule,
  path: readonly string[],
  lowerAt: (path: readonly string[]) => unknown,
): unknown {
  const same = lowerAt(path);
  return same !== undefined || !rule.lowerAt ? same : lowerAt(rule.lowerAt(path));
}

/**
 * A provider entry the workspace defined itself and whose address or key was held would fall
 * back to the default address of its type with your own key from the environment: a surprise
 * either way, so the whole entry goes, and choosing it says why.
 */
function dropOrphanedProviders(
  kept: PlainObject,
  held: readonly HeldKey[],
  lowerAt: (path: readonly string[]) => unknown,
): string[] {
  const registry = valueAt(kept, ['providers', 'registry']);
  if (!isPlainObject(registry) || !held.some((h) => h.key.startsWith('providers.registry.'))) return [];
  const lowerRegistry = lowerAt(['providers', 'registry']);
  const dropped: string[] = [];
  for (const name of Object.keys(registry)) {
    const lower = isPlainObject(lowerRegistry) ? lowerRegistry[name] : undefined;
    const entry = registry[name];
    // Redefined as another type (the built-in `local` runs GGUF files; a workspace's `local` is
    // often an OpenAI-compatible server): the entry is the workspace's own, not the built-in one.
    const ownEntry =
      !isPlainObject(lower) ||
      (isPlainObject(entry) &&
        entry.provider_type !== undefined &&
        entry.provider_type !== lower.provider_type);
    const routingHeld = held.some((h) => h.key.startsWith(`providers.registry.${name}.`));
    if (ownEntry && routingHeld) {
      delete registry[name];
      dropped.push(name);
    }
  }
  return dropped;
}

/**
 * The value as shown to users: secrets masked, long values cut. A held value can be a whole
 * table (an MCP server's env, a provider's extra_headers), so it is masked where it sits, its
 * parent key included: `Authorization` under extra_headers is a secret, at the top it is not.
 */
export function showHeldValue(held: HeldKey): string {
  const path = held.key.split('.');
  const last = path.at(-1) ?? '';
  if (isSecretKey(last)) return MASK;
  const parent = path.at(-2) ?? '';
  const masked = maskSecrets({ [parent]: { [last]: held.value } })[parent]?.[last];
  const text = JSON.stringify(masked) ?? String(masked);
  return text.length > 100 ? `${text.slice(0, 97)}...` : text;
}

function matchingPaths(values: unknown, pattern: readonly string[], prefix: string[] = []): string[][] {
  if (pattern.length === 0) return [prefix];
  if (!isPlainObject(values)) return [];
  const [head, ...rest] = pattern as [string, ...string[]];
  const keys = head === '*' ? Object.keys(values) : head in values ? [head] : [];
  return keys.flatMap((key) => matchingPaths(values[key], rest, [...prefix, key]));
}

function valueAt(values: unknown, path: readonly string[]): unknown {
  let current = values;
  for (const key of path) {
    if (!isPlainObject(current)) return undefined;
    current = current[key];
  }
  return current;
}

function deleteAt(values: PlainObject, path: readonly string[]): void {
  const parent = valueAt(values, path.slice(0, -1));
  if (isPlainObject(parent)) delete parent[path[path.length - 1]!];
}
