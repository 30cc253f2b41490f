/**
 * Tests that set up a workspace the way its owner would (`oxydra init`, then editing
 * .oxydra/agent.toml) trust it as its owner would with `oxydra trust --yes`, without paying for a
 * process per write: the same held keys the loader computes, recorded in the test HOME's
 * trust.json. Tests of untrusted workspaces simply do not call it.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import {
  AGENT_CONFIG_FILES,
  type ConfigLayer,
  configDirectories,
  decideWorkspaceTrust,
  defaultsLayer,
  parseTomlText,
  readTrustFile,
  trustFilePath,
  workspaceIdentity,
} from '@oxydra/config';
import { ConfigError } from '@oxydra/types';

export function trustWorkspace(workspace: string, env: NodeJS.ProcessEnv): void {
  try {
    recordTrust(workspace, env);
  } catch (error) {
    // A test writing a broken file on purpose: there is nothing to trust, the binary reports it.
    if (!(error instanceof ConfigError)) throw error;
  }
}

function recordTrust(workspace: string, env: NodeJS.ProcessEnv): void {
  const lower: ConfigLayer[] = [defaultsLayer()];
  const own: ConfigLayer[] = [];
  for (const directory of configDirectories({ cwd: workspace, env })) {
    for (const name of AGENT_CONFIG_FILES) {
      const path = join(directory.path, name);
      if (!existsSync(path)) continue;
      const layer = { source: path, values: parseTomlText(readFileSync(path, 'utf8'), path) };
      (directory.scope === 'workspace' ? own : lower).push(layer);
    }
  }
  const { report } = decideWorkspaceTrust(workspace, own, lower, 'this-run', env);
  const identity = workspaceIdentity(workspace);
  const file = readTrustFile(env);
  file.workspaces[identity.path] = {
    decision: 'trusted',
    owner: identity.owner,
    keys: report.keysHash,
    at: new Date().toISOString(),
  };
  const path = trustFilePath(env);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, JSON.stringify(file), { mode: 0o600 });
}
