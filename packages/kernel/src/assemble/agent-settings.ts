/**
 * What a run needs from the configuration: `[runtime]` limits, overridden by one
 * `[agents.<name>]` entry when an agent is named; and which parts of its system prompt the
 * workspace wrote (promptSources, below).
 */
import { homedir } from 'node:os';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { userConfigDirectory, workspaceConfigDirectory } from '@oxydra/config';
import { type AgentConfig, ConfigError, didYouMean, type Provenance } from '@oxydra/types';
import { isInside, readSmallFile, readSmallFileInside } from '@oxydra/types/fs';
import type { KernelBase } from './base.js';

export interface AgentSettings {
  /** The agent's own prompt: system_prompt, or the content of system_prompt_file. */
  systemPrompt?: string;
  /** Allowlist of tool names; undefined: all. */
  tools?: string[];
  maxTurns: number;
  maxCostUsd?: number;
  /** The setting maxCostUsd comes from, named in errors. */
  maxCostSource?: string;
  turnTimeoutMs: number;
  selection: { provider: string; model: string };
}

export interface AgentSettingsOptions {
  /** Where a relative system_prompt_file is found; the current directory (the workspace) by default. */
  baseDir?: string;
}

export function resolveAgentSettings(
  config: AgentConfig,
  agentName?: string,
  options: AgentSettingsOptions = {},
): AgentSettings {
  const { runtime } = config;
  const settings: AgentSettings = {
    maxTurns: runtime.max_turns,
    turnTimeoutMs: runtime.turn_timeout_secs * 1000,
    selection: { provider: config.selection.provider, model: config.selection.model },
  };
  if (runtime.max_cost !== undefined) {
    settings.maxCostUsd = runtime.max_cost;
    settings.maxCostSource = 'runtime.max_cost';
  }
  if (agentName === undefined) return settings;

  const agent = Object.hasOwn(config.agents, agentName) ? config.agents[agentName] : undefined;
  if (!agent) {
    const known = Object.keys(config.agents);
    throw new ConfigError(
      `unknown agent "${agentName}"${didYouMean(agentName, known)} (known: ${known.join(', ') || 'none; define one under [agents.<name>]'})`,
      { keyPath: 'agents' },
    );
  }
  if (agent.max_turns !== undefined) settings.maxTurns = agent.max_turns;
  if (agent.max_cost !== undefined) {
    settings.maxCostUsd = agent.max_cost;
    settings.maxCostSource = `agents.${agentName}.max_cost`;
  }
  if (agent.tools !== undefined) settings.tools = [...agent.tools];
  settings.selection = {
    provider: agent.selection?.provider ?? settings.selection.provider,
    model: agent.selection?.model ?? settings.selection.model,
  };
  if (agent.system_prompt !== undefined) settings.systemPrompt = agent.system_prompt;
  else if (agent.system_prompt_file !== undefined) {
    settings.systemPrompt = readPromptFile(
      agentName,
      agent.system_prompt_file,
      options.baseDir ?? process.cwd(),
    );
  }
  return settings;
}

/** A prompt file larger than this is refused (a real one is a few KiB; it is sent with every call). */
export const MAX_PROMPT_FILE_BYTES = 256 * 1024;

/** Where a system_prompt_file is: `~` expanded; a relative path (not `ownPath`) is the base directory's. */
function promptFilePath(file: string, baseDir: string): { expanded: string; ownPath: boolean; path: string } {
  const expanded = file === '~' || file.startsWith('~/') ? join(homedir(), file.slice(1)) : file;
  const ownPath = isAbsolute(expanded);
  return { expanded, ownPath, path: ownPath ? expanded : resolve(baseDir, expanded) };
}

/**
 * A relative path is the workspace's: its real path must stay inside it (a cloned repository's
 * `prompts/x.md` linked to `/proc/self/environ` sent the user's keys to the provider). An
 * absolute or `~` path is one the user wrote in their own file (the workspace's are held back
 * until trusted), so a link there is followed. Either way only a regular file of at most
 * MAX_PROMPT_FILE_BYTES is read: a FIFO hung the run, `/dev/zero` read until memory ran out.
 */
