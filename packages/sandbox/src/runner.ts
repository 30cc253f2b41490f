/**
 * A CommandRunner with runCommand's contract (exit code, head+tail output cap, timeout and abort
 * stop everything) that runs `/bin/sh -c command` inside bubblewrap. bwrap leads its own process
 * group, and the sandbox's pid 1 stays in it: SIGKILL to the group kills that pid 1, and the
 * kernel then kills every process of the pid namespace, whatever session or group it moved to.
 * When a pids cgroup holds the sandbox, the kill also goes through cgroup.kill, which needs no
 * process tree at all. --die-with-parent is the last guard, for a parent that is SIGKILLed.
 */
import { mkdirSync, mkdtempSync, openSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { SandboxPolicy } from '@oxydra/types';
import { bwrapArgs, SANDBOX_HOME, SYSTEM_ROOTS, sharesHostNetwork } from './args.js';
import type { EgressDecision } from './egress/proxy.js';
import { EGRESS_MOUNT, type EgressSession, openEgressSession } from './egress/session.js';
import { createPidsCgroup, inCgroup, prlimitPrefix } from './limits.js';
import { runProcessGroup } from './process-group.js';
import { seccompProgramFile } from './seccomp-file.js';
import type { CommandRunner } from './types.js';

export const BWRAP = '/usr/bin/bwrap';

export interface BubblewrapRunnerOptions {
  /** Bound read-write; commands run here unless options.cwd says otherwise. */
  workspace: string;
  bwrapPath?: string;
  /** Whose ~/.ssh etc. are masked. Default: os.homedir(). */
  home?: string;
  /** Where the per-command private /tmp is created on the host. Default: os.tmpdir(). */
  tmpRoot?: string;
  /** network = allowlist: told of every connection the egress proxy allows or refuses. */
  onEgress?: (decision: EgressDecision) => void;
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

export function createBubblewrapRunner(
  policy: SandboxPolicy,
  options: BubblewrapRunnerOptions,
): CommandRunner {
  const bwrap = options.bwrapPath ?? BWRAP;
  const allowHosts =
    policy.network === 'off' || sharesHostNetwork(policy) ? undefined : policy.network.allowHosts;
  const seccomp = policy.seccomp === false ? undefined : seccompProgramFile();
  // Started with the first command that needs it, then shared by all of them.
  let egress: Promise<EgressSession> | undefined;
  return async (command, run) => {
    if (allowHosts !== undefined) egress ??= openEgressSession(allowHosts, options.onEgress);
    const proxy = await egress;
    // A private /tmp (and HOME inside it) per command: nothing is shared between commands.
    const tmpDir = mkdtempSync(path.join(options.tmpRoot ?? tmpdir(), 'oxydra-sandbox-'));
    mkdirSync(path.join(tmpDir, path.basename(SANDBOX_HOME)));
    const processes = policy.limits?.processes;
    const cgroup = processes === undefined ? undefined : createPidsCgroup(processes);
    const inner = [
      ...(proxy ? proxy.commandPrefix(process.execPath) : []),
      ...prlimitPrefix(policy.limits),
      '/bin/sh',
      '-c',
      command,
    ];
    const args = bwrapArgs(policy, {
      workspace: options.workspace,
      tmpDir,
      command: inner,
      cwd: run.cwd,
      env: run.env,
      ...(options.home === undefined ? {} : { home: options.home }),
      ...(seccomp === undefined ? {} : { seccompFd: 3 }),
      ...(proxy
        ? {
            egress: {
              dir: proxy.dir,
              mount: EGRESS_MOUNT,
              env: proxy.env,
              extraReadable: nodeInstallRoots(),
            },
          }
        : {}),
    });
    const argv = cgroup === undefined ? [bwrap, ...args] : inCgroup(cgroup, [bwrap, ...args]);
    // bwrap reads the filter from fd 3, which the process-group runner hands over.
    const filterFd = seccomp === undefined ? undefined : openSync(seccomp, 'r');
    // bwrap (after the cgroup shell) leads the process group the runner kills; it needs no
    // cwd or environment of its own: --chdir and --setenv give the command its own.
    return runProcessGroup(argv, run, {
      cwd: '/',
      env: {},
      cleanup: async () => {
        rmSync(tmpDir, { recursive: true, force: true });
        await cgroup?.remove();
      },
      ...(cgroup === undefined ? {} : { killAll: () => cgroup.killAll() }),
      ...(filterFd === undefined ? {} : { extraFds: [filterFd] }),
    });
  };
}
