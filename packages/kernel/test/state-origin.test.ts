/**
 * Workspace state that came with the folder (a clone, an archive, another user) is never used:
 * a kernel.db carrying its own admin token, a memory.db, a checkpoints.git whose config runs a
 * program. Each is set aside (renamed, never deleted) and a fresh one is made; what Oxydra itself
 * made for this user is kept; `adoptWorkspaceState` takes back what the user says is theirs.
 */
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { type TempWorkspace, tempWorkspace } from '@oxydra/testkit/helpers';
import Database from 'libsql';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { CheckpointStore } from '../src/services/checkpoints/index.js';
import { kernelDbPath, openKernelDb } from '../src/store/kernel-db.js';
import { adoptWorkspaceState } from '../src/store/state-adopt.js';
import { claimWorkspaceState, stateStanding } from '../src/store/state-origin.js';

const IS_ROOT = process.getuid?.() === 0;
let scratch: TempWorkspace;
let root: string;
let workspace: string;
const warned: string[] = [];
const originalWrite = process.stderr.write.bind(process.stderr);

beforeEach(() => {
  scratch = tempWorkspace({ prefix: 'oxydra-origin-' });
  root = scratch.dir;
  workspace = join(root, 'ws');
  mkdirSync(join(workspace, '.oxydra'), { recursive: true });
  // This process's own key, so the test never touches the developer's ~/.config.
  process.env.OXYDRA_LOCAL_KEY_FILE = join(root, 'local.key');
  warned.length = 0;
  process.stderr.write = ((chunk: string | Uint8Array) => {
    warned.push(String(chunk));
    return true;
  }) as typeof process.stderr.write;
});

afterEach(() => {
  process.stderr.write = originalWrite;
  scratch.cleanup();
});

/** A kernel.db as a hostile repository ships it: a table and an "admin token" of its own. */
function plantKernelDb(): string {
  const path = kernelDbPath(workspace);
  const db = new Database(path);
  db.exec("CREATE TABLE planted (token TEXT); INSERT INTO planted VALUES ('attacker-admin-token')");
  db.close();
  writeFileSync(join(workspace, '.oxydra', 'audit-head.json'), '{"seq":999,"hash":"forged"}');
  return path;
}

function plantedTableIn(path: string): boolean {
  const db = new Database(path, { readonly: true });
  try {
    const row = db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE name = 'planted'").get() as {
      n: number;
    };
    return row.n === 1;
  } finally {
    db.close();
  }
}

const asideOf = (name: string) =>
  readdirSync(join(workspace, '.oxydra')).filter((file) => file.startsWith(`${name}.untrusted-`));

