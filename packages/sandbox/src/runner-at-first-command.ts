/**
 * The sandboxed runner for a detected tier, its code loaded with the first command: bubblewrap's
 * arguments, the warm sandbox, the egress proxy and the seccomp filter are for runs that run a
 * command, and most runs never do.
 */
import type { SandboxPolicy } from '@oxydra/types';
import { DEFAULT_MAX_CONCURRENT_COMMANDS, limitConcurrency } from './command-slots.js';
import type { EgressDecision } from './egress/proxy.js';
import type { CommandRunner } from './types.js';

export interface SandboxRunnerOptions {
  /** Bound read-write; commands run here unless the command's options say otherwise. */
  workspace: string;
  /** network = allowlist: told of every connection the egress proxy allows or refuses. */
  onEgress?: (decision: EgressDecision) => void;
  /** Told, once, at the first command, what this machine cannot confine (see BubblewrapRunnerOptions). */
  onWarning?: (message: string) => void;
  /** Commands running at once; more wait their turn ([tools.sandbox] max_concurrent_commands). */
  maxConcurrent?: number;
}

export function runnerAtFirstCommand(
  tier: 'bubblewrap' | 'sandbox_exec',
  policy: SandboxPolicy,
  options: SandboxRunnerOptions,
): CommandRunner {
  let runner: Promise<CommandRunner> | undefined;
  const load = async (): Promise<CommandRunner> =>
    tier === 'bubblewrap'
      ? (await import('./runner.js')).createBubblewrapRunner(policy, options)
      : (await import('./seatbelt.js')).createSeatbeltRunner(policy, options);
  return limitConcurrency(async (command, run) => {
    runner ??= load().catch((error: unknown) => {
      runner = undefined; // a failed import is tried again by the next command
      throw error;
    });
    return (await runner)(command, run);
  }, options.maxConcurrent ?? DEFAULT_MAX_CONCURRENT_COMMANDS);
}
