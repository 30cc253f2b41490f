/**
 * A CommandRunner with runCommand's contract (exit code, head+tail output cap, timeout and abort
 * stop everything) that runs `/bin/sh -c command` inside bubblewrap. bwrap leads its own process
 * group, and the sandbox's pid 1 stays in it: SIGKILL to the group kills that pid 1, and the
 * kernel then kills every process of the pid namespace, whatever session or group it moved to.
 * When a pids cgroup holds the sandbox, the kill also goes through cgroup.kill, which needs no
 * process tree at all. --die-with-parent is the last guard, for a parent that is SIGKILLed.
 *
 * Each command gets a sandbox started ahead of time (see warm-sandbox.ts): bwrap waiting for its
 * last arguments, already in its pids cgroup. Moving a process into a cgroup waits out a kernel
 * RCU grace period, 10-15 ms here, which would otherwise be on every command's critical path.
 */
import { openSync } from 'node:fs';
import path from 'node:path';
import type { SandboxPolicy } from '@oxydra/types';
import {
  abstractSocketScopePrefix,
  hostNetworkDegradation,
  probeAbstractSocketScope,
} from './abstract-socket-scope.js';
import {
  type BwrapArgsOptions,
  bwrapCommandArgs,
  bwrapSandboxArgs,
  SYSTEM_ROOTS,
  sharesHostNetwork,
} from './args.js';
import { BWRAP } from './detect.js';
import type { EgressDecision } from './egress/proxy.js';
import { EGRESS_MOUNT, type EgressSession, openEgressSession } from './egress/session.js';
import { setprivPrefix } from './identity.js';
import { createPidsCgroup, inCgroup, prlimitPrefix } from './limits.js';
import { superviseProcessGroup } from './process-group.js';
import { seccompProgramFile } from './seccomp-file.js';
import type { CommandRunner } from './types.js';
import { ARGS_FD, dispatchArgs, type WarmSandbox, WarmSlot } from './warm-sandbox.js';

export interface BubblewrapRunnerOptions {
  /** Bound read-write; commands run here unless options.cwd says otherwise. */
  workspace: string;
  bwrapPath?: string;
  /** Whose ~/.ssh etc. are masked. Default: os.homedir(). */
  home?: string;
  /** network = allowlist: told of every connection the egress proxy allows or refuses. */
  onEgress?: (decision: EgressDecision) => void;
  /** How long a sandbox started ahead of time waits for a command before it is stopped. */
  warmIdleMs?: number;
  /**
   * Told, once, at the first command, what this machine cannot confine (network = "on" without
   * landlock's abstract-socket scope): found then, not when the runner is made.
   */
  onWarning?: (message: string) => void;
}

/**
 * The Node install the egress bridge runs with, bound read-only when it lies outside the system
 * roots (nvm, a CI toolcache). Never `/` itself (node in /bin): the system roots cover that.
 */
function nodeInstallRoots(): string[] {
  const root = path.dirname(path.dirname(process.execPath));
  const covered =
    root === '/' || SYSTEM_ROOTS.some((system) => root === system || root.startsWith(`${system}/`));
  return covered ? [] : [root];
}

/**
 * The shell bwrap starts: the command arrives in OXYDRA_COMMAND with the last arguments, and
 * runs exactly as `/bin/sh -c command`, with the variable gone from its environment.
 */
const COMMAND_SHELL = 'c=$OXYDRA_COMMAND; unset OXYDRA_COMMAND; exec /bin/sh -c "$c"';