describe('state that came with the folder', () => {
  it('a kernel.db Oxydra made for this user is opened as it is, run after run', async () => {
    (await openKernelDb(workspace)).close();
    expect(readFileSync(`${kernelDbPath(workspace)}.origin`, 'utf8')).toMatch(
      /^[0-9a-f]{32} [0-9a-f]{64}\n$/,
    );
    const db = await openKernelDb(workspace);
    db.exec('CREATE TABLE mine (x)');
    db.close();
    (await openKernelDb(workspace)).close();
    expect(stateStanding(kernelDbPath(workspace)).standing).toBe('ours');
    expect(asideOf('kernel.db')).toEqual([]);
    expect(warned.join('')).toBe('');
  });

  it('a kernel.db with no record is set aside with its audit head, and a fresh one is made', async () => {
    const path = plantKernelDb();
    expect(stateStanding(path)).toEqual({
      standing: 'foreign',
      why: 'Oxydra has no record of creating it for you',
    });
    (await openKernelDb(workspace)).close();
    expect(plantedTableIn(path)).toBe(false);
    const [aside] = asideOf('kernel.db');
    expect(aside).toBeDefined();
    expect(plantedTableIn(join(workspace, '.oxydra', aside!))).toBe(true);
    expect(asideOf('audit-head.json')).toHaveLength(1);
    expect(existsSync(join(workspace, '.oxydra', 'audit-head.json'))).toBe(false);
    expect(warned.join('')).toMatch(
      /set aside .*kernel\.db as kernel\.db\.untrusted-\d{8}T\d{6}: Oxydra has no record of creating it for you.*oxydra trust --adopt-state/,
    );
  });

  it('a forged record, or one made with another key (another user or machine), is not enough', async () => {
    const path = plantKernelDb();
    writeFileSync(`${path}.origin`, `${'a'.repeat(32)} ${'b'.repeat(64)}\n`);
    expect(stateStanding(path).standing).toBe('foreign');
    // A record made honestly, but under another user's key, copied along with the file.
    (await openKernelDb(workspace)).close();
    const record = readFileSync(`${path}.origin`);
    process.env.OXYDRA_LOCAL_KEY_FILE = join(root, 'other.key');
    writeFileSync(`${path}.origin`, record);
    expect(stateStanding(path)).toEqual({
      standing: 'foreign',
      why: 'its record was not made with your key (another user or machine)',
    });
  });

  it('a link in place of the state is set aside, never followed', async () => {
    const elsewhere = join(root, 'elsewhere.db');
    new Database(elsewhere).close();
    symlinkSync(elsewhere, kernelDbPath(workspace));
    expect(stateStanding(kernelDbPath(workspace)).why).toBe('it is a symbolic link');
    (await openKernelDb(workspace)).close();
    expect(asideOf('kernel.db')).toHaveLength(1);
    expect(() => adoptWorkspaceState(join(workspace, '.oxydra', asideOf('kernel.db')[0]!))).toThrow(
      /symbolic link/,
    );
  });

  it.runIf(IS_ROOT)("(as root) another user's kernel.db is set aside, and cannot be adopted", async () => {
    const path = plantKernelDb();
    chownSync(path, 12345, 12345);
    expect(stateStanding(path).why).toBe('it belongs to uid 12345, not you');
    expect(() => adoptWorkspaceState(path)).toThrow(/belongs to uid 12345/);
    (await openKernelDb(workspace)).close();
    expect(asideOf('kernel.db')).toHaveLength(1);
  });

  it('state the user moves back is adopted on request, and then kept', async () => {
    const path = plantKernelDb();
    (await openKernelDb(workspace)).close();
    const [aside] = asideOf('kernel.db');
    for (const fresh of [path, `${path}-wal`, `${path}-shm`, `${path}.origin`])
      rmSync(fresh, { force: true });
    spawnSync('mv', [join(workspace, '.oxydra', aside!), path]);
    expect(stateStanding(path).standing).toBe('foreign');
    expect(adoptWorkspaceState(path)).toBe(true);
    expect(adoptWorkspaceState(path)).toBe(false);
    (await openKernelDb(workspace)).close();
    expect(plantedTableIn(path)).toBe(true);
  });
});

/** `path`'s content replaced in place by a database of the author's, as `git pull` does (record left). */
function replaceContent(path: string, sql: string): void {
  const theirs = join(root, 'theirs.db');
  rmSync(theirs, { force: true });
  const db = new Database(theirs);
  db.exec(sql);
  db.close();
  for (const suffix of ['-wal', '-shm']) rmSync(`${path}${suffix}`, { force: true });
  writeFileSync(path, readFileSync(theirs));
}

