/**
 * Workspace trust, as the loader applies it: the workspace's own `.oxydra/` files are written by
 * whoever made the folder (a cloned repository, a colleague), so the keys trust-rules.ts names
 * apply only once the user trusts the workspace (`oxydra trust`, or `--trust` for one command).
 * Until then they are held back and reported; the rest of those files applies as usual.
 */
import { createHash } from 'node:crypto';
import { lstatSync, readFileSync, realpathSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { absentSectionValueAt, CORE_SECTION_SCHEMAS, ConfigError } from '@oxydra/types';
import { isInside, readSmallFile } from '@oxydra/types/fs';
import { writeFileAtomic } from './atomic-write.js';
import { type ConfigLayer, isPlainObject, mergeLayers, type PlainObject } from './layers.js';
import { userConfigDirectory } from './locations.js';
import { schemaAt } from './overrides.js';
import { workspacePluginsHeld } from './plugin-entry.js';
import { type HeldKey, holdUntrustedKeys } from './trust-rules.js';

export type TrustState =
  /** The workspace sets nothing that needs trust (or has no .oxydra/ of its own). */
  | 'not-needed'
  /** The user trusted it (`oxydra trust`) with exactly these keys. */
  | 'trusted'
  /** `--trust`: trusted for this one command. */
  | 'trusted-for-this-run'
  /** Never decided, or the keys (or the folder's owner) changed since: held back. */
  | 'untrusted'
  /** The user said no when asked: held back without asking again. */
  | 'declined';

export interface WorkspaceTrust {
  workspace: string;
  state: TrustState;
  /** Keys that need trust (held back unless the state is trusted), with their files. */
  held: HeldKey[];
  /** Provider entries the workspace defined whose address or key needs trust. */
  droppedProviders: string[];
  /** keysHash(held): what a trust decision is recorded for. */
  keysHash: string;
  /** True when the recorded decision was for other keys or another owner. */
  changed: boolean;
}

export function isTrustApplied(state: TrustState): boolean {
  return state !== 'untrusted' && state !== 'declined';
}

/** The workspace layers to merge (held keys removed unless trusted), and the report. */
export function decideWorkspaceTrust(
  workspace: string,
  workspaceLayers: readonly ConfigLayer[],
  lowerLayers: readonly ConfigLayer[],
  mode: 'recorded' | 'this-run',
  env: NodeJS.ProcessEnv,
): { layers: ConfigLayer[]; report: WorkspaceTrust } {
  const lowerValues = mergeLayers(lowerLayers).values;
  const lower = lowerLookup(lowerValues);

  const held: HeldKey[] = [];
  const droppedProviders: string[] = [];
  const keptLayers = workspaceLayers.map((layer) => {
    const result = holdUntrustedKeys(layer.values, layer.source, lower);
    held.push(...result.held);
    droppedProviders.push(...result.droppedProviders);
    return { ...layer, values: result.values };
  });
  held.push(...runnerFileHeld(workspace));
  // Your own files' values as written (no defaults: none loads a plugin or starts a server), so
  // no section's schema is built for these checks on every command.
  const own = (path: readonly string[]) => valueAt(lowerValues, path);
  const ownPlugins = workspacePluginsHeld(workspace, own(['plugins']));
  held.push(...ownPlugins.held);
  if (ownPlugins.disable) keptLayers.push(ownPlugins.disable);
  const ownServers = unsandboxedServersHeld(
    workspace,
    own(['mcp', 'servers']),
    own(['tools', 'sandbox', 'mode']) === 'none',
  );
  held.push(...ownServers.held);
  if (ownServers.disable) keptLayers.push(ownServers.disable);
  const report: WorkspaceTrust = {
    workspace,
    state: 'not-needed',
    held,
    droppedProviders,
    keysHash: keysHash(held),
    changed: false,
  };
  if (held.length === 0) return { layers: [...workspaceLayers], report };
  if (mode === 'this-run')
    return { layers: [...workspaceLayers], report: { ...report, state: 'trusted-for-this-run' } };
  const decision = recordedDecision(workspace, held, env);
  if (decision === 'trusted')
    return { layers: [...workspaceLayers], report: { ...report, state: 'trusted' } };
  return {
    layers: keptLayers,
    report: {
      ...report,
      state: decision === 'declined' ? 'declined' : 'untrusted',
      changed: decision === 'changed',
    },
  };
}

/**
 * The workspace's `.oxydra/runner.toml` decides the users, host folders and isolation tiers of
 * `oxydra runner`'s guests: it needs trust as a whole, keyed by a hash of its bytes. Read as the
 * runner reads it (a link followed: a clone's link to `../deploy/runner.toml` was not held, and
 * the runner used it untrusted) and never more than the runner would read (a 1.5 GB file was
 * read whole by every command); one it cannot read is held all the same.
 */
/** readTomlFile's cap: a larger runner.toml is refused by the runner too. */
const RUNNER_FILE_MAX_BYTES = 1024 * 1024;

function runnerFileHeld(workspace: string): HeldKey[] {
  const path = join(workspace, '.oxydra', RUNNER_FILE);
  const file = readSmallFile(path, { maxBytes: RUNNER_FILE_MAX_BYTES, followLinks: true });
  if (!file.ok && file.problem === 'missing') return [];
  return [
    {
      key: RUNNER_FILE,
      source: path,
      why: "chooses the runner's users, the host folders mounted into guests and their isolation",
      value: file.ok
        ? `sha256:${createHash('sha256').update(file.bytes).digest('hex')}`
        : `unreadable: ${file.detail}`,
    },
  ];
}

export const RUNNER_FILE = 'runner.toml';

const UNSANDBOXED_WHY =
  'starts a program of yours without the sandbox in this workspace\'s folder, where npx, node, python, deno or bun take code the folder holds (sandbox = false, or your [tools.sandbox] mode = "none")';

/**
 * A stdio MCP server of the user's own configuration with `sandbox = false` starts in the
 * workspace (its `cwd` defaults there) or from a path inside it: `npx` runs the folder's
 * node_modules/.bin first, `python -m` imports the folder's modules, `deno` and `bun` read its
 * config and preload files, a relative script is the folder's own. A cloned repository's code
 * then ran as the user on the first command that starts servers. Held back (not started) until
 * the workspace is trusted, as the workspace's own `[mcp.servers]` are; sandboxed servers start.
 * Your `[tools.sandbox] mode = "none"` runs every stdio server so: all of them are held then.
 */
function unsandboxedServersHeld(
  workspace: string,
  servers: unknown,
  noSandbox: boolean,
): { held: HeldKey[]; disable?: ConfigLayer } {
  if (!isPlainObject(servers)) return { held: [] };
  const root = realOrSpelled(workspace);
  const held: HeldKey[] = [];
  const disabled: PlainObject = {};
  for (const [name, server] of Object.entries(servers)) {
    if (!isPlainObject(server) || server.enabled === false) continue;
    if (server.sandbox !== false && !noSandbox) continue;
    if (typeof server.command !== 'string') continue;
    const cwd = realOrSpelled(resolve(workspace, typeof server.cwd === 'string' ? server.cwd : '.'));
    const program = server.command.includes('/') ? realOrSpelled(resolve(cwd, server.command)) : undefined;
    if (!isInside(root, cwd) && !(program && isInside(root, program))) continue;
    held.push({
      key: `mcp.servers.${name}.sandbox`,
      source: workspace,
      why: UNSANDBOXED_WHY,
      value: false,
      yours: { kind: 'mcp-server', name },
    });
    disabled[name] = { enabled: false };
  }
  if (held.length === 0) return { held };
  return { held, disable: { source: workspace, values: { mcp: { servers: disabled } } } };
}

function valueAt(values: PlainObject, path: readonly string[]): unknown {
  let current: unknown = values;
  for (const key of path) current = isPlainObject(current) ? current[key] : undefined;
  return current;
}

/** The real path, or the path as spelled when it does not exist (yet). */
function realOrSpelled(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

/**
 * The value in force below the workspace at a key path: what the files below set, else the
 * schema's default there. Looked up key by key rather than by validating the whole
 * configuration, so a trusted workspace's start-up does not pay for a second parse.
 */
function lowerLookup(merged: PlainObject): (path: readonly string[]) => unknown {
  return (path) => {
    const current = valueAt(merged, path);
    if (current !== undefined) return current;
    // Only the section's own schema is built (the loader builds no other); a full-only
    // section's ([scheduler]) defaults are read from their one home, so this lookup does not
    // build its schema.
    const section = path[0];
    if (section === undefined || !Object.hasOwn(CORE_SECTION_SCHEMAS, section))
      return absentSectionValueAt(path);
    const found = schemaAt(CORE_SECTION_SCHEMAS[section]!(), path.slice(1));
    if (!('schema' in found)) return undefined;
    const parsed = found.schema.safeParse(undefined);
    return parsed.success ? parsed.data : undefined;
  };
}

/** Choosing a provider entry the workspace defined but may not route yet: say why, and the way out. */
export function refuseHeldProviders(values: PlainObject, trust: WorkspaceTrust): void {
  if (isTrustApplied(trust.state) || trust.droppedProviders.length === 0) return;
  for (const name of referencedProviders(values)) {
    if (!trust.droppedProviders.includes(name)) continue;
    throw new ConfigError(
      `provider "${name}" is defined by ${trust.workspace}/.oxydra, which you have not trusted: its address or key would receive your prompts and credentials`,
      {
        source:
          trust.held.find((h) => h.key.startsWith(`providers.registry.${name}.`))?.source ?? trust.workspace,
      },
      {
        hint: `trust the workspace with \`oxydra trust ${trust.workspace}\` (or --trust for one command), or choose another provider with --provider`,
      },
    );
  }
}

function referencedProviders(values: PlainObject): string[] {
  const names: unknown[] = [];
  const selection = values.selection;
  if (isPlainObject(selection)) {
    names.push(selection.provider ?? 'openai');
    if (Array.isArray(selection.fallbacks)) {
      for (const fallback of selection.fallbacks) if (isPlainObject(fallback)) names.push(fallback.provider);
    }
  } else {
    names.push('openai');
  }
  const agents = values.agents;
  if (isPlainObject(agents)) {
    for (const agent of Object.values(agents)) {
      if (isPlainObject(agent) && isPlainObject(agent.selection)) names.push(agent.selection.provider);
    }
  }
  const memory = values.memory;
  if (isPlainObject(memory)) names.push(memory.embedding_provider);
  const runtime = values.runtime;
  if (isPlainObject(runtime) && isPlainObject(runtime.summarization))
    names.push(runtime.summarization.provider);
  return names.filter((n): n is string => typeof n === 'string');
}

/**
 * The user's trust decisions: `~/.config/oxydra/trust.json` (the user layer's folder, hidden
 * from commands and the file tools), one entry per workspace keyed by its real path, holding the
 * owner of its `.oxydra/` and a hash of the keys that needed trust when it was decided. A change
 * to those keys, another owner, or the folder moved elsewhere asks again; nothing in the
 * workspace itself can say it is trusted.
 */
export type TrustDecision = 'trusted' | 'declined';

export interface TrustEntry {
  decision: TrustDecision;
  /** uid owning the workspace's .oxydra/ when decided. */
  owner: number;
  /** keysHash() of the held keys when decided. */
  keys: string;
  /** ISO time of the decision. */
  at: string;
}

interface TrustFile {
  version: 1;
  workspaces: Record<string, TrustEntry>;
}

export function trustFilePath(env: NodeJS.ProcessEnv = process.env): string {
  return join(userConfigDirectory({ env, cwd: '/' }), 'trust.json');
}

/** One hash for the keys that need trust: their paths and values, in a fixed order. */
export function keysHash(held: readonly HeldKey[]): string {
  const pairs = held.map((h) => [h.key, h.value] as const).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return createHash('sha256').update(JSON.stringify(pairs)).digest('hex');
}

/** The identity a decision is keyed by: the workspace's real path and its .oxydra/'s owner. */
export function workspaceIdentity(workspace: string): { path: string; owner: number } {
  const path = realpathSync(workspace);
  let owner = -1;
  try {
    owner = lstatSync(join(path, '.oxydra')).uid;
  } catch {
    // no .oxydra/: nothing of the workspace's own is loaded, so the owner does not matter
  }
  return { path, owner };
}

export function readTrustFile(env: NodeJS.ProcessEnv = process.env): TrustFile {
  const path = trustFilePath(env);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { version: 1, workspaces: {} };
    throw new ConfigError(`${path}: cannot be read (${(error as NodeJS.ErrnoException).code})`, {
      source: path,
    });
  }
  try {
    const parsed = JSON.parse(text) as Partial<TrustFile>;
    if (parsed.version === 1 && parsed.workspaces && typeof parsed.workspaces === 'object') {
      return { version: 1, workspaces: parsed.workspaces };
    }
  } catch {
    // fall through to the error below
  }
  throw new ConfigError(
    `${path}: is not a trust record Oxydra wrote`,
    { source: path },
    { hint: `remove it and trust your workspaces again: rm ${path}` },
  );
}

/** The decision recorded for this workspace, if it still applies to these keys and this owner. */
export function recordedDecision(
  workspace: string,
  held: readonly HeldKey[],
  env: NodeJS.ProcessEnv = process.env,
): TrustDecision | 'changed' | undefined {
  const identity = workspaceIdentity(workspace);
  const entry = readTrustFile(env).workspaces[identity.path];
  if (!entry) return undefined;
  if (entry.owner !== identity.owner || entry.keys !== keysHash(held)) return 'changed';
  return entry.decision;
}

export async function recordDecision(
  workspace: string,
  held: readonly HeldKey[],
  decision: TrustDecision,
  env: NodeJS.ProcessEnv = process.env,
): Promise<void> {
  const identity = workspaceIdentity(workspace);
  const file = readTrustFile(env);
  file.workspaces[identity.path] = {
    decision,
    owner: identity.owner,
    keys: keysHash(held),
    at: new Date().toISOString(),
  };
  await writeFileAtomic(trustFilePath(env), `${JSON.stringify(file, null, 2)}\n`, { mode: 0o600 });
}

/** Forget the decision for a workspace; false when there was none. */
export async function forgetDecision(
  workspace: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<boolean> {
  const identity = workspaceIdentity(workspace);
  const file = readTrustFile(env);
  if (!(identity.path in file.workspaces)) return false;
  delete file.workspaces[identity.path];
  await writeFileAtomic(trustFilePath(env), `${JSON.stringify(file, null, 2)}\n`, { mode: 0o600 });
  return true;
}
