/**
 * How shell_exec is isolated for a run: inside bubblewrap on Linux (the workspace writable, the
 * rest of the system read-only, secrets folders hidden, no network by default, a clean
 * environment, process limits), sandbox-exec on macOS, or, when asked for or unavailable, not
 * at all — said on every run.
 */
import {
  type CommandRunner,
  createBubblewrapRunner,
  createSeatbeltRunner,
  detectSandbox,
  processLimitEnforced,
  seccompProgram,
} from '@oxydra/sandbox';
import { BASE_ENV_KEYS } from '@oxydra/tools';
import { type AgentConfig, type SandboxPolicy, UsageError } from '@oxydra/types';
import { egressAuditor } from './audit.js';

export interface ShellIsolation {
  tier: 'bubblewrap' | 'sandbox_exec' | 'none';
  /** One line for start-up banners and `oxydra doctor`: the tier, the network, the limits. */
  summary: string;
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
  const { mode, network, allow_hosts, seccomp, max_processes, max_memory_mib, max_cpu_secs } =
    config.tools.sandbox;
  if (mode === 'none') {
    return {
      tier: 'none',
      summary: 'none (sandbox off by configuration)',
      warning:
        'SANDBOX OFF ([tools.sandbox] mode = "none" or --sandbox none): shell_exec commands run with all of your user\'s access to files and network',
    };
  }
  const detection = detectSandbox();
  if (detection.tier === 'none' || (mode !== 'auto' && detection.tier !== mode)) {
    const problem =
      detection.tier === 'none'
        ? (detection.degradation ?? 'no sandbox is available')
        : `this machine has ${detection.tier}`;
    if (mode !== 'auto') {
      throw new UsageError(`[tools.sandbox] mode = "${mode}", but ${problem}`, {
        ...(detection.fix ? { hint: detection.fix } : {}),
      });
    }
    return {
      tier: 'none',
      summary: `none (${problem})`,
      warning: `no sandbox: ${problem}; shell_exec runs unsandboxed${detection.fix ? ` (fix: ${detection.fix})` : ''}`,
    };
  }
  const policy: SandboxPolicy = {
    readableRoots: [],
    writableRoots: [],
    deniedPaths: [...hidden],
    network:
      network === 'on'
        ? { allowHosts: ['*'] }
        : network === 'allowlist'
          ? { allowHosts: allow_hosts }
          : 'off',
    envAllowlist: [...BASE_ENV_KEYS, ...config.tools.shell.env_keys],
    seccomp,
    limits: {
      processes: max_processes,
      ...(max_memory_mib !== undefined ? { memoryMiB: max_memory_mib } : {}),
      ...(max_cpu_secs !== undefined ? { cpuSeconds: max_cpu_secs } : {}),
    },
  };
  if (detection.tier === 'sandbox_exec') {
    return {
      tier: 'sandbox_exec',
      runCommand: createSeatbeltRunner(policy, { workspace, onEgress: egressAuditor(workspace) }),
      summary: `sandbox-exec (macOS Seatbelt): workspace writable, secrets folders unreadable, clean env, ${networkSummary(config)}; process limits are not applied on macOS`,
    };
  }
  const runCommand = createBubblewrapRunner(policy, { workspace, onEgress: egressAuditor(workspace) });
  const degraded = processLimitDegradation();
  return {
    tier: 'bubblewrap',
    runCommand,
    summary: bubblewrapSummary(config),
    ...(degraded ? { warning: degraded } : {}),
  };
}

/** What the sandbox gives commands, in one line. */
export function bubblewrapSummary(config: AgentConfig): string {
  const { max_processes, max_memory_mib, max_cpu_secs } = config.tools.sandbox;
  const limits = [
    `≤ ${max_processes} processes`,
    ...(max_memory_mib !== undefined ? [`≤ ${max_memory_mib} MiB`] : []),
    ...(max_cpu_secs !== undefined ? [`≤ ${max_cpu_secs} s CPU`] : []),
  ];
  const filter = config.tools.sandbox.seccomp
    ? seccompProgram()
      ? ', seccomp filter'
      : ', NO seccomp filter (unsupported CPU architecture)'
    : ', seccomp off';
  return `bubblewrap: workspace writable, system read-only, secrets hidden, clean env${filter}, ${networkSummary(config)}, ${limits.join(', ')}`;
}

function networkSummary(config: AgentConfig): string {
  const { network, allow_hosts } = config.tools.sandbox;
  if (network === 'allowlist') return `network only to ${allow_hosts.join(', ')} (egress proxy)`;
  return network === 'on' ? 'host network (unfiltered)' : 'no network';
}

/** Why max_processes is not enforced on this machine, or undefined when it is. */
export function processLimitDegradation(): string | undefined {
  if (processLimitEnforced()) return undefined;
  return 'max_processes is not enforced: no pids cgroup can be created here and root is exempt from RLIMIT_NPROC (run oxydra as an ordinary user, or delegate a cgroup to it)';
}
