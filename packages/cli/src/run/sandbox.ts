/**
 * How shell_exec is isolated for a run: inside bubblewrap (the workspace writable, the rest of
 * the system read-only, secrets folders hidden, no network by default, a clean environment,
 * process limits), or, when asked for or unavailable, not at all — said on every run.
 */
import { type CommandRunner, createBubblewrapRunner, detectSandbox } from '@oxydra/sandbox';
import { BASE_ENV_KEYS } from '@oxydra/tools';
import { type AgentConfig, UsageError } from '@oxydra/types';

export interface ShellIsolation {
  tier: 'bubblewrap' | 'none';
  /** The sandboxed runner; undefined runs commands directly. */
  runCommand?: CommandRunner;
  /** Printed at the start of every run when commands are not sandboxed. */
  warning?: string;
}

/** `hidden`: more paths to mask inside the sandbox (the vault: readable only through vault_copyto). */
export function shellIsolation(
  config: AgentConfig,
  workspace: string,
  hidden: readonly string[] = [],
): ShellIsolation {
  const { mode, network, max_processes, max_memory_mib, max_cpu_secs } = config.tools.sandbox;
  if (mode === 'none') {
    return {
      tier: 'none',
      warning:
        'SANDBOX OFF ([tools.sandbox] mode = "none" or --sandbox none): shell_exec commands run with all of your user\'s access to files and network',
    };
  }
  const detection = detectSandbox();
  if (detection.tier !== 'bubblewrap') {
    const problem = detection.degradation ?? 'bubblewrap is unavailable';
    if (mode === 'bubblewrap') {
      throw new UsageError(`[tools.sandbox] mode = "bubblewrap", but ${problem}`, {
        ...(detection.fix ? { hint: detection.fix } : {}),
      });
    }
    return {
      tier: 'none',
      warning: `no sandbox: ${problem}; shell_exec runs unsandboxed${detection.fix ? ` (fix: ${detection.fix})` : ''}`,
    };
  }
  const runCommand = createBubblewrapRunner(
    {
      readableRoots: [],
      writableRoots: [],
      deniedPaths: [...hidden],
      network: network === 'on' ? { allowHosts: ['*'] } : 'off',
      envAllowlist: [...BASE_ENV_KEYS, ...config.tools.shell.env_keys],
      limits: {
        processes: max_processes,
        ...(max_memory_mib !== undefined ? { memoryMiB: max_memory_mib } : {}),
        ...(max_cpu_secs !== undefined ? { cpuSeconds: max_cpu_secs } : {}),
      },
    },
    { workspace },
  );
  return { tier: 'bubblewrap', runCommand };
}
