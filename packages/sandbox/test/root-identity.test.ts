/**
 * Never host root inside the sandbox, and no disk filled from it (issue: security hardening,
 * classes 1 and 7). As root, commands run as an ordinary host uid (bubblewrap is started through
 * setpriv), the kernel's global knobs under /proc are read-only for every user, /tmp is a
 * bounded tmpfs and every file a command writes is bounded by RLIMIT_FSIZE.
 */
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { SandboxPolicy } from '@oxydra/types';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  createBubblewrapRunner,
  NOBODY,
  sandboxIdentity,
  workspaceAccessFix,
  workspaceAccessProblem,
} from '../src/index.js';
import { type Fixture, fixture, HAS_BWRAP, policy } from './helpers.js';

const IS_ROOT = process.geteuid?.() === 0;

function chownTree(dir: string, uid: number, gid: number): void {
  chownSync(dir, uid, gid);
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) chownTree(full, uid, gid);
    else chownSync(full, uid, gid);
  }
}

async function run(f: Fixture, p: SandboxPolicy, command: string) {
  const runner = createBubblewrapRunner(p, { workspace: f.workspace, home: f.home });
  return runner(command, { cwd: f.workspace, env: { PATH: '/usr/bin:/bin' }, timeoutMs: 20_000 });
}

describe('sandboxIdentity: who commands run as when Oxydra is root', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'oxydra-identity-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('is nobody for a root-owned workspace, the owner for an ordinary user\'s, and unset for "root" or a non-root Oxydra', () => {
    const owner = statSync(dir);
    const expected = owner.uid === 0 ? { ...NOBODY } : { uid: owner.uid, gid: owner.gid };
    expect(sandboxIdentity(dir, 'auto', 0)).toEqual(expected);
    expect(sandboxIdentity(dir, '1234:5678', 0)).toEqual({ uid: 1234, gid: 5678 });
    expect(sandboxIdentity(dir, '1234', 0)).toEqual({ uid: 1234, gid: 1234 });
    expect(sandboxIdentity(dir, 'root', 0)).toBeUndefined();
    expect(sandboxIdentity(dir, 'auto', 1000)).toBeUndefined();
  });

  it.skipIf(!IS_ROOT)(
    'follows the workspace to its owner when that is an ordinary user (needs root to chown)',
    () => {
      chownSync(dir, 4242, 4343);
      expect(sandboxIdentity(dir, 'auto', 0)).toEqual({ uid: 4242, gid: 4343 });
    },
  );

  it.skipIf(!IS_ROOT)(
    "never takes the root group from a workspace an ordinary user owns with group 0 (a container's `chown 1000 /app`)",
    () => {
      chownSync(dir, 4242, 0);
      expect(sandboxIdentity(dir, 'auto', 0)).toEqual({ uid: 4242, gid: NOBODY.gid });
    },
  );

  /** A workspace `ws` inside a folder `closed` (mode 700) that a stranger's uid cannot search. */
  function closedTree() {
    const closed = path.join(dir, 'closed');
    const ws = path.join(closed, 'ws');
    mkdirSync(ws, { recursive: true });
    chmodSync(dir, 0o755);
    chmodSync(closed, 0o700);
    chmodSync(ws, 0o755);
    return { closed, ws, stranger: { uid: 54321, gid: 54321 } };
  }

  it('says when the uid cannot reach or cannot write the workspace', () => {
    const { closed, ws, stranger } = closedTree();
    expect(workspaceAccessProblem(stranger, ws)).toMatchObject({ reach: false });
    expect(workspaceAccessProblem(stranger, ws)?.problem).toContain(closed);
    chmodSync(closed, 0o755);
    expect(workspaceAccessProblem(stranger, ws)).toMatchObject({ reach: true });
    expect(workspaceAccessProblem(stranger, ws)?.problem).toMatch(/cannot write/);
    chmodSync(ws, 0o777);
    expect(workspaceAccessProblem(stranger, ws)).toBeUndefined();
  });

  // A root user's project in /root (mode 700), as in a container: giving the workspace away does
  // not open /root, so the fix is to move the project; a closed workspace itself is given away.
  it('says the fix for an unreachable workspace: move it out of a closed folder above, or chown it', () => {
    const { closed, ws, stranger } = closedTree();
    const above = workspaceAccessProblem(stranger, ws);
    expect(above).toMatchObject({ reach: false, closed });
    expect(workspaceAccessFix(above?.closed, ws)).toMatch(
      new RegExp(
        `^move the project out of ${closed.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} into a folder an ordinary user owns`,
      ),
    );
    chmodSync(closed, 0o755);
    chmodSync(ws, 0o700);
    const itself = workspaceAccessProblem(stranger, ws);
    expect(itself).toMatchObject({ reach: false, closed: ws });
    expect(workspaceAccessFix(itself?.closed, ws)).toMatch(/^chown the workspace to an ordinary user/);
  });
});

