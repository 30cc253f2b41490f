import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BWRAP, detectSandbox, sandboxIdentity } from '@oxydra/sandbox';
import type { StreamEvent } from '@oxydra/types';
import Database from 'libsql';
import { afterEach } from 'vitest';
import { trustWorkspace } from './trust-helpers.js';
import { shareWarmCaches } from './warm-caches.js';

export const OXYDRA_BIN = fileURLToPath(new URL('../bin/oxydra.js', import.meta.url));

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** The JSON lines of `oxydra run --json`'s output, as events (other lines left out). */
export function jsonEvents(stdout: string): StreamEvent[] {
  return stdout
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as StreamEvent);
}

export const IS_ROOT = process.geteuid?.() === 0;

/** Why bubblewrap cannot start here (for a skip with its reason), or undefined when it can. */
export function bubblewrapProblem(): string | undefined {
  const probe = mkdtempSync(join(tmpdir(), 'oxydra-bwrap-probe-'));
  try {
    if (IS_ROOT) chownSync(probe, 65534, 65534);
    const detection = detectSandbox(BWRAP, sandboxIdentity(probe, 'auto'));
    return detection.tier === 'bubblewrap'
      ? undefined
      : `bubblewrap cannot start here: ${detection.degradation}`;
  } finally {
    rmSync(probe, { recursive: true, force: true });
  }
}
/** Who owns test workspaces when the tests run as root: an ordinary uid ("nobody"). */
export const WORKSPACE_OWNER = { uid: 65534, gid: 65534 } as const;

/** Gives a file written by the test (and the folders created for it) to the workspace's owner. */
function giveToOwner(workspace: string, path: string, firstCreated: string | undefined): void {
  chownSync(path, WORKSPACE_OWNER.uid, WORKSPACE_OWNER.gid);
  if (firstCreated === undefined) return;
  for (let dir = dirname(path); dir.startsWith(firstCreated) && dir !== workspace; dir = dirname(dir))
    chownSync(dir, WORKSPACE_OWNER.uid, WORKSPACE_OWNER.gid);
}

/** A fresh machine for one test: its own HOME, system config dir and workspace (the cwd). */
export class CliSandbox {
  readonly root = mkdtempSync(join(tmpdir(), 'oxydra-cli-'));
  readonly home = join(this.root, 'home');
  readonly system = join(this.root, 'etc');
  readonly workspace = join(this.root, 'workspace');
  /** Only these variables reach the binary (plus PATH): nothing leaks from the developer's shell. */
  env: NodeJS.ProcessEnv;

  /**
   * `warm: false` gives a HOME with nothing in it: no local key and an empty code cache, for
   * tests that need a key of their own or look at the cache. Otherwise the HOME shares the run's
   * key and compiled code (warm-caches.ts), so the binary starts as it does on a used machine.
   */
  constructor(env: NodeJS.ProcessEnv = {}, options: { warm?: boolean } = {}) {
    for (const dir of [this.home, this.system, this.workspace]) mkdirSync(dir, { recursive: true });
    if (options.warm !== false) shareWarmCaches(this.home);
    this.env = { PATH: process.env.PATH, HOME: this.home, OXYDRA_SYSTEM_CONFIG_DIR: this.system, ...env };
    // As a person's project is: the workspace belongs to an ordinary user. Under root (CI,
    // containers) Oxydra then runs sandboxed commands as that user, never as host root.
    if (IS_ROOT) {
      chmodSync(this.root, 0o755);
      chownSync(this.workspace, WORKSPACE_OWNER.uid, WORKSPACE_OWNER.gid);
    }
  }

  /**
   * Write a workspace file. The workspace's own config files are then trusted, as the owner of a
   * workspace they set up would (`oxydra trust`), unless `trust: false` (tests of untrusted ones).
   */
  write(relativePath: string, content: string, options: { trust?: boolean } = {}): string {
    const path = join(this.workspace, relativePath);
    const created = mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, content);
    if (IS_ROOT) giveToOwner(this.workspace, path, created);
    if (options.trust !== false && /^\.oxydra\/(agent|providers|runner)\.toml$/.test(relativePath)) {
      trustWorkspace(this.workspace, this.env);
    }
    return path;
  }

  run(...args: string[]): CliResult {
    return this.runWithin(20_000, ...args);
  }

  /** `run` with another bound, for commands that take longer (loading a local model). */
  runWithin(timeoutMs: number, ...args: string[]): CliResult {
    const result = spawnSync(process.execPath, [OXYDRA_BIN, ...args], {
      cwd: this.workspace,
      env: this.env,
      encoding: 'utf8',
      timeout: timeoutMs,
    });
    return { status: result.status, stdout: result.stdout, stderr: result.stderr };
  }

  cleanup(): void {
    // Retried: a daemon SIGKILLed a moment ago may still be finishing a write in the workspace
    // (seen once under CI load as ENOTEMPTY).
    rmSync(this.root, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 });
  }
}

/**
 * What each test of the calling file made, ended after it (an afterEach this registers): the
 * CliSandbox given to `sandbox()` is removed, then what `env()` was given (an AgentEnv) is
 * closed. Each returns what it is given, for the test to use.
 */
export function endedAfterEach(): {
  sandbox(made: CliSandbox): CliSandbox;
  env<E extends { close(): Promise<void> }>(made: E): E;
} {
  let sandbox: CliSandbox | undefined;
  let env: { close(): Promise<void> } | undefined;
  afterEach(async () => {
    sandbox?.cleanup();
    sandbox = undefined;
    await env?.close();
    env = undefined;
  });
  return {
    sandbox: (made) => {
      sandbox = made;
      return made;
    },
    env: (made) => {
      env = made;
      return made;
    },
  };
}

/** Runs `sql` on the workspace's `.oxydra/kernel.db` directly (a test changing it as an older Oxydra left it); a query's rows. */
export function onKernelDb(workspace: string, sql: string): unknown[][] {
  return onStateDb(workspace, 'kernel.db', sql);
}

/** Runs `sql` on a database of the workspace's `.oxydra/` directly; a query's rows (or a RETURNING's). */
export function onStateDb(workspace: string, file: 'kernel.db' | 'memory.db', sql: string): unknown[][] {
  const db = new Database(join(workspace, '.oxydra', file));
  try {
    const statement = db.prepare(sql);
    if (statement.reader) return statement.raw(true).all() as unknown[][];
    statement.run();
    return [];
  } finally {
    db.close();
  }
}

/** The workspace's audit entries (read from `.oxydra/kernel.db` directly), oldest first. */
export function auditEntries(
  workspace: string,
  type?: string,
): { seq: number; actor: string; resource: string; type: string; data: Record<string, unknown> }[] {
  const db = new Database(join(workspace, '.oxydra', 'kernel.db'), { readonly: true });
  try {
    const rows = db
      .prepare('SELECT seq, actor, resource, action_type, action FROM audit_log ORDER BY seq')
      .raw(true)
      .all() as [number, string, string, string, string][];
    return rows
      .map(([seq, actor, resource, actionType, action]) => ({
        seq,
        actor,
        resource,
        type: actionType,
        data: (JSON.parse(action) as { data: Record<string, unknown> }).data,
      }))
      .filter((entry) => type === undefined || entry.type === type);
  } finally {
    db.close();
  }
}
