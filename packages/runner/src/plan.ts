/**
 * Everything a runner command needs to know about one user before it acts: the validated
 * configuration, the effective tier and capabilities, and where the user's folders are.
 * `start`, the daemon, `status`, `stop` and `logs` all begin here, so they agree.
 */
import { basename, dirname, isAbsolute, resolve } from 'node:path';
import { loadRunnerConfig } from '@oxydra/config/admin';
import type { IsolationTier, RunnerConfig, UserConfig } from '@oxydra/types';
import { autoTier } from './tiers/tier-report.js';
import { resolveRunnerUser } from './users.js';
import { type WorkspacePaths, workspacePaths } from './workspace.js';

export const DEFAULT_RUNNER_CONFIG = '.oxydra/runner.toml';

export interface RunnerPlan {
  configPath: string;
  /** The folder runner.toml belongs to: the parent of `.oxydra/`, or runner.toml's own folder. */
  projectDir: string;
  userId: string;
  runner: RunnerConfig;
  user: UserConfig;
  userConfigPath: string;
  /**
   * The tier the guest runs in: `process` whenever --insecure is given. For "auto", detected when
   * first read (podman alone takes about a second), so `stop`, `logs` and `tui` never detect.
   */
  readonly tier: IsolationTier;
  /** The tier the configuration asks for (differs from `tier` under --insecure, or when "auto"). */
  configuredTier: IsolationTier | 'auto';
  insecure: boolean;
  shellEnabled: boolean;
  browserEnabled: boolean;
  paths: WorkspacePaths;
  /** The user file's [mounts], resolved against the project folder. */
  mounts: { shared?: string; tmp?: string; vault?: string };
}

export interface PlanRequest {
  configPath?: string;
  user?: string;
  insecure?: boolean;
  cwd?: string;
  /** The environment `default_tier = "auto"` detects the tiers in (process.env by default). */
  env?: NodeJS.ProcessEnv;
}

export function projectDirOf(configPath: string): string {
  const dir = dirname(configPath);
  return basename(dir) === '.oxydra' ? dirname(dir) : dir;
}

export async function planRunner(request: PlanRequest): Promise<RunnerPlan> {
  const cwd = request.cwd ?? process.cwd();
  const configPath = resolve(cwd, request.configPath ?? DEFAULT_RUNNER_CONFIG);
  const loaded = await loadRunnerConfig(configPath);
  const userId = resolveRunnerUser(loaded, request.user);
  const { config: user, path: userConfigPath } = loaded.users[userId]!;
  const runner = loaded.runner;
  const projectDir = projectDirOf(configPath);
  const fromProject = (path: string) => (isAbsolute(path) ? path : resolve(projectDir, path));
  const configuredTier = user.behavior.sandbox_tier ?? runner.default_tier;
  const insecure = request.insecure ?? false;
  const mounts: RunnerPlan['mounts'] = {};
  for (const key of ['shared', 'tmp', 'vault'] as const) {
    const value = user.mounts?.[key];
    if (value !== undefined) mounts[key] = fromProject(value);
  }
  return {
    configPath,
    projectDir,
    userId,
    runner,
    user,
    userConfigPath,
    // A getter: a command that never reads the tier never detects (autoTier remembers its answer).
    get tier(): IsolationTier {
      if (insecure) return 'process';
      return configuredTier === 'auto' ? autoTier(request.env) : configuredTier;
    },
    configuredTier,
    insecure,
    // A user file can only switch a capability off; the operator's limits switch it off for all.
    shellEnabled: (user.behavior.shell_enabled ?? true) && runner.limits.shell_enabled,
    // No browser unless the user file asks for one (it needs a sidecar this build lacks).
    browserEnabled: user.behavior.browser_enabled === true && runner.limits.browser_enabled,
    paths: workspacePaths(fromProject(runner.workspace_root), userId),
    mounts,
  };
}
