/**
 * `oxydra runner start|stop|status|logs|tui`: one user's guest behind a detached runner daemon,
 * driven through its control socket. `runner daemon` (hidden) is the daemon itself.
 */
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { isTrustApplied } from '@oxydra/config';
import {
  chooseBackend,
  containerName,
  currentGuestImageTag,
  logFilePath,
  planRunner,
  queryRunner,
  type RunnerPlan,
  refuseContainerOfAnotherProject,
  resolveGuestImage,
  runDaemonMain,
  spawnRunnerDaemon,
  stopRunner,
  tailLines,
  tierReport,
  waitUntilReady,
} from '@oxydra/runner';
import { ConfigError, UsageError, visibleLine } from '@oxydra/types';
import { EXIT_FAILURE, EXIT_OK } from '../exit-codes.js';
import { loadCliConfig } from '../run/load-config.js';
import { selfCommand } from '../run/self-command.js';
import { describeHealth, describeStopped, INSECURE_WARNING } from './runner-format.js';
import { connectTui } from './runner-tui.js';

export interface RunnerFlags {
  config?: string;
  user?: string;
  insecure?: boolean;
}

export interface RunnerStartFlags extends RunnerFlags {
  tui?: boolean;
  wait?: string;
}

const DEFAULT_WAIT_SECONDS = 30;

// The daemon and the guest are `oxydra` subcommands, run through this same oxydra.
export { selfCommand };

async function plan(flags: RunnerFlags): Promise<RunnerPlan> {
  await refuseUntrustedRunnerFile(flags.config);
  return planRunner({
    ...(flags.config !== undefined ? { configPath: flags.config } : {}),
    ...(flags.user !== undefined ? { user: flags.user } : {}),
    insecure: flags.insecure ?? false,
  });
}

function parseWait(raw: string | undefined): number {
  if (raw === undefined) return DEFAULT_WAIT_SECONDS * 1000;
  const seconds = Number(raw);
  if (!Number.isFinite(seconds) || seconds <= 0) {
    throw new UsageError(`--wait ${raw}: expected a number of seconds greater than 0`);
  }
  return seconds * 1000;
}

/**
 * A runner.toml in a workspace's own `.oxydra/` came with the folder: it mounts host folders into
 * guests and picks their isolation, so it is used only once the workspace is trusted.
 */
async function refuseUntrustedRunnerFile(configPath = '.oxydra/runner.toml'): Promise<void> {
  const path = resolve(configPath);
  const dir = dirname(path);
  if (basename(dir) !== '.oxydra' || basename(path) !== 'runner.toml') return;
  const { trust } = await loadCliConfig({ cwd: dirname(dir) });
  if (!trust.held.some((held) => held.key === 'runner.toml') || isTrustApplied(trust.state)) return;
  throw new ConfigError(
    `${path} is held back: ${dirname(dir)} is not trusted, and this file chooses the users, host folders and isolation of the runner's guests`,
    { source: path },
    { hint: `review and trust it with \`oxydra trust ${dirname(dir)}\`, or use --trust for this command` },
  );
}

/**
 * The last lines of a log file, indented, for a failure report. The guest writes these lines,
 * so their controls are written out (visibleLine): they must not drive the terminal.
 */
async function logExcerpt(path: string, lines = 15): Promise<string> {
  const tail = await tailLines(path, lines);
  if (!tail || tail.length === 0) return '';
  return `  last lines of ${path}:\n${tail.map((line) => `    ${visibleLine(line)}`).join('\n')}\n`;
}