describe('a database replaced under its record (a git pull of a tracked copy)', () => {
  for (const name of ['kernel.db', 'memory.db', 'channels.db']) {
    it(`${name}: the id inside is not the record's, so it is set aside`, () => {
      const path = join(workspace, '.oxydra', name);
      claimWorkspaceState(path);
      expect(stateStanding(path).standing).toBe('ours');
      replaceContent(path, "CREATE TABLE planted (token TEXT); INSERT INTO planted VALUES ('attacker')");
      expect(stateStanding(path)).toEqual({
        standing: 'foreign',
        why: 'it is not the database your record was made for (replaced after Oxydra made it, e.g. by a git pull of a tracked copy)',
      });
      claimWorkspaceState(path);
      expect(asideOf(name)).toHaveLength(1);
      expect(plantedTableIn(path)).toBe(false);
      expect(stateStanding(path).standing).toBe('ours');
    });
  }

  it('an origin table the file declares its own way (an endless view) is never run', () => {
    const path = kernelDbPath(workspace);
    claimWorkspaceState(path);
    replaceContent(
      path,
      'CREATE VIEW oxydra_origin AS WITH RECURSIVE n(id) AS (SELECT 1 UNION ALL SELECT id + 1 FROM n) SELECT id FROM n',
    );
    expect(stateStanding(path)).toEqual({
      standing: 'foreign',
      why: 'its origin table is not one Oxydra made',
    });
  });

  it('looking inside never writes the database (a journal it would roll back stays as it was)', () => {
    const path = kernelDbPath(workspace);
    claimWorkspaceState(path);
    // The author's database caught mid-transaction: pages already in the file, the journal to
    // undo them beside it (hot: no process holds it). Opening it read-write rolls it back.
    const theirs = join(root, 'theirs-hot.db');
    const author = new Database(theirs);
    author.exec('PRAGMA cache_size=2; CREATE TABLE planted (token TEXT); BEGIN');
    const insert = author.prepare('INSERT INTO planted VALUES (?)');
    for (let i = 0; i < 200; i++) insert.run('x'.repeat(3000));
    writeFileSync(path, readFileSync(theirs));
    writeFileSync(`${path}-journal`, readFileSync(`${theirs}-journal`));
    author.exec('ROLLBACK');
    author.close();
    const before = [readFileSync(path), readFileSync(`${path}-journal`)];
    expect(stateStanding(path).standing).toBe('foreign');
    // Before: libsql ignores `{ readonly: true }`, so the look rolled the journal back into the
    // file and deleted it (and, for a file gone since the lstat, made an empty one in its place).
    expect([readFileSync(path), readFileSync(`${path}-journal`)]).toEqual(before);
  });

  it('a claim lock a repository put beside the state is taken over at once, not waited for', () => {
    const path = kernelDbPath(workspace);
    // git cannot ship an empty folder: a planted lock holds a file (a claimer's never does).
    mkdirSync(`${path}.claiming`);
    writeFileSync(join(`${path}.claiming`, 'planted'), '');
    const wait = vi.spyOn(Atomics, 'wait');
    try {
      claimWorkspaceState(path);
      // Before: polled for 5 s (each state file of a fresh clone's first command).
      expect(wait).not.toHaveBeenCalled();
    } finally {
      wait.mockRestore();
    }
    expect(existsSync(`${path}.claiming`)).toBe(false);
    expect(stateStanding(path).standing).toBe('ours');
  });

  it('a second set-aside in the same second keeps the first', () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date('2026-11-30T12:00:00Z'));
    try {
      const path = plantKernelDb();
      claimWorkspaceState(path);
      replaceContent(path, 'CREATE TABLE second (x TEXT)');
      claimWorkspaceState(path);
      const aside = asideOf('kernel.db').sort();
      // Before: both were kernel.db.untrusted-20261130T120000, the second renamed over the first.
      expect(aside).toEqual(['kernel.db.untrusted-20261130T120000', 'kernel.db.untrusted-20261130T120000-2']);
      expect(plantedTableIn(join(workspace, '.oxydra', aside[0]!))).toBe(true);
    } finally {
      vi.useRealTimers();
    }
  });

  it('a database whose -wal is a link is not opened to look inside', () => {
    const path = kernelDbPath(workspace);
    claimWorkspaceState(path);
    rmSync(`${path}-wal`, { force: true });
    symlinkSync(join(root, 'nowhere'), `${path}-wal`);
    expect(stateStanding(path)).toEqual({ standing: 'foreign', why: 'its wal file is not a regular file' });
  });
});