export function createBubblewrapRunner(
  policy: SandboxPolicy,
  options: BubblewrapRunnerOptions,
): CommandRunner {
  const bwrap = options.bwrapPath ?? BWRAP;
  const allowHosts =
    policy.network === 'off' || sharesHostNetwork(policy) ? undefined : policy.network.allowHosts;
  // Written with the first command: a run that never starts one leaves no file to remove.
  const seccompFile = (): string | undefined => (policy.seccomp === false ? undefined : seccompProgramFile());
  // Started with the first command that needs it, then shared by all of them.
  let egress: Promise<EgressSession> | undefined;
  // On the host's network: whether abstract sockets can be scoped, asked (one perl) at the first
  // command; start() below then reads the answer without spawning.
  let scope: Promise<void> | undefined;
  const probeScope = async (): Promise<void> => {
    if (!sharesHostNetwork(policy) || (await probeAbstractSocketScope())) return;
    const warning = hostNetworkDegradation(true);
    if (warning !== undefined) options.onWarning?.(warning);
  };

  const egressArgs = (proxy: EgressSession | undefined): Pick<BwrapArgsOptions, 'egress'> =>
    proxy
      ? { egress: { dir: proxy.dir, mount: EGRESS_MOUNT, env: proxy.env, extraReadable: nodeInstallRoots() } }
      : {};
  const sandboxArgs = (proxy: EgressSession | undefined) =>
    bwrapSandboxArgs(policy, {
      workspace: options.workspace,
      ...(options.home === undefined ? {} : { home: options.home }),
      ...egressArgs(proxy),
    });

  /** A sandbox waiting for its command: bwrap blocked reading its last arguments from ARGS_FD. */
  const start = (proxy: EgressSession | undefined): WarmSandbox => {
    const processes = policy.limits?.processes;
    const cgroup = processes === undefined ? undefined : createPidsCgroup(processes);
    const args = sandboxArgs(proxy);
    const inner = [
      ...(proxy ? proxy.commandPrefix(process.execPath) : []),
      ...abstractSocketScopePrefix(sharesHostNetwork(policy)),
      ...prlimitPrefix(policy.limits),
      '/bin/sh',
      '-c',
      COMMAND_SHELL,
    ];
    // As root, bwrap starts as the sandbox's ordinary uid (after joining the cgroup as root).
    const argv = [
      ...setprivPrefix(policy.identity),
      bwrap,
      ...args,
      '--args',
      String(ARGS_FD),
      '--',
      ...inner,
    ];
    // bwrap reads the seccomp filter from fd 3 and its last arguments from fd 4.
    const seccomp = seccompFile();
    const filterFd = seccomp === undefined ? undefined : openSync(seccomp, 'r');
    return WarmSlot.start({
      argv: cgroup === undefined ? argv : inCgroup(cgroup, argv),
      filterFd,
      sandboxArgs: args,
      cleanup: async () => {
        // Not awaited: removing a cgroup can block for a kernel RCU grace period (10-20 ms
        // here), and the result does not depend on it. An exiting process removes what is left.
        void cgroup?.remove();
      },
      removeNow: () => cgroup?.removeNow(),
      ...(cgroup === undefined ? {} : { killAll: () => cgroup.killAll() }),
    });
  };

  const slot = new WarmSlot(options.warmIdleMs);
  return async (command, run) => {
    scope ??= probeScope();
    await scope;
    if (allowHosts !== undefined) egress ??= openEgressSession(allowHosts, options.onEgress, policy.identity);
    const proxy = await egress;
    // A sandbox started earlier is used only if the mounts it was given are still the ones this
    // command would get (a secrets folder created since must be masked).
    const sandbox = slot.take((warm) => sameArgs(warm.sandboxArgs, sandboxArgs(proxy))) ?? start(proxy);
    const last = [
      ...bwrapCommandArgs(policy, {
        workspace: options.workspace,
        cwd: run.cwd,
        env: run.env,
        ...egressArgs(proxy),
        ...(seccompFile() === undefined ? {} : { seccompFd: 3 }),
      }),
      '--setenv',
      'OXYDRA_COMMAND',
      command,
    ];
    try {
      dispatchArgs(sandbox, last);
    } catch (error) {
      sandbox.discard();
      throw error;
    }
    const result = await superviseProcessGroup(sandbox.child, run, sandbox.launch);
    // The next command's sandbox starts once this one is over, not while it runs: moving a
    // process into a cgroup holds a lock that stalls every fork and exec on the machine.
    slot.refill(() => start(proxy));
    return result;
  };
}

function sameArgs(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((arg, i) => arg === b[i]);
}