export async function runRunnerStart(flags: RunnerStartFlags): Promise<number> {
  const waitMs = parseWait(flags.wait);
  const target = await plan(flags);
  // Oxydra's `runner --tui` is connect-only: it never starts a guest.
  if (flags.tui) return connectTui(target);
  if (target.insecure) process.stderr.write(`${INSECURE_WARNING}\n`);
  // A tier we cannot provide is refused here, before anything is started.
  const backend = chooseBackend({
    tier: target.tier,
    insecure: target.insecure,
    shellEnabled: target.shellEnabled,
  });
  const image =
    backend.kind === 'container' ? await resolveGuestImage(target, backend.engine, selfCommand()) : undefined;
  const state = await queryRunner(target);
  // Said here, before anything starts (the daemon's start checks again).
  if (backend.kind === 'container' && !state.running) {
    refuseContainerOfAnotherProject(
      backend.engine,
      containerName(target.userId, 'runtime'),
      target.userId,
      target.projectDir,
    );
  }
  if (state.running) {
    throw new UsageError(
      `a runner for user ${target.userId} is already running (pid ${state.health.runner_pid ?? '?'})`,
      {
        hint: `see it with \`oxydra runner status --user ${target.userId}\`, or stop it with \`oxydra runner stop --user ${target.userId}\``,
      },
    );
  }
  if (state.stalePidFile) await rm(target.paths.pidFile, { force: true });

  const userAgentToml = join(target.mounts.shared ?? target.paths.shared, '.oxydra', 'agent.toml');
  const projectAgentToml = join(target.projectDir, '.oxydra', 'agent.toml');
  if (!existsSync(userAgentToml) && existsSync(projectAgentToml)) {
    // The guest's workspace is the user's folder: the project's agent.toml is not one of its layers.
    process.stderr.write(
      `note: ${target.userId}'s guest reads its agent configuration from ${userAgentToml} (missing), ~/.config/oxydra and /etc/oxydra, not from ${projectAgentToml}\n`,
    );
  }
  // The daemon gets the image (and the engine) found here rather than looking again.
  const daemon = await spawnRunnerDaemon(target, selfCommand(), process.env, image);
  const outcome = await waitUntilReady(target, daemon, waitMs);
  if (!outcome.ready) {
    process.stderr.write(`error: the runner for user ${target.userId} did not start: ${outcome.problem}\n`);
    process.stderr.write(await logExcerpt(logFilePath(target.paths.logs, 'runtime', 'stderr')));
    process.stderr.write(await logExcerpt(logFilePath(target.paths.logs, 'daemon', 'stderr')));
    // Leave nothing half-started behind.
    await stopRunner(target).catch(() => undefined);
    return EXIT_FAILURE;
  }
  process.stdout.write(describeHealth(outcome.health!));
  return EXIT_OK;
}

export async function runRunnerStatus(flags: RunnerFlags & { json?: boolean }): Promise<number> {
  const target = await plan(flags);
  const state = await queryRunner(target);
  if (flags.json) {
    process.stdout.write(
      `${JSON.stringify(state.running ? { running: true, ...state.health } : { running: false, user_id: target.userId })}\n`,
    );
  } else if (state.running) {
    process.stdout.write(describeHealth(state.health));
  } else {
    process.stdout.write(describeStopped(target, false));
  }
  if (!flags.json) {
    // What this machine could run, so "why is it not the container tier" has an answer here.
    const tiers = await tierReport({ guestImage: () => currentGuestImageTag(selfCommand()) });
    const configured = target.configuredTier === 'auto' ? ` (default_tier "auto" picks ${target.tier})` : '';
    process.stdout.write(`  tiers on this machine${configured}:\n`);
    for (const tier of tiers) {
      const fix = !tier.works && tier.fix ? `; fix: ${tier.fix}` : '';
      process.stdout.write(`    ${tier.tier}: ${tier.works ? 'works' : 'no'}: ${tier.detail}${fix}\n`);
    }
  }
  return state.running && state.health.healthy ? EXIT_OK : EXIT_FAILURE;
}

export async function runRunnerStop(flags: RunnerFlags): Promise<number> {
  const target = await plan(flags);
  const outcome = await stopRunner(target);
  if (!outcome.wasRunning) {
    process.stdout.write(
      `runner for user ${target.userId}: not running${outcome.removedStalePidFile ? ' (removed a stale pid file)' : ''}\n`,
    );
    return EXIT_OK;
  }
  const note = outcome.status?.already_stopped ? ' (its guest had already exited)' : '';
  process.stdout.write(`runner for user ${target.userId}: stopped${note}\n`);
  return EXIT_OK;
}

export async function runRunnerTui(flags: RunnerFlags): Promise<number> {
  return connectTui(await plan(flags));
}

/** The hidden `oxydra runner daemon`: runs until the runner is stopped. */
export async function runRunnerDaemon(flags: RunnerFlags): Promise<number> {
  await refuseUntrustedRunnerFile(flags.config);
  await runDaemonMain({
    ...(flags.config !== undefined ? { configPath: flags.config } : {}),
    ...(flags.user !== undefined ? { user: flags.user } : {}),
    insecure: flags.insecure ?? false,
    selfCommand: selfCommand(),
  });
  return EXIT_OK;
}