// Skipped only where bubblewrap is absent (the OS sandbox's own tests need it).
describe.skipIf(!HAS_BWRAP)('the sandbox holds no host root and no unbounded disk', () => {
  let f: Fixture;
  beforeEach(() => {
    f = fixture();
  });
  afterEach(() => f.cleanup());

  // Oxydra as root: the case containers and CI are in. An ordinary user is covered below.
  it.skipIf(!IS_ROOT)(
    'runs commands as an ordinary host uid when Oxydra is root: no root-only file, no sysctl',
    async () => {
      chmodSync(f.root, 0o755);
      chownTree(f.workspace, NOBODY.uid, NOBODY.gid);
      const r = await run(
        f,
        policy({ identity: { ...NOBODY } }),
        [
          'id -u',
          'cat /etc/shadow >/dev/null 2>&1 && echo SHADOW-READ || echo shadow-denied',
          'cat /etc/gshadow >/dev/null 2>&1 && echo GSHADOW-READ || echo gshadow-denied',
          '(echo "|/tmp/x" > /proc/sys/kernel/core_pattern) 2>/dev/null && echo CORE-WRITTEN || echo core-denied',
          'echo made > made.txt && cat made.txt',
        ].join('; '),
      );
      const lines = r.output.trim().split('\n');
      expect(lines[0]).toBe(String(NOBODY.uid));
      expect(r.output).toContain('shadow-denied');
      expect(r.output).toContain('gshadow-denied');
      expect(r.output).toContain('core-denied');
      expect(r.output).not.toMatch(/SHADOW-READ|CORE-WRITTEN/);
      expect(r.output).toContain('made');
      // Seen from the host, what the command created belongs to the ordinary uid, not to root.
      expect(statSync(path.join(f.workspace, 'made.txt')).uid).toBe(NOBODY.uid);
    },
  );

  it.skipIf(!IS_ROOT)(
    'runs commands outside the root group when the workspace has group 0: no root-group file read',
    async () => {
      chmodSync(f.root, 0o755);
      chownTree(f.workspace, 4242, 0);
      // Readable by the root group only, as /etc/sudoers is: planted where the command can name it.
      const planted = path.join(f.workspace, 'root-group-only.txt');
      writeFileSync(planted, 'ROOT-GROUP-SECRET\n');
      chownSync(planted, 0, 0);
      chmodSync(planted, 0o640);
      const identity = sandboxIdentity(f.workspace, 'auto', 0);
      const r = await run(
        f,
        policy({ ...(identity ? { identity } : {}) }),
        'id -u; id -G; cat root-group-only.txt',
      );
      const [uid, groups] = r.output.split('\n');
      expect(uid).toBe('4242');
      expect(groups?.split(' ')).not.toContain('0');
      expect(r.output).not.toContain('ROOT-GROUP-SECRET');
    },
  );

  // A root guest (the runner's process tier) opens the workspace's .oxydra/ (memory.db, kernel.db,
  // agent.toml) as root; its commands own the workspace. They must not be able to swap that
  // folder, or plant a link in it, for the guest to follow to a host file.
  it.skipIf(!IS_ROOT)(
    "leaves a root guest's .oxydra out of reach of its commands: no rename, no link planted in it",
    async () => {
      chmodSync(f.root, 0o755);
      chownSync(f.workspace, NOBODY.uid, NOBODY.gid);
      const state = path.join(f.workspace, '.oxydra');
      const r = await run(
        f,
        policy({ identity: { ...NOBODY } }),
        [
          'mv .oxydra moved 2>/dev/null && echo RENAMED || echo rename-refused',
          'rm -rf .oxydra 2>/dev/null; ln -s /etc/shadow .oxydra/memory.db 2>/dev/null',
          'ln -s /etc/shadow .oxydra/agent.toml 2>/dev/null; echo done',
        ].join('; '),
      );
      expect(r.output).toContain('rename-refused');
      expect(r.output).toContain('done');
      // The host's folder is the guest's own, unchanged: the links went to the mask over it.
      expect(readdirSync(state)).toEqual(['secret.toml']);
      expect(statSync(state).uid).toBe(0);
      expect(readdirSync(f.workspace)).not.toContain('moved');
    },
  );

  it('binds /proc/sys and the other kernel knobs read-only for whoever runs it, root included', async () => {
    const r = await run(
      f,
      policy(),
      [
        'for d in /proc/sys /proc/irq /proc/bus; do grep -q " $d proc ro," /proc/self/mounts && echo "$d ro"; done',
        '(echo x > /proc/sys/kernel/core_pattern) 2>&1 | grep -o "Read-only file system"',
      ].join('; '),
    );
    expect(r.output).toContain('/proc/sys ro');
    expect(r.output).toContain('Read-only file system');
  });

  it('bounds /tmp (a tmpfs of tmp_size_mib) and every file a command writes (max_file_size_mib)', async () => {
    const r = await run(
      f,
      policy({ tmpSizeMiB: 2, limits: { fileSizeMiB: 1 } }),
      [
        // Four files under the per-file limit, over the tmpfs's size together.
        'for i in 1 2 3 4; do dd if=/dev/zero of=/tmp/fill$i bs=64k count=12 2>&1; done | grep -o "No space left on device" | head -n 1',
        'rm -f /tmp/fill*',
        '(dd if=/dev/zero of=big.bin bs=64k count=32 2>&1) | tail -n 2',
        'echo size=$(stat -c %s big.bin)',
      ].join('; '),
    );
    expect(r.output).toContain('No space left on device');
    // RLIMIT_FSIZE: the write stops at 1 MiB (EFBIG / SIGXFSZ), the file never larger.
    expect(r.output).toContain(`size=${1024 * 1024}`);
  });

  it.skipIf(!IS_ROOT)('as an ordinary user too: kernel knobs read-only, /etc/shadow unreadable', () => {
    // The same runner, in a Node process that is itself an ordinary user (setpriv), as when a
    // person runs oxydra from their own account.
    chmodSync(f.root, 0o755);
    chownTree(f.workspace, NOBODY.uid, NOBODY.gid);
    const dist = new URL('../dist/index.js', import.meta.url).pathname;
    const script = `
      const { createBubblewrapRunner } = await import(${JSON.stringify(dist)});
      const run = createBubblewrapRunner(${JSON.stringify(policy())}, { workspace: ${JSON.stringify(f.workspace)} });
      const r = await run('id -u; cat /etc/shadow >/dev/null 2>&1 && echo SHADOW-READ; (echo x > /proc/sys/kernel/core_pattern) 2>&1 | grep -o "Read-only file system"', { cwd: ${JSON.stringify(f.workspace)}, env: { PATH: '/usr/bin:/bin' }, timeoutMs: 10000 });
      process.stdout.write(r.output);
      process.exit(0);
    `;
    const result = spawnSync(
      'setpriv',
      [
        `--reuid=${NOBODY.uid}`,
        `--regid=${NOBODY.gid}`,
        '--clear-groups',
        process.execPath,
        '--input-type=module',
        '-e',
        script,
      ],
      { encoding: 'utf8', timeout: 20_000, cwd: '/' },
    );
    expect(result.stdout).toContain(String(NOBODY.uid));
    expect(result.stdout).toContain('Read-only file system');
    expect(result.stdout).not.toContain('SHADOW-READ');
  });
});
