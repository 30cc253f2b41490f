/**
 * Runner end-to-end settings: a runner.toml and users/<id>.toml in a CliSandbox workspace, and
 * the cleanup that guarantees no runner daemon or guest outlives a test.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CliSandbox } from './helpers.js';

export interface RunnerFiles {
  defaultTier?: 'process' | 'container' | 'micro_vm' | 'auto';
  users?: Record<string, string>;
  /** runner.toml's `restart` (default: the schema's, "never"). */
  restart?: 'never' | 'on_failure';
}

/** Writes .oxydra/runner.toml and one users/<id>.toml per user (default: alice, no options). */
export function writeRunnerConfig(sandbox: CliSandbox, files: RunnerFiles = {}): void {
  const users = files.users ?? { alice: '' };
  const registrations = Object.keys(users)
    .map((id) => `[users.${id}]\nconfig_path = "users/${id}.toml"\n`)
    .join('\n');
  sandbox.write(
    '.oxydra/runner.toml',
    `default_tier = "${files.defaultTier ?? 'process'}"\n${files.restart ? `restart = "${files.restart}"\n` : ''}\n${registrations}`,
  );
  for (const [id, text] of Object.entries(users)) sandbox.write(`.oxydra/users/${id}.toml`, text);
}

export function workspaceOf(sandbox: CliSandbox, user = 'alice'): string {
  return join(sandbox.workspace, '.oxydra/workspaces', user);
}

function pidIn(path: string): number | undefined {
  try {
    const pid = Number(readFileSync(path, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * After a test: `runner stop` for each user, then SIGKILL whatever is still alive among the
 * daemon and guest pids the test saw, so a failing test cannot leave a daemon running.
 */
export async function stopEverything(sandbox: CliSandbox, users: string[], pids: number[]): Promise<void> {
  for (const user of users) {
    const daemon = pidIn(join(workspaceOf(sandbox, user), 'ipc/runner.pid'));
    if (daemon !== undefined) pids.push(daemon);
    sandbox.run('runner', 'stop', '--user', user);
  }
  for (const pid of pids) {
    if (!alive(pid)) continue;
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // Not a group leader.
    }
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
}
