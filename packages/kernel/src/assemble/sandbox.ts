/**
 * How shell_exec is isolated for a run: inside bubblewrap on Linux (the workspace writable, the
 * rest of the system read-only, secrets folders hidden, no network by default, a clean
 * environment, process limits), sandbox-exec on macOS, or, when asked for or unavailable, not
 * at all — said on every run. A runner guest's policy (applyPolicy, below) is applied over the
 * user's shell and sandbox settings before any of it is decided.
 */

import type { EgressDecision } from '@oxydra/sandbox';
import {
  BWRAP,
  type CommandRunner,
  detectSandbox,
  hostNetworkDegradation,
  processLimitEnforced,
  runnerAtFirstCommand,
  type SandboxIdentity,
  sandboxIdentity,
  seccompSupported,
  workspaceAccessFix,
  workspaceAccessProblem,
} from '@oxydra/sandbox/detect';
import { BASE_ENV_KEYS } from '@oxydra/tools';
import { type AgentConfig, type SandboxPolicy, UsageError } from '@oxydra/types';

export interface ShellIsolation {
  tier: 'bubblewrap' | 'sandbox_exec' | 'none';
  /** One line for start-up banners and `oxydra doctor`: the tier, the network, the limits. */
  summary: string;
  /** The sandboxed runner; undefined runs commands directly (only with mode = "none"). */
  runCommand?: CommandRunner;
  /**
   * Set when commands must not run at all: no working sandbox and nobody chose to go without
   * one. shell_exec answers every call with this (it names the fix); nothing runs on the host.
   */
  refusal?: string;
  /** Printed at the start of every run when commands are unsandboxed, refused or limited. */
  warning?: string;
  /**
   * The warning is about a standing condition of this machine and workspace (Oxydra runs as
   * root; the uid commands run as cannot write the workspace; no process limit): said once per
   * workspace (firstNotice), while `oxydra doctor` reports it every time.
   */
  standing?: boolean;
}

/**
 * What a sandboxed command gets of Oxydra's environment by default. Not USER: it names Oxydra's
 * user (root under sudo or in a container), while commands run as another uid (65534, the
 * workspace's owner); before, `echo $USER` said root to a command running as nobody. Listed in
 * [tools.shell] env_keys, it passes.
 */
const SANDBOX_BASE_ENV_KEYS = BASE_ENV_KEYS.filter((key) => key !== 'USER');

const NO_SANDBOX_CHOICE =
  'or run commands without a sandbox deliberately: --sandbox none, or [tools.sandbox] mode = "none"';

/**
 * `hidden`: more paths to mask inside the sandbox (the vault: readable only through vault_copyto).
 * `onEgress`: told each connection a sandboxed command asks for (the audit chain).
 * `onFirstCommandWarning`: a kernel's; told at the first command what only a probe there finds
 * (network = "on" without the abstract-socket scope costs a perl spawn to know, and most runs
 * run no command). Without it (`oxydra doctor`) the probe runs now and its warning is in `warning`.
 */
export function shellIsolation(
  config: AgentConfig,
  workspace: string,
  hidden: readonly string[] = [],
  onEgress: (decision: EgressDecision) => void = () => {},
  onFirstCommandWarning?: (message: string) => void,
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
  const identity = sandboxIdentity(workspace, config.tools.sandbox.run_as);
  const detection = detectSandbox(BWRAP, identity);
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
    // Fail closed: nobody may be watching (a gateway, a schedule), so no command runs unsandboxed
    // unless the user said so.
    const refusal = `shell_exec is unavailable: no working sandbox on this machine (${problem}). Fix: ${detection.fix ? `${detection.fix}, ` : ''}${NO_SANDBOX_CHOICE}`;
    return { tier: 'none', summary: `none (${problem}): shell_exec refused`, refusal, warning: refusal };
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
    envAllowlist: [...SANDBOX_BASE_ENV_KEYS, ...config.tools.shell.env_keys],
    seccomp,
    limits: {
      processes: max_processes,
      fileSizeMiB: config.tools.sandbox.max_file_size_mib,
      ...(max_memory_mib !== undefined ? { memoryMiB: max_memory_mib } : {}),
      ...(max_cpu_secs !== undefined ? { cpuSeconds: max_cpu_secs } : {}),
    },
    tmpSizeMiB: config.tools.sandbox.tmp_size_mib,
    ...(identity ? { identity } : {}),
  };
  if (detection.tier === 'sandbox_exec') {
    return {
      tier: 'sandbox_exec',
      runCommand: runnerAtFirstCommand('sandbox_exec', policy, {
        workspace,
        onEgress,
        maxConcurrent: config.tools.sandbox.max_concurrent_commands,
      }),
      summary: `sandbox-exec (macOS Seatbelt): workspace writable, secrets folders unreadable, clean env, ${networkSummary(config)}; process limits are not applied on macOS`,
    };
  }
  const access = identity ? workspaceAccessProblem(identity, workspace) : undefined;
  if (access && !access.reach) {
    const refusal = `shell_exec is unavailable: Oxydra runs as root, so commands run as an ordinary user, and ${access.problem}. Fix: ${workspaceAccessFix(access.closed, workspace)}`;
    return {
      tier: 'bubblewrap',
      summary: `bubblewrap: ${access.problem}: shell_exec refused`,
      refusal,
      warning: refusal,
    };
  }
  const runCommand = runnerAtFirstCommand('bubblewrap', policy, {
    workspace,
    onEgress,
    maxConcurrent: config.tools.sandbox.max_concurrent_commands,
    ...(onFirstCommandWarning ? { onWarning: onFirstCommandWarning } : {}),
  });
  const warnings = [
    ...(identity ? [] : rootWarning(config)),
    ...(access
      ? [
          `${access.problem}: commands can read it but not change it (Oxydra runs as root; run it as an ordinary user, chown the workspace to one, or set [tools.sandbox] run_as)`,
        ]
      : []),
  ];
  const degraded = processLimitDegradation(identity);
  if (degraded) warnings.push(degraded);
  const reachable = onFirstCommandWarning
    ? undefined
    : hostNetworkDegradation(network === 'on' || (network === 'allowlist' && allow_hosts.includes('*')));
  if (reachable) warnings.push(reachable);
  return {
    tier: 'bubblewrap',
    runCommand,
    summary: bubblewrapSummary(config, identity, access === undefined),
    ...(warnings.length > 0 ? { warning: warnings.join('; '), standing: true } : {}),
  };
}

