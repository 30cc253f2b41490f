/**
 * How a stdio server is started: inside the sandbox policy of [tools.sandbox] by default —
 * bubblewrap with the workspace writable and the rest of the system read-only, secrets folders
 * hidden, the network as configured, the seccomp filter and process limits — exactly the
 * mounts shell_exec commands get, plus the server's `read_paths`. When the sandbox should run
 * and cannot, the server is refused (fail closed) with the reason and the fix; it never falls
 * back to running as the user. `sandbox = false`, or [tools.sandbox] mode = "none", runs it
 * directly (said in its health line).
 *
 * Unlike a command, a server lives long and talks over its stdin/stdout, so bubblewrap is
 * started directly by the stdio transport (stdio-transport.ts: no warm slot, no pids cgroup;
 * the process limits come from prlimit). The server's variables reach it through bubblewrap's own
 * environment, never as `--setenv` arguments, which any local user could read in
 * /proc/<pid>/cmdline.
 *
 * The environment: every server gets PATH, the locale and TERM of Oxydra's and its own `env`.
 * A sandboxed one gets nothing else of the user's: HOME is the sandbox's private one (/tmp/home,
 * as for shell_exec commands, set by bwrapCommandArgs) and USER, LOGNAME and SHELL are not
 * passed unless its `env` gives them. An unsandboxed one, which runs as the user anyway, also
 * gets HOME and USER, and the MCP SDK's defaults (getDefaultEnvironment: LOGNAME, SHELL, ...).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { getDefaultEnvironment, type StdioServerParameters } from '@modelcontextprotocol/sdk/client/stdio.js';
import {
  abstractSocketScopePrefix,
  BWRAP,
  bwrapArgs,
  detectSandbox,
  EGRESS_MOUNT,
  type EgressDecision,
  type EgressSession,
  openEgressSession,
  prlimitPrefix,
  probeAbstractSocketScope,
  SYSTEM_ROOTS,
  sandboxIdentity,
  seccompProgram,
  setprivPrefix,
  sharesHostNetwork,
  workspaceAccessProblem,
} from '@oxydra/sandbox';
import type { AgentConfig, McpServerConfig, SandboxPolicy } from '@oxydra/types';

export type SandboxSettings = AgentConfig['tools']['sandbox'];

/** Variables every stdio server gets from Oxydra's environment besides its own `env`. */
export const SERVER_BASE_ENV = ['PATH', 'LANG', 'LC_ALL', 'TERM'] as const;
/** What an unsandboxed server, running as the user, gets of the user besides (see the file comment). */
const UNSANDBOXED_ENV = ['USER', 'HOME'] as const;
const FALLBACK_PATH = '/usr/local/bin:/usr/bin:/bin';

export interface StdioLaunchOptions {
  workspace: string;
  sandbox: SandboxSettings;
  /** More paths to hide inside the sandbox (secrets folders, the vault). */
  hidden?: readonly string[];
  /** Oxydra's environment (PATH and the locale are taken from it). */
  env: Readonly<Record<string, string | undefined>>;
  /** network = allowlist: told each connection the egress proxy allows or refuses (the audit chain). */
  onEgress?: (decision: EgressDecision) => void;
}

/** A way to start one server: the transport parameters, made again for each (re)connection. */
export interface StdioLaunch {
  /** "bubblewrap (...)" or "unsandboxed (...)": said in health and `oxydra mcp list`. */
  isolation: string;
  params(): Promise<StdioServerParameters>;
  close(): Promise<void>;
}

/** Thrown by planStdio when the server must not start: the sandbox is required and unavailable. */
export class SandboxRefusal extends Error {}

let seccompFile: string | null | undefined;

/** The seccomp program on disk (private directory, removed at exit), or undefined on an unknown CPU. */
function seccompProgramPath(): string | undefined {
  if (seccompFile === undefined) {
    const program = seccompProgram();
    if (program === undefined) {
      seccompFile = null;
    } else {
      const dir = mkdtempSync(path.join(tmpdir(), 'oxydra-mcp-seccomp-'));
      process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
      seccompFile = path.join(dir, 'filter.bpf');
      writeFileSync(seccompFile, program, { mode: 0o644 });
    }
  }
  return seccompFile ?? undefined;
}

/** The Node install the egress bridge needs, when it lies outside the system roots. */
function nodeInstallRoots(): string[] {
  const root = path.dirname(path.dirname(process.execPath));
  const covered =
    root === '/' || SYSTEM_ROOTS.some((system) => root === system || root.startsWith(`${system}/`));
  return covered ? [] : [root];
}

/** The server's environment, exactly: the stdio transport adds nothing to it. */
function serverEnv(
  server: McpServerConfig,
  env: StdioLaunchOptions['env'],
  sandboxed: boolean,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of [...SERVER_BASE_ENV, ...(sandboxed ? [] : UNSANDBOXED_ENV)]) {
    const value = env[key];
    if (value !== undefined) out[key] = value;
  }
  out.PATH ??= FALLBACK_PATH;
  return { ...(sandboxed ? {} : getDefaultEnvironment()), ...out, ...server.env };
}

const FIX_UNSANDBOXED =
  'or run this server without a sandbox deliberately: sandbox = false in its [mcp.servers] entry';