function readPromptFile(agentName: string, file: string, baseDir: string): string {
  const key = `agents.${agentName}.system_prompt_file`;
  const { expanded, ownPath, path } = promptFilePath(file, baseDir);
  const options = { maxBytes: MAX_PROMPT_FILE_BYTES };
  const read = ownPath
    ? readSmallFile(path, { ...options, followLinks: true })
    : readSmallFileInside(baseDir, expanded, options);
  if (read.ok) return read.bytes.toString('utf8');
  const hint =
    read.problem === 'missing'
      ? undefined
      : ownPath
        ? `make ${path} a regular file of at most ${MAX_PROMPT_FILE_BYTES / 1024} KiB`
        : `make ${file} a plain file of the workspace (a copy, not a link), at most ${MAX_PROMPT_FILE_BYTES / 1024} KiB`;
  throw new ConfigError(
    `${key}: cannot read ${path}: ${read.detail}`,
    { keyPath: key },
    hint ? { hint } : {},
  );
}

/**
 * Which parts of an agent's system prompt the workspace wrote (taint's `workspace_file`), so the
 * prompt marks them as its words, not the user's (the runtime's workspace-text.ts): an agent's
 * `system_prompt` set in the workspace's own `.oxydra/`, a `system_prompt_file` or persona file of
 * the workspace, the skills of its folders (skillProvenance). Workspace trust holds back what
 * would reach outside the workspace; what it lets through is still a cloned repository's words.
 * The user's own configuration, a prompt the caller gave (--system) and Oxydra's text are not.
 */
/** Where each of the prompt's parts came from, when that is the workspace. */
export interface PromptSources {
  agentPrompt?: Provenance;
  persona?: Provenance;
  /**
   * A skill folder's provenance as the prompt names it (relative to the workspace; absolute when
   * outside it), or undefined when the folder is the user's own (not marked).
   */
  skillFolder(from: Provenance): Provenance | undefined;
}

export function promptSources(
  base: Pick<KernelBase, 'workspace' | 'env' | 'config' | 'configSources'>,
  agentName: string | undefined,
  personaPath: string | undefined,
): PromptSources {
  const { workspace, config } = base;
  const located = { cwd: workspace, env: base.env };
  const userDir = userConfigDirectory(located);
  const configDir = workspaceConfigDirectory(located);
  const named = (path: string): Provenance => ({
    kind: 'workspace_file',
    source: isInside(workspace, path) ? relative(workspace, path) || '.' : path,
  });
  /** The workspace file `path` is; undefined outside the workspace or in the user's own folder there (a home workspace). */
  const fileOf = (path: string): Provenance | undefined =>
    isInside(workspace, path) && !isInside(userDir, path) ? named(path) : undefined;
  /** The workspace's `.oxydra/` file a key was set in, if it was. */
  const setIn = (key: string): string | undefined => {
    const source = base.configSources?.get(key);
    return source !== undefined && isInside(configDir, source) ? source : undefined;
  };

  const sources: PromptSources = {
    // A `[skills] dirs` folder outside the workspace is the workspace's only when its own
    // `.oxydra/` named it (and trust let that through): the user's own config naming one is the
    // user's choice of folder, as the user's skills folder is. Inside, a repository can write it.
    skillFolder: (from) => {
      if (from.source === undefined) return from;
      if (!isInside(workspace, from.source) && setIn('skills.dirs') === undefined) return undefined;
      return named(from.source);
    },
  };
  const agent =
    agentName !== undefined && Object.hasOwn(config.agents, agentName) ? config.agents[agentName] : undefined;
  if (agent?.system_prompt !== undefined) {
    const file = setIn(`agents.${agentName}.system_prompt`);
    if (file !== undefined) sources.agentPrompt = named(file);
  } else if (agent?.system_prompt_file !== undefined) {
    // A relative path is read in the workspace whoever wrote it; any path the workspace's own
    // config named is its. An absolute or `~` path of the user's own file is theirs (in a home
    // workspace, `~/prompts/me.md` is inside the workspace too).
    const { ownPath, path } = promptFilePath(agent.system_prompt_file, workspace);
    if (!ownPath || setIn(`agents.${agentName}.system_prompt_file`)) sources.agentPrompt = named(path);
  }
  const persona = personaPath === undefined ? undefined : fileOf(personaPath);
  if (persona) sources.persona = persona;
  return sources;
}