/** Oxydra as root with run_as = "root": said on every run, since it is a deliberate weakening. */
function rootWarning(config: AgentConfig): string[] {
  if (process.geteuid?.() !== 0 || config.tools.sandbox.run_as !== 'root') return [];
  return [
    'commands run as host root inside the sandbox ([tools.sandbox] run_as = "root"): root-only files on the host are readable to them',
  ];
}

/** Who commands run as, for summaries: said only when it differs from Oxydra's own user. */
function identitySummary(identity: SandboxIdentity | undefined): string {
  return identity ? `, commands run as uid ${identity.uid}:${identity.gid} (Oxydra runs as root)` : '';
}

/** What the sandbox gives commands, in one line. */
function bubblewrapSummary(
  config: AgentConfig,
  identity?: SandboxIdentity,
  workspaceWritable = true,
): string {
  const { max_processes, max_memory_mib, max_cpu_secs, max_file_size_mib, tmp_size_mib } =
    config.tools.sandbox;
  const limits = [
    `≤ ${max_processes} processes`,
    `files ≤ ${max_file_size_mib} MiB`,
    `/tmp + /dev/shm ≤ ${tmp_size_mib} MiB`,
    ...(max_memory_mib !== undefined ? [`≤ ${max_memory_mib} MiB`] : []),
    ...(max_cpu_secs !== undefined ? [`≤ ${max_cpu_secs} s CPU`] : []),
  ];
  const filter = config.tools.sandbox.seccomp
    ? seccompSupported()
      ? ', seccomp filter'
      : ', NO seccomp filter (unsupported CPU architecture)'
    : ', seccomp off';
  const workspace = workspaceWritable ? 'workspace writable' : 'workspace read-only to commands';
  return `bubblewrap: ${workspace}, system read-only, secrets hidden, clean env${filter}, ${networkSummary(config)}, ${limits.join(', ')}${identitySummary(identity)}`;
}

function networkSummary(config: AgentConfig): string {
  const { network, allow_hosts } = config.tools.sandbox;
  if (network === 'allowlist') return `network only to ${allow_hosts.join(', ')} (egress proxy)`;
  return network === 'on' ? 'host network (unfiltered)' : 'no network';
}

/** Why max_processes is not enforced on this machine, or undefined when it is. */
function processLimitDegradation(identity?: SandboxIdentity): string | undefined {
  // RLIMIT_NPROC holds for the ordinary uid commands run as.
  if (identity !== undefined || processLimitEnforced()) return undefined;
  return 'max_processes is not enforced: no pids cgroup can be created here and root is exempt from RLIMIT_NPROC (run oxydra as an ordinary user, or delegate a cgroup to it)';
}

/**
 * A runner guest's policy, typed: what the runner decided about this user (shell or not, the OS
 * sandbox required or deliberately off, the vault, per-command limits) applied over the user's
 * own configuration. The runner hands these values to openKernel as they are; nothing is turned
 * into config strings and parsed back.
 */
export interface GuestPolicy {
  /** Whether the user has a shell at all: false registers no shell_exec. */
  shell: boolean;
  /** "required": the OS sandbox must work (the process tier); "none": the container is the sandbox, or --insecure. */
  sandbox: 'required' | 'none';
  /** The user's vault folder (read only through vault_copyto). */
  vaultPath?: string;
  /** Bounds on each sandboxed command. */
  maxProcesses?: number;
  maxMemoryMib?: number;
}

/** The configuration with the policy's values over the user's. */
export function applyPolicy(config: AgentConfig, policy: GuestPolicy | undefined): AgentConfig {
  if (!policy) return config;
  const { tools } = config;
  const sandbox = { ...tools.sandbox };
  if (policy.shell) {
    // Required is not "auto": a process-tier guest never silently runs commands bare.
    const tier = detectSandbox().tier;
    sandbox.mode = policy.sandbox === 'none' ? 'none' : tier === 'none' ? 'bubblewrap' : tier;
    if (policy.maxProcesses !== undefined) sandbox.max_processes = policy.maxProcesses;
    if (policy.maxMemoryMib !== undefined) sandbox.max_memory_mib = policy.maxMemoryMib;
  }
  return {
    ...config,
    tools: {
      ...tools,
      shell: { ...tools.shell, enabled: policy.shell },
      sandbox,
      ...(policy.vaultPath !== undefined ? { vault_path: policy.vaultPath } : {}),
    },
  };
}
