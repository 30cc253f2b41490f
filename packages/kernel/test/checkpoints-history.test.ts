/**
 * The CheckpointStore's history: diffs between checkpoints and the live workspace (a same-second
 * edit included), paths changed since one, listings with their tags, snapshots taken by git with
 * no inherited GIT_* variable, serialised behind a lock that is recovered when stale or its
 * holder killed, and a missing git binary explained. Restores: checkpoints-restore.test.ts.
 */
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readFileSync,
  readlinkSync,
  unlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { pollUntil } from '@oxydra/testkit/helpers';
import { describe, expect, it } from 'vitest';
import { CheckpointStore, GitMissingError } from '../src/services/checkpoints/index.js';
import { listTree, userGit, useWorkspaces } from './checkpoints-helpers.js';

describe('CheckpointStore', () => {
  const { workspace, write } = useWorkspaces();

  it('sees a same-size edit made in the second of the snapshot, diffed a second later (racy git)', async () => {
    const root = workspace();
    write(root, 'twice.txt', 'v1\n');
    const store = await CheckpointStore.open(root);
    const before = await store.snapshot('before');
    // Same size, same second as the write the index cached: only git's racy check tells them apart.
    write(root, 'twice.txt', 'v2\n');
    const second = Math.floor(Date.now() / 1000);
    await pollUntil(() => Math.floor(Date.now() / 1000) !== second, 'the next second of the wall clock', {
      timeoutMs: 2000,
      intervalMs: 50,
    });
    expect(await store.diff(before.id)).toEqual([{ path: 'twice.txt', status: 'modified' }]);
  });

  it('diffs checkpoints and the live workspace as added, deleted, modified and mode', async () => {
    const root = workspace();
    write(root, 'keep.txt', 'keep\n');
    write(root, 'edit.txt', 'v1\n');
    write(root, 'gone.txt', 'bye\n');
    write(root, 'perm.txt', 'perm\n', 0o600);
    write(root, 'exec.sh', 'x\n');
    const store = await CheckpointStore.open(root);
    const a = await store.snapshot('one', {});
    write(root, 'edit.txt', 'v2\n');
    unlinkSync(join(root, 'gone.txt'));
    write(root, 'new.txt', 'hi\n');
    chmodSync(join(root, 'perm.txt'), 0o644);
    chmodSync(join(root, 'exec.sh'), 0o755);
    mkdirSync(join(root, 'made/empty'), { recursive: true });
    const expected = [
      { path: 'edit.txt', status: 'modified' },
      { path: 'exec.sh', status: 'mode' },
      { path: 'gone.txt', status: 'deleted' },
      { path: 'made/empty/', status: 'added' },
      { path: 'new.txt', status: 'added' },
      { path: 'perm.txt', status: 'mode' },
    ];
    const headBefore = (await store.list()).map((c) => c.id);
    expect(await store.diff(a.id)).toEqual(expected);
    // Diffing against the workspace made no commit.
    expect((await store.list()).map((c) => c.id)).toEqual(headBefore);
    const b = await store.snapshot('two', {});
    expect(await store.diff(a.id, b.id)).toEqual(expected);
    expect(b.changed).toBe(expected.length);
    expect(await store.diff(b.id)).toEqual([]);
    expect((await store.diff(b.id, a.id)).map((c) => c.status)).toEqual([
      'modified',
      'mode',
      'added',
      'deleted',
      'deleted',
      'mode',
    ]);
  });

  it('reports paths changed since a checkpoint, optionally filtered', async () => {
    const root = workspace();
    write(root, 'a/one.txt', '1\n');
    write(root, 'a/two.txt', '2\n');
    write(root, 'b/three.txt', '3\n');
    const store = await CheckpointStore.open(root);
    const a = await store.snapshot('one', {});
    expect(await store.changedSince(a.id)).toEqual([]);
    write(root, 'a/two.txt', 'two\n');
    chmodSync(join(root, 'b/three.txt'), 0o600);
    write(root, 'c.txt', 'c\n');
    expect(await store.changedSince(a.id)).toEqual(['a/two.txt', 'b/three.txt', 'c.txt']);
    expect(await store.changedSince(a.id, ['a', 'c.txt', 'nothing.txt'])).toEqual(['a/two.txt', 'c.txt']);
    expect(await store.changedSince(a.id, ['a/one.txt'])).toEqual([]);
  });

  it('lists newest first with meta, resolves prefixes and tags, and refuses duplicate tags', async () => {
    const root = workspace();
    write(root, 'f.txt', '1\n');
    const store = await CheckpointStore.open(root);
    const a = await store.snapshot('first\n\nwith a blank line\nOxydra-Fake: not meta', {
      kind: 'before',
      run: 'r-1',
    });
    write(root, 'f.txt', '2\n');
    const b = await store.snapshot('second', { kind: 'after', 'run-id': 'r 2' });
    const list = await store.list();
    expect(list.map((c) => c.id)).toEqual([b.id, a.id]);
    expect(list[1]).toEqual(a);
    expect(list[0]).toEqual(b);
    expect(a.meta).toEqual({ kind: 'before', run: 'r-1' });
    expect(list[1]?.message).toBe('first\n\nwith a blank line\nOxydra-Fake: not meta');
    expect(await store.list(1)).toEqual([b]);
    expect(await store.get(a.id.slice(0, 10))).toEqual(a);
    expect(await store.get('HEAD~1')).toEqual(a);
    expect(await store.get('deadbeefdeadbeef')).toBeUndefined();
    expect(await store.get('--help')).toBeUndefined();

    expect(await store.tag('good-state', a.id)).toEqual({ name: 'good-state', id: a.id });
    expect(await store.get('good-state')).toEqual(a);
    await expect(store.tag('good-state')).rejects.toThrow('checkpoint tag "good-state" already exists');
    await expect(store.tag('bad..name')).rejects.toThrow('invalid checkpoint tag name');
    await expect(store.tag('-x')).rejects.toThrow('invalid checkpoint tag name');
    await store.tag('latest');
    expect(await store.tags()).toEqual([
      { name: 'good-state', id: a.id },
      { name: 'latest', id: b.id },
    ]);
    await expect(store.snapshot('x', { Bad: 'key' })).rejects.toThrow('invalid checkpoint meta key');
    await expect(store.snapshot('x', { note: 'two\nlines' })).rejects.toThrow('single line');
  });

  it('ignores inherited GIT_DIR, GIT_WORK_TREE, GIT_INDEX_FILE and other GIT_* variables', async () => {
    const decoy = workspace();
    userGit(decoy, ['init', '-q']);
    write(decoy, 'decoy.txt', 'decoy\n');
    userGit(decoy, ['add', 'decoy.txt']);
    userGit(decoy, ['commit', '-q', '-m', 'decoy']);
    const decoyBefore = listTree(decoy, { skip: [] });
    process.env.GIT_DIR = join(decoy, '.git');
    process.env.GIT_WORK_TREE = decoy;
    process.env.GIT_INDEX_FILE = join(decoy, '.git', 'index');
    // Not overridden by the store, only dropped: these would send objects and refs to the decoy.
    process.env.GIT_OBJECT_DIRECTORY = join(decoy, '.git', 'objects');
    process.env.GIT_COMMON_DIR = join(decoy, '.git');

    const root = workspace();
    write(root, 'mine.txt', 'mine\n');
    const store = await CheckpointStore.open(root);
    const a = await store.snapshot('one', {});
    write(root, 'mine.txt', 'edited\n');
    await store.snapshot('two', {});
    await store.restore(a.id);
    expect(readFileSync(join(root, 'mine.txt'), 'utf8')).toBe('mine\n');
    expect(listTree(decoy, { skip: [] })).toEqual(decoyBefore);
    expect(existsSync(join(root, '.oxydra/checkpoints.git/HEAD'))).toBe(true);
  });

  it('serializes concurrent snapshots within and across store instances', async () => {
    const root = workspace();
    write(root, 'f.txt', '0\n');
    const one = await CheckpointStore.open(root);
    const two = await CheckpointStore.open(root);
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) => (i % 2 === 0 ? one : two).snapshot(`s${i}`, { n: String(i) })),
    );
    const list = await one.list();
    expect(list).toHaveLength(8);
    expect(new Set(results.map((r) => r.id)).size).toBe(8);
    // One linear chain: every checkpoint's parent is the next-older one.
    for (let i = 0; i < list.length - 1; i += 1) expect(list[i]?.parent).toBe(list[i + 1]?.id);
  });

  it('recovers a stale lock and times out on a live one', async () => {
    const root = workspace();
    write(root, 'f.txt', '0\n');
    const store = await CheckpointStore.open(root, { lockTimeoutMs: 200 });
    const lock = join(store.gitDir, 'oxydra.lock');
    writeFileSync(lock, 'someone else');
    await expect(store.snapshot('blocked', {})).rejects.toThrow('locked by another process');
    const old = new Date(Date.now() - 120_000);
    utimesSync(lock, old, old);
    const done = await store.snapshot('after stale', {});
    expect((await store.list()).map((c) => c.id)).toEqual([done.id]);
    expect(existsSync(lock)).toBe(false);
  });

  it("takes over at once the lock of a holder that was killed, and never a live holder's", async () => {
    const root = workspace();
    write(root, 'f.txt', '0\n');
    const store = await CheckpointStore.open(root, { lockTimeoutMs: 200 });
    const lock = join(store.gitDir, 'oxydra.lock');
    const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
    const deadPid = Number(gone.stdout.toString());
    const here = `${encodeURIComponent(hostname())}/${readlinkSync('/proc/self/ns/pid')}`;
    // A process of this machine that no longer runs: its lock is fresh but nobody holds it.
    writeFileSync(lock, `holder 0123456789abcdef ${here} ${deadPid}`);
    await store.snapshot('after a killed holder', {});
    expect(existsSync(lock)).toBe(false);
    // Waited for: a live holder (this process, another store); a holder elsewhere (another
    // machine, a container's pid namespace: its pid is not ours to look up); an older version's
    // lock, which names no holder, whatever its pid.
    for (const live of [
      `holder 0123456789abcdef ${here} ${process.pid}`,
      `holder 0123456789abcdef other-host/${readlinkSync('/proc/self/ns/pid')} ${deadPid}`,
      `holder 0123456789abcdef ${encodeURIComponent(hostname())}/pid:[1] ${deadPid}`,
      `${deadPid} 0123456789abcdef`,
    ]) {
      writeFileSync(lock, live);
      await expect(store.snapshot('blocked', {})).rejects.toThrow('locked by another process');
      expect(readFileSync(lock, 'utf8')).toBe(live);
    }
  });

  it('says how to fix a missing git binary', async () => {
    const root = workspace();
    process.env.PATH = join(root, 'no-bin-here');
    const error = await CheckpointStore.open(root).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GitMissingError);
    expect((error as Error).message).toBe(
      'checkpoints need the git binary: install git (apt-get install git), or turn them off with --set checkpoints.enabled=false',
    );
  });
});
