/**
 * The macOS backend: `sandbox-exec -p PROFILE /bin/sh -c command`, with a Seatbelt (SBPL)
 * profile built from the same SandboxPolicy as bubblewrap's arguments. Deny by default; reads
 * allowed except the secrets folders (macOS tools read all over /System, /Library and the dyld
 * cache, so a read allowlist breaks ordinary commands); writes only to the workspace, the
 * private tmp dir and a few devices; no network unless the policy gives it: the host's as is,
 * or (allowlist) only the egress proxy's port on localhost.
 *
 * Not yet run on a Mac: the profile is unit-tested as text, and the runner shares the tested
 * process-group runner, but no macOS machine has executed it. `oxydra doctor` says so.
 */
import { rmSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import path from 'node:path';
import { parseHostPattern, type SandboxPolicy } from '@oxydra/types';
import { allowedEnv, defaultDeniedPaths, SANDBOX_HOME, sharesHostNetwork } from './args.js';
import { SANDBOX_EXEC } from './detect.js';
import { type EgressDecision, type EgressProxy, startEgressProxy } from './egress/proxy.js';
import { proxyEnv } from './egress/session.js';
import { homeGuardedPaths } from './home-guard.js';
import { runProcessGroup } from './process-group.js';
import { createSandboxTmpDir } from './temp-dirs.js';
import type { CommandRunner } from './types.js';

export interface SeatbeltProfileOptions {
  workspace: string;
  /** The command's private temp dir (HOME is `home` inside it). */
  tmpDir: string;
  home?: string;
  /** network = allowlist: the egress proxy's TCP port on 127.0.0.1, the only address reachable. */
  proxyPort?: number;
}

/** An SBPL string literal. */
function quote(text: string): string {
  return `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

export function seatbeltProfile(policy: SandboxPolicy, options: SeatbeltProfileOptions): string {
  const workspace = path.resolve(options.workspace);
  const denied = [
    ...defaultDeniedPaths(workspace, options.home),
    ...policy.deniedPaths.map((p) => path.resolve(p)),
  ];
  const writable = [
    workspace,
    path.resolve(options.tmpDir),
    ...policy.writableRoots.map((p) => path.resolve(p)),
  ];
  const lines = [
    '(version 1)',
    '(deny default)',
    '(allow process-exec process-fork)',
    // Signals only to processes of this sandbox: never to the user's other programs.
    '(allow signal (target same-sandbox))',
    '(allow sysctl-read)',
    '(allow mach-lookup)',
    '(allow ipc-posix-shm-read* ipc-posix-shm-write-data)',
    '(allow file-read*)',
    `(deny file-read* ${denied.map((p) => `(subpath ${quote(p)})`).join(' ')})`,
    `(allow file-write* ${writable.map((p) => `(subpath ${quote(p)})`).join(' ')} (literal "/dev/null") (literal "/dev/zero") (literal "/dev/dtracehelper"))`,
    // Denials after the allowance win: .oxydra stays read- and write-protected inside the workspace,
    // and a home folder inside it keeps its start-up files and hidden folders (home-guard.ts).
    `(deny file-write* ${[...denied, ...homeGuardedPaths(workspace, options.home ?? homedir())].map((p) => `(subpath ${quote(p)})`).join(' ')})`,
  ];
  if (sharesHostNetwork(policy)) {
    lines.push('(allow network*)');
  } else if (options.proxyPort !== undefined) {
    lines.push(`(allow network-outbound (remote ip ${quote(`localhost:${options.proxyPort}`)}))`);
  }
  return `${lines.join('\n')}\n`;
}

export interface SeatbeltRunnerOptions {
  workspace: string;
  home?: string;
  tmpRoot?: string;
  sandboxExecPath?: string;
  /** network = allowlist: told of every connection the egress proxy allows or refuses. */
  onEgress?: (decision: EgressDecision) => void;
}

/** The environment a command gets: the allowlisted variables, a private HOME and TMPDIR. */
export function sandboxEnv(
  policy: SandboxPolicy,
  offered: Readonly<Record<string, string | undefined>>,
  tmpDir: string,
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    ...allowedEnv(policy, offered),
    HOME: path.join(tmpDir, path.basename(SANDBOX_HOME)),
    TMPDIR: tmpDir,
    ...extra,
  };
}

export function createSeatbeltRunner(policy: SandboxPolicy, options: SeatbeltRunnerOptions): CommandRunner {
  const sandboxExec = options.sandboxExecPath ?? SANDBOX_EXEC;
  const allowHosts =
    policy.network === 'off' || sharesHostNetwork(policy) ? undefined : policy.network.allowHosts;
  // No network namespaces here: the proxy listens on a localhost port, the only one the profile opens.
  let egress: Promise<EgressProxy> | undefined;
  return async (command, run) => {
    if (allowHosts !== undefined) {
      egress ??= startEgressProxy({
        allow: allowHosts.map(parseHostPattern),
        ...(options.onEgress ? { onDecision: options.onEgress } : {}),
      });
    }
    const proxyPort = (await egress)?.port;
    const tmpDir = createSandboxTmpDir(options.tmpRoot ?? tmpdir());
    const profile = seatbeltProfile(policy, {
      workspace: options.workspace,
      tmpDir,
      ...(options.home === undefined ? {} : { home: options.home }),
      ...(proxyPort === undefined ? {} : { proxyPort }),
    });
    const proxy = proxyPort === undefined ? {} : proxyEnv(proxyPort);
    return runProcessGroup([sandboxExec, '-p', profile, '/bin/sh', '-c', command], run, {
      cwd: run.cwd,
      env: sandboxEnv(policy, run.env, tmpDir, proxy),
      cleanup: async () => rmSync(tmpDir, { recursive: true, force: true }),
      removeNow: () => rmSync(tmpDir, { recursive: true, force: true }),
    });
  };
}
