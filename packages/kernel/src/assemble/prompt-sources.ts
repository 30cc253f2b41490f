/**
 * Which parts of an agent's system prompt the workspace wrote (taint's `workspace_file`), so the
 * prompt marks them as its words, not the user's (the runtime's workspace-text.ts): an agent's
 * `system_prompt` set in the workspace's own `.oxydra/`, a `system_prompt_file` or persona file of
 * the workspace, the skills of its folders (skillProvenance). Workspace trust holds back what
 * would reach outside the workspace; what it lets through is still a cloned repository's words.
 * The user's own configuration, a prompt the caller gave (--system) and Oxydra's text are not.
 */
import { relative } from 'node:path';
import { userConfigDirectory, workspaceConfigDirectory } from '@oxydra/config';
import type { Provenance } from '@oxydra/types';
import { isInside } from '@oxydra/types/fs';
import { promptFilePath } from './agent-settings.js';
import type { KernelBase } from './base.js';

/** Where each of the prompt's parts came from, when that is the workspace. */
export interface PromptSources {
  agentPrompt?: Provenance;
  persona?: Provenance;
  /** A skill folder's provenance as the prompt names it (relative to the workspace). */
  skillFolder(from: Provenance): Provenance;
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
    skillFolder: (from) => (from.source === undefined ? from : named(from.source)),
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
