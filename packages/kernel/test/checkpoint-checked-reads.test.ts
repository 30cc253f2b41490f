/**
 * Object files a `git pull` puts into the checkpoint store under the names of its own commits,
 * trees and blobs, read by what is not a restore: `diff` (undo's check for edits made since a
 * run), `patch`, `list`/`get` (undo picks a run's checkpoints from their messages), and the walk
 * that decides whether a tag's commit lies on the branch. Git reads a loose object without
 * checking its content against its name; these now read only objects that hash to their names.
 * Also: `oxydra trust --adopt-state` on a store keeps its checkpoints usable, and a store of an
 * earlier Oxydra is bound on first use only when its origin record is the user's. Real git, real
 * files, the real CheckpointStore.
 */
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { deflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { adoptWorkspaceState } from '../src/exports/workspace.js';
import { CheckpointStore } from '../src/services/checkpoints/store.js';
import { tempFolders } from './temp-folders.js';

const { folder } = tempFolders('oxydra-checked-reads-');

const sha = (type: string, content: Buffer | string): string => {
  const bytes = Buffer.from(content);
  return createHash('sha1').update(`${type} ${bytes.length}\0`).update(bytes).digest('hex');
};

/** As git checkout writes a tracked file over an ignored one: the object file replaced, 0644. */
function plant(gitDir: string, type: string, content: Buffer, as = sha(type, content)): string {
  const file = join(gitDir, 'objects', as.slice(0, 2), as.slice(2));
  mkdirSync(dirname(file), { recursive: true });
  rmSync(file, { force: true });
  writeFileSync(file, deflateSync(Buffer.concat([Buffer.from(`${type} ${content.length}\0`), content])), {
    mode: 0o644,
  });
  return as;
}

const cat = (gitDir: string, type: string, ref: string): Buffer =>
  execFileSync('git', ['--git-dir', gitDir, 'cat-file', type, ref]);

/** docs/notes.md "mine" (first), a run writes "agent" (run), a later run adds other.md (later); the user edits notes.md. */
async function history() {
  const root = folder();
  mkdirSync(join(root, 'docs'));
  const notes = join(root, 'docs', 'notes.md');
  writeFileSync(notes, 'mine\n');
  const store = await CheckpointStore.open(root);
  const first = await store.snapshot('before the run');
  writeFileSync(notes, 'agent\n');
  const run = await store.snapshot('after the run');
  writeFileSync(join(root, 'other.md'), 'later\n');
  const later = await store.snapshot('a later run');
  writeFileSync(notes, 'user\n');
  return { root, gitDir: store.gitDir, first, run, later, notes: () => readFileSync(notes, 'utf8') };
}

/** The author's commit of docs/notes.md = "author\n", all three objects hashing to their names. */
function authorCommit(gitDir: string): string {
  const blob = plant(gitDir, 'blob', Buffer.from('author\n'));
  const docs = plant(
    gitDir,
    'tree',
    Buffer.concat([Buffer.from('100644 notes.md\0'), Buffer.from(blob, 'hex')]),
  );
  const tree = plant(gitDir, 'tree', Buffer.concat([Buffer.from('40000 docs\0'), Buffer.from(docs, 'hex')]));
  const who = 'Oxydra checkpoints <checkpoints@oxydra.invalid> 1700000000 +0000';
  return plant(
    gitDir,
    'commit',
    Buffer.from(`tree ${tree}\nauthor ${who}\ncommitter ${who}\n\nthe author's\n`),
  );
}

const NOT_HASHED = /does not hash to its name/;

describe('objects read by diff, patch, list and the branch walk', () => {
  it("a tree planted under a run's checkpoint does not hide an edit from undo's check", async () => {
    const { root, gitDir, run } = await history();
    // The run's tree of docs/ (git's own tree of that folder, whose name the author knows), but
    // notes.md naming the blob of the user's edit: "no edit since the run".
    const docs = (blob: string) =>
      Buffer.concat([Buffer.from('100644 notes.md\0'), Buffer.from(blob, 'hex')]);
    plant(gitDir, 'tree', docs(sha('blob', 'user\n')), sha('tree', docs(sha('blob', 'agent\n'))));
    // Before: [] (so undo put "mine" over the user's edit without a word).
    const store = await CheckpointStore.open(root);
    await expect(store.changedSince(run.id, ['docs'])).rejects.toThrow(NOT_HASHED);
    await expect(store.diff(run.id)).rejects.toThrow(NOT_HASHED);
  });

  it("a blob planted under a checkpoint's file is not shown as its content by patch", async () => {
    const { root, gitDir, first } = await history();
    plant(gitDir, 'blob', Buffer.from('author\n'), sha('blob', 'mine\n'));
    // Before: the patch showed "-author".
    const store = await CheckpointStore.open(root);
    await expect(store.patch(first.id)).rejects.toThrow(/does not hash to its name/);
    await expect(store.patch(first.id, 'checkpoints')).rejects.toThrow(NOT_HASHED);
  });

  it("a commit planted under a checkpoint's name is not listed as it", async () => {
    const { root, gitDir, first } = await history();
    const forged = cat(gitDir, 'commit', first.id)
      .toString('latin1')
      .replace('before the run', "the author's");
    plant(gitDir, 'commit', Buffer.from(forged, 'latin1'), first.id);
    // Before: list showed "the author's" (and its trailers, which name a run) as the first checkpoint.
    const store = await CheckpointStore.open(root);
    await expect(store.list()).rejects.toThrow(NOT_HASHED);
  });

  it("a branch commit planted with the author's commit as its parent does not let a tag restore it", async () => {
    const { root, gitDir, run, notes } = await history();
    const author = authorCommit(gitDir);
    // A commit inside the branch (git checks the one it is given by name, not the parents it walks).
    const forged = cat(gitDir, 'commit', run.id)
      .toString('latin1')
      .replace(/^parent [0-9a-f]{40}$/m, `parent ${author}`);
    plant(gitDir, 'commit', Buffer.from(forged, 'latin1'), run.id);
    const tag = join(gitDir, 'refs', 'tags', 'release');
    mkdirSync(dirname(tag), { recursive: true });
    writeFileSync(tag, `${author}\n`, { mode: 0o644 });
    // Before: git's merge-base believed the planted commit, and restore wrote "author".
    const store = await CheckpointStore.open(root);
    await expect(store.restore('release')).rejects.toThrow(NOT_HASHED);
    expect(notes()).toBe('user\n');
  });

  it('checked reads leave an untouched store as it was', async () => {
    const { root, first, run } = await history();
    const store = await CheckpointStore.open(root);
    expect(await store.changedSince(run.id, ['docs'])).toEqual(['docs/notes.md']);
    expect(await store.patch(first.id)).toContain('-mine\n+user\n');
    expect((await store.list()).map((c) => c.message)).toEqual([
      'a later run',
      'after the run',
      'before the run',
    ]);
    await store.restore(first.id);
    expect(readFileSync(join(root, 'docs', 'notes.md'), 'utf8')).toBe('mine\n');
  });
});

/** Another machine's record (not this user's key): the next open sets the store aside. */
function foreignOrigin(gitDir: string): void {
  writeFileSync(
    join(gitDir, 'oxydra-origin'),
    `${randomBytes(16).toString('hex')} ${randomBytes(32).toString('hex')}\n`,
    { mode: 0o600 },
  );
}

describe('adopting a store, and binding one of an earlier Oxydra', () => {
  it('a store set aside and adopted back keeps its checkpoints, bound to its branch', async () => {
    const { root, gitDir, notes } = await history();
    foreignOrigin(gitDir);
    const warnings: string[] = [];
    const stderr = process.stderr.write;
    process.stderr.write = ((line: string) => warnings.push(line) > 0) as typeof process.stderr.write;
    try {
      expect(await (await CheckpointStore.open(root)).list()).toEqual([]);
    } finally {
      process.stderr.write = stderr;
    }
    expect(warnings.join('')).toMatch(/set aside .*checkpoints\.git/);
    // The user moves it back and says it is theirs.
    const aside = readdirSync(dirname(gitDir)).find((name) => name.startsWith('checkpoints.git.untrusted-'))!;
    rmSync(gitDir, { recursive: true });
    renameSync(join(dirname(gitDir), aside), gitDir);
    expect(await adoptWorkspaceState(gitDir)).toBe(true);
    // Before: "oxydra-head not written by Oxydra for you" from every command.
    const store = await CheckpointStore.open(root);
    expect((await store.list()).map((c) => c.message)).toEqual([
      'a later run',
      'after the run',
      'before the run',
    ]);
    await store.snapshot('next');
    await store.restore('checkpoints~3');
    expect(notes()).toBe('mine\n');
    // Bound: a pull deleting its record afterwards is refused, not trusted anew.
    rmSync(join(gitDir, 'oxydra-head'));
    await expect((await CheckpointStore.open(root)).list()).rejects.toThrow(/oxydra-head missing/);
  });

  it("a store of an earlier Oxydra whose origin record is not the user's is never bound to its branch", async () => {
    const { root, gitDir } = await history();
    rmSync(join(gitDir, 'oxydra-head'));
    foreignOrigin(gitDir);
    const stderr = process.stderr.write;
    process.stderr.write = (() => true) as typeof process.stderr.write;
    try {
      // Set aside before anything reads it: a fresh store, whose branch is none.
      expect(await (await CheckpointStore.open(root)).list()).toEqual([]);
    } finally {
      process.stderr.write = stderr;
    }
    expect(readFileSync(join(gitDir, 'oxydra-head'), 'utf8')).toMatch(/^none none /);
  });
});