/**
 * The launch plan of a stdio server. Throws SandboxRefusal when the sandbox is required and
 * cannot start here (the message names the problem and the fix, and no secret).
 */
export function planStdio(server: McpServerConfig, options: StdioLaunchOptions): StdioLaunch {
  const command = server.command;
  if (command === undefined) throw new Error('not a stdio server');
  const workspace = path.resolve(options.workspace);
  const cwd = path.resolve(workspace, server.cwd ?? '.');
  const settings = options.sandbox;
  if (!server.sandbox || settings.mode === 'none') {
    const why = server.sandbox ? '[tools.sandbox] mode = "none"' : 'sandbox = false';
    const params: StdioServerParameters = {
      command,
      args: server.args,
      env: serverEnv(server, options.env, false),
      cwd,
      stderr: 'pipe',
    };
    return { isolation: `unsandboxed (${why})`, params: async () => params, close: async () => {} };
  }

  const identity = sandboxIdentity(workspace, settings.run_as);
  const detection = detectSandbox(BWRAP, identity);
  if (detection.tier !== 'bubblewrap') {
    const problem =
      detection.tier === 'sandbox_exec'
        ? 'stdio MCP servers are sandboxed with bubblewrap only (Linux); this machine has sandbox-exec'
        : `no working sandbox on this machine (${detection.degradation ?? 'none is available'})`;
    throw new SandboxRefusal(
      `refused to start unsandboxed: ${problem}. Fix: ${detection.fix ? `${detection.fix}, ` : ''}${FIX_UNSANDBOXED}`,
    );
  }
  const access = identity ? workspaceAccessProblem(identity, workspace) : undefined;
  if (access && !access.reach) {
    throw new SandboxRefusal(
      `refused to start: Oxydra runs as root, so the server runs as an ordinary user, and ${access.problem}. Fix: give that user access, set [tools.sandbox] run_as, or ${FIX_UNSANDBOXED}`,
    );
  }

  const policy: SandboxPolicy = {
    readableRoots: server.read_paths.map((p) => path.resolve(workspace, p)),
    writableRoots: [],
    deniedPaths: [...(options.hidden ?? [])],
    network:
      settings.network === 'on'
        ? { allowHosts: ['*'] }
        : settings.network === 'allowlist'
          ? { allowHosts: settings.allow_hosts }
          : 'off',
    // The server's variables travel in bwrap's own environment (see the file comment).
    envAllowlist: [],
    seccomp: settings.seccomp,
    limits: {
      processes: settings.max_processes,
      fileSizeMiB: settings.max_file_size_mib,
      ...(settings.max_memory_mib !== undefined ? { memoryMiB: settings.max_memory_mib } : {}),
      ...(settings.max_cpu_secs !== undefined ? { cpuSeconds: settings.max_cpu_secs } : {}),
    },
    tmpSizeMiB: settings.tmp_size_mib,
    ...(identity ? { identity } : {}),
  };
  const filter = settings.seccomp ? seccompProgramPath() : undefined;
  let egress: Promise<EgressSession> | undefined;
  const network =
    settings.network === 'allowlist'
      ? `network only to ${settings.allow_hosts.join(', ')}`
      : settings.network === 'on'
        ? 'host network'
        : 'no network';
  const isolation = `bubblewrap (workspace writable, ${network}${filter ? ', seccomp' : ''}${identity ? `, uid ${identity.uid}` : ''})`;

  return {
    isolation,
    async params() {
      if (settings.network === 'allowlist')
        egress ??= openEgressSession(settings.allow_hosts, options.onEgress, identity);
      const proxy = await egress;
      // Asked without blocking, once per process: abstractSocketScopePrefix then reads the answer.
      if (sharesHostNetwork(policy)) await probeAbstractSocketScope();
      const inner = [
        ...(proxy ? proxy.commandPrefix(process.execPath) : []),
        ...abstractSocketScopePrefix(sharesHostNetwork(policy)),
        ...prlimitPrefix(policy.limits),
        command,
        ...server.args,
      ];
      const args = withoutClearenv(
        bwrapArgs(policy, {
          workspace,
          cwd,
          command: inner,
          ...(options.env.HOME ? { home: options.env.HOME } : {}),
          ...(filter ? { seccompFd: 3 } : {}),
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
        }),
      );
      const argv = [...setprivPrefix(identity), BWRAP, ...args];
      // bwrap reads the seccomp program from fd 3: a shell opens it there and becomes bwrap.
      const [program, ...rest] = filter ? ['/bin/sh', '-c', 'exec "$@" 3<"$0"', filter, ...argv] : argv;
      return {
        command: program ?? BWRAP,
        args: rest,
        env: serverEnv(server, options.env, true),
        cwd: workspace,
        stderr: 'pipe',
      };
    },
    async close() {
      const proxy = egress;
      egress = undefined;
      if (proxy) await (await proxy).close();
    },
  };
}

/**
 * bwrapArgs clears the environment and passes the allowlisted variables as arguments; here the
 * environment bwrap is started with is already exactly the server's, so the clearing goes.
 */
function withoutClearenv(args: string[]): string[] {
  const end = args.indexOf('--');
  const at = args.indexOf('--clearenv');
  if (at < 0 || (end >= 0 && at > end)) throw new Error('unexpected bubblewrap arguments: no --clearenv');
  return [...args.slice(0, at), ...args.slice(at + 1)];
}
