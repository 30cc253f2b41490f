/**
 * Regular files a `git pull` puts into the user's own `.oxydra/checkpoints.git`: a repository
 * that ignores `.oxydra/` and whose later commit force-adds files under it (git overwrites ignored
 * files a pulled commit tracks, and writes them 0644). The store's origin record, untouched, still
 * checks, and git read every such file as the store's own: a branch or a tag naming the author's
 * commit, a `refs/replace/` entry swapping one of the user's blobs, an object file under the name
 * of a blob or tree the author knows a checkpoint holds (the repository's own files), grafts,
 * alternates, a commit graph. Each made `undo`/`restore` write the author's content, or `list`
 * show the author's history. Now the store holds only what Oxydra writes, the branch must be the
 * one Oxydra recorded under the user's key, and the objects read for a restore must hash to their
 * names. Real git, real files, the real CheckpointStore; a pull's writes as git checkout makes them.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { lstatSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { deflateSync } from 'node:zlib';
import { localMac } from '@oxydra/config';
import { describe, expect, it } from 'vitest';
import { CheckpointStore } from '../src/services/checkpoints/store.js';
import { tempFolders } from './temp-folders.js';

const { folder } = tempFolders('oxydra-pulled-files-');

/** As git checkout writes a tracked file over an ignored one: replaced, mode 0644. */
function pulled(gitDir: string, path: string, content: Buffer | string): void {
  const file = join(gitDir, path);
  mkdirSync(dirname(file), { recursive: true });
  rmSync(file, { force: true });
  writeFileSync(file, content, { mode: 0o644 });
}

function objectSha(type: string, content: Buffer): string {
  return createHash('sha1').update(`${type} ${content.length}\0`).update(content).digest('hex');
}

/** An object file the author commits under the store's objects; `as` names it (default: its own sha). */
function plantObject(gitDir: string, type: string, content: Buffer, as?: string): string {
  const raw = Buffer.concat([Buffer.from(`${type} ${content.length}\0`), content]);
  const sha = as ?? objectSha(type, content);
  pulled(gitDir, `objects/${sha.slice(0, 2)}/${sha.slice(2)}`, deflateSync(raw));
  return sha;
}

/** A tree of plain files (names sorted, as git wants them). */
function treeOf(files: Record<string, string>): Buffer {
  return Buffer.concat(
    Object.keys(files)
      .sort()
      .map((name) => Buffer.concat([Buffer.from(`100644 ${name}\0`), Buffer.from(files[name]!, 'hex')])),
  );
}

/** The author's commit of `notes.md` = "author\n": its sha. */
function plantAuthorCommit(gitDir: string): string {
  const blob = plantObject(gitDir, 'blob', Buffer.from('author\n'));
  const tree = plantObject(gitDir, 'tree', treeOf({ 'notes.md': blob }));
  const who = 'Oxydra checkpoints <checkpoints@oxydra.invalid> 1700000000 +0000';
  return plantObject(
    gitDir,
    'commit',
    Buffer.from(`tree ${tree}\nauthor ${who}\ncommitter ${who}\n\nthe author's\n`),
  );
}

/** The store as an earlier Oxydra left it: its origin record not bound, and (`record`) no oxydra-head. */
function earlierOxydra(gitDir: string, record: boolean): void {
  const id = readFileSync(join(gitDir, 'oxydra-origin'), 'utf8').slice(0, 32);
  const mac = localMac(['oxydra-state-origin-v1', 'checkpoints.git', id]);
  writeFileSync(join(gitDir, 'oxydra-origin'), `${id} ${mac}\n`, { mode: 0o600 });
  if (!record) rmSync(join(gitDir, 'oxydra-head'));
}

const setUp = async () => {
  const root = folder();
  writeFileSync(join(root, 'notes.md'), 'mine\n');
  const store = await CheckpointStore.open(root);
  const first = await store.snapshot('mine');
  writeFileSync(join(root, 'notes.md'), 'edited\n');
  return {
    root,
    store,
    first,
    gitDir: store.gitDir,
    notes: () => readFileSync(join(root, 'notes.md'), 'utf8'),
  };
};