describe('a checkpoints.git that came with the folder', () => {
  /**
   * A shadow repository whose config would run `program` from `git log` (a signed commit and
   * log.showSignature with gpg.program), from any command (core.fsmonitor) and from hooks.
   */
  function plantCheckpoints(marker: string): string {
    const gitDir = join(workspace, '.oxydra', 'checkpoints.git');
    const program = join(root, 'evil.sh');
    writeFileSync(program, `#!/bin/sh\necho ran >> ${marker}\n`);
    chmodSync(program, 0o755);
    const git = (...args: string[]) =>
      spawnSync('git', args, { env: { ...process.env, GIT_DIR: gitDir, GIT_WORK_TREE: workspace } });
    git('init', '--quiet');
    // A signed commit on the store's branch: `git log` then asks gpg.program to verify it.
    const tree = git('mktree').stdout.toString().trim();
    const commit = spawnSync('git', ['hash-object', '-t', 'commit', '-w', '--stdin'], {
      env: { ...process.env, GIT_DIR: gitDir },
      input: `tree ${tree}\nauthor A <a@b> 1 +0000\ncommitter A <a@b> 1 +0000\ngpgsig -----BEGIN PGP SIGNATURE-----\n \n AAAA\n -----END PGP SIGNATURE-----\n\nsigned\n`,
    });
    git('update-ref', 'refs/heads/checkpoints', commit.stdout.toString().trim());
    git('symbolic-ref', 'HEAD', 'refs/heads/checkpoints');
    writeFileSync(
      join(gitDir, 'config'),
      `[core]\n\trepositoryformatversion = 0\n\tbare = false\n\tfsmonitor = ${program}\n\tpager = ${program}\n[log]\n\tshowSignature = true\n[gpg]\n\tprogram = ${program}\n`,
    );
    return gitDir;
  }

  it('is set aside before git reads it: nothing of it runs', async () => {
    const marker = join(root, 'marker');
    plantCheckpoints(marker);
    writeFileSync(join(workspace, 'a.txt'), 'one');
    const store = await CheckpointStore.open(workspace);
    const listed = await store.list();
    expect(existsSync(marker), 'gpg.program ran').toBe(false);
    expect(listed).toEqual([]);
    await store.snapshot('first');
    expect(await store.list()).toHaveLength(1);
    expect(existsSync(marker)).toBe(false);
    expect(asideOf('checkpoints.git')).toHaveLength(1);
    expect(warned.join('')).toMatch(/set aside .*checkpoints\.git/);
  });

  it("its own repository's config is written whole at every open", async () => {
    const marker = join(root, 'marker');
    writeFileSync(join(workspace, 'a.txt'), 'one');
    const first = await CheckpointStore.open(workspace);
    const checkpoint = await first.snapshot('first');
    // Edited behind Oxydra's back (the sandbox and file tools cannot; the user could).
    const config = join(workspace, '.oxydra', 'checkpoints.git', 'config');
    writeFileSync(
      config,
      `${readFileSync(config, 'utf8')}[core]\n\tfsmonitor = /bin/sh -c "echo ran >> ${marker}"\n`,
    );
    const again = await CheckpointStore.open(workspace);
    expect((await again.list())[0]?.id).toBe(checkpoint.id);
    expect(readFileSync(config, 'utf8')).not.toContain('fsmonitor');
    expect(existsSync(marker)).toBe(false);
  });
});

it("makes the user's local key on first use, private to the user", async () => {
  (await openKernelDb(workspace)).close();
  const key = join(root, 'local.key');
  expect(readFileSync(key).length).toBe(32);
  expect(statSync(key).mode & 0o777).toBe(0o600);
});
