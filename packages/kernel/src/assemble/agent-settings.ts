/**
 * What a run needs from the configuration: `[runtime]` limits, overridden by one
 * `[agents.<name>]` entry when an agent is named.
 */
import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { type AgentConfig, ConfigError, didYouMean } from '@oxydra/types';
import { readSmallFile, readSmallFileInside } from '@oxydra/types/fs';

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
export function promptFilePath(
  file: string,
  baseDir: string,
): { expanded: string; ownPath: boolean; path: string } {
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