describe('files a git pull puts into the checkpoint store', () => {
  it("a pulled branch naming the author's commit is refused, and nothing is restored", async () => {
    const { root, gitDir, notes } = await setUp();
    pulled(gitDir, 'refs/heads/checkpoints', `${plantAuthorCommit(gitDir)}\n`);
    // The next command, a process of its own.
    const store = await CheckpointStore.open(root);
    await expect(store.list()).rejects.toThrow(
      /refs\/heads\/checkpoints pointing at [0-9a-f]{40}, where Oxydra never moved it/,
    );
    await expect(store.restore('checkpoints')).rejects.toThrow(/where Oxydra never moved it/);
    expect(notes()).toBe('edited\n');
  });

  it('a pull that deletes oxydra-head does not reopen trust on first use', async () => {
    const { root, gitDir, notes } = await setUp();
    // An earlier pull put an oxydra-head there (refused); this one deletes it and moves the branch.
    rmSync(join(gitDir, 'oxydra-head'));
    pulled(gitDir, 'refs/heads/checkpoints', `${plantAuthorCommit(gitDir)}\n`);
    const store = await CheckpointStore.open(root);
    const missing = /oxydra-head missing, though Oxydra bound this store to it/;
    await expect(store.list()).rejects.toThrow(missing);
    await expect(store.restore('checkpoints')).rejects.toThrow(missing);
    await expect(store.snapshot('next')).rejects.toThrow(missing);
    expect(notes()).toBe('edited\n');
    await expect((await CheckpointStore.open(root)).list()).rejects.toThrow(missing);
  });

  it('a store of the previous version (record, origin not bound) is bound at its next open', async () => {
    const { root, gitDir } = await setUp();
    earlierOxydra(gitDir, true);
    expect((await (await CheckpointStore.open(root)).list()).map((c) => c.message)).toEqual(['mine']);
    rmSync(join(gitDir, 'oxydra-head'));
    await expect((await CheckpointStore.open(root)).list()).rejects.toThrow(/oxydra-head missing/);
  });

  it("a planted capture cache does not make a snapshot keep a changed file's old content", async () => {
    const { root, gitDir } = await setUp();
    // It names notes.md as it is now (edited) with the sha of what the last checkpoint holds.
    const info = lstatSync(join(root, 'notes.md'), { bigint: true });
    const stamp = `${info.dev}:${info.ino}:${info.mode}:${info.size}:${info.mtimeNs}:${info.ctimeNs}`;
    const old = objectSha('blob', Buffer.from('mine\n'));
    const files = [['notes.md', '100644', old, stamp]];
    pulled(
      gitDir,
      'oxydra-capture-cache.json',
      JSON.stringify({ format: 1, clockNs: '9'.repeat(30), files }),
    );
    const next = await (await CheckpointStore.open(root)).snapshot('next');
    expect(next.changed).toBe(1);
    const held = execFileSync('git', ['--git-dir', gitDir, 'cat-file', 'blob', `${next.id}:notes.md`]);
    expect(held.toString()).toBe('edited\n');
  });

  it('a store of an earlier Oxydra (no record) is bound at its first open, and a branch pulled after that is refused', async () => {
    const { root, gitDir, notes } = await setUp();
    earlierOxydra(gitDir, false);
    // The first command of this version: the branch as it is becomes the recorded one.
    expect((await (await CheckpointStore.open(root)).list()).map((c) => c.message)).toEqual(['mine']);
    pulled(gitDir, 'refs/heads/checkpoints', `${plantAuthorCommit(gitDir)}\n`);
    const store = await CheckpointStore.open(root);
    await expect(store.restore('checkpoints')).rejects.toThrow(/where Oxydra never moved it/);
    expect(notes()).toBe('edited\n');
  });

  it("a pulled tag naming the author's commit restores nothing", async () => {
    const { root, gitDir, notes } = await setUp();
    pulled(gitDir, 'refs/tags/release', `${plantAuthorCommit(gitDir)}\n`);
    const store = await CheckpointStore.open(root);
    await expect(store.restore('release')).rejects.toThrow(/not on the checkpoint branch Oxydra recorded/);
    expect(notes()).toBe('edited\n');
  });

  it("a pulled refs/replace entry does not swap the user's blob for the author's", async () => {
    const { root, gitDir, first, notes } = await setUp();
    // The author knows the blob of the file it shipped: the user's checkpoint holds it.
    const evil = plantObject(gitDir, 'blob', Buffer.from('author\n'));
    pulled(gitDir, `refs/replace/${objectSha('blob', Buffer.from('mine\n'))}`, `${evil}\n`);
    const store = await CheckpointStore.open(root);
    await expect(store.restore(first.id)).rejects.toThrow(/refs\/replace/);
    expect(notes()).toBe('edited\n');
  });

  it('an object file pulled under the name of a blob the next snapshot holds is written anew', async () => {
    const root = folder();
    writeFileSync(join(root, 'notes.md'), 'mine\n');
    const gitDir = (await CheckpointStore.open(root)).gitDir;
    // Before the user's first snapshot after the pull: the name is the shipped file's blob.
    plantObject(gitDir, 'blob', Buffer.from('author\n'), objectSha('blob', Buffer.from('mine\n')));
    const store = await CheckpointStore.open(root);
    const first = await store.snapshot('mine');
    writeFileSync(join(root, 'notes.md'), 'edited\n');
    await store.restore(first.id);
    expect(readFileSync(join(root, 'notes.md'), 'utf8')).toBe('mine\n');
  });

  it('an object file pulled over a blob a checkpoint holds is refused at restore', async () => {
    const { root, gitDir, first, notes } = await setUp();
    // Content the name does not hash to.
    plantObject(gitDir, 'blob', Buffer.from('author\n'), objectSha('blob', Buffer.from('mine\n')));
    const store = await CheckpointStore.open(root);
    await expect(store.restore(first.id)).rejects.toThrow(/does not hash to its name/);
    expect(notes()).toBe('edited\n');
  });

  it('an object file pulled over a tree a checkpoint holds is refused at restore', async () => {
    const root = folder();
    mkdirSync(join(root, 'docs'));
    writeFileSync(join(root, 'docs', 'notes.md'), 'mine\n');
    let store = await CheckpointStore.open(root);
    const first = await store.snapshot('mine');
    writeFileSync(join(root, 'docs', 'notes.md'), 'edited\n');
    // The folder's tree is git's own tree of the shipped folder: its name is known to the author.
    const docs = objectSha('tree', treeOf({ 'notes.md': objectSha('blob', Buffer.from('mine\n')) }));
    const evil = plantObject(store.gitDir, 'blob', Buffer.from('author\n'));
    plantObject(store.gitDir, 'tree', treeOf({ 'notes.md': evil }), docs);
    store = await CheckpointStore.open(root);
    await expect(store.restore(first.id)).rejects.toThrow(/does not hash to its name/);
    expect(readFileSync(join(root, 'docs', 'notes.md'), 'utf8')).toBe('edited\n');
  });

  // Each is read by git as the store's own; none is a file Oxydra writes.
  it.each([
    ['commondir', '../../elsewhere/.git\n'],
    ['packed-refs', '# pack-refs with: peeled fully-peeled sorted\n'],
    ['shallow', `${'1'.repeat(40)}\n`],
    ['info/grafts', `${'1'.repeat(40)}\n`],
    ['objects/info/alternates', '/tmp\n'],
    ['objects/info/commit-graph', 'CGPH'],
    ['objects/pack/pack-1.pack', 'PACK'],
    ['refs/remotes/origin/main', `${'1'.repeat(40)}\n`],
    ['config.worktree', '[core]\n\tfsmonitor = touch /tmp/x\n'],
    ['worktrees/w/gitdir', '/tmp\n'],
  ])('a pulled %s stops every command with a line naming it', async (path, content) => {
    const { root, gitDir, notes } = await setUp();
    pulled(gitDir, path, content);
    const store = await CheckpointStore.open(root);
    const named = new RegExp(`${join(gitDir, path.split('/')[0]!)}.* Oxydra did not write`);
    await expect(store.list()).rejects.toThrow(named);
    await expect(store.restore('checkpoints')).rejects.toThrow(named);
    expect(notes()).toBe('edited\n');
  });

  // Rewritten at every open; a process that keeps its store (a gateway) reads them between opens.
  it.each([
    ['config', '[core]\n\tignoreCase = true\n[include]\n\tpath = /tmp/x\n'],
    ['info/attributes', '* filter=x\n'],
    ['HEAD', `${'1'.repeat(40)}\n`],
  ])('a %s pulled while the store is open stops its next command', async (path, content) => {
    const { store, gitDir, first, notes } = await setUp();
    pulled(gitDir, path, content);
    const named = new RegExp(`${join(gitDir, path)} changed since Oxydra wrote it`);
    await expect(store.list()).rejects.toThrow(named);
    await expect(store.restore(first.id)).rejects.toThrow(named);
    await expect(store.snapshot('next')).rejects.toThrow(named);
    expect(notes()).toBe('edited\n');
  });
});
