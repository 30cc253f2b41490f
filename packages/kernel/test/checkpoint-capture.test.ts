/**
 * The capture that snapshots write themselves (no `git add`): trees git accepts, the stat cache
 * a new process reads back (edits that keep size and mtime, deletions, a damaged cache), special
 * files, names that are not UTF-8, and a file rewritten while snapshots run.
 */
import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  rmSync,
  statSync,
  unlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CheckpointStore } from '../src/services/checkpoints/index.js';
import { tempFolders } from './temp-folders.js';

/** Git on the checkpoint repository, with none of the test's GIT_* variables leaking in. */
function storeGit(root: string, args: string[]): string {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) if (!key.startsWith('GIT_')) env[key] = value;
  Object.assign(env, {
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_DIR: join(root, '.oxydra', 'checkpoints.git'),
    GIT_WORK_TREE: root,
  });
  return execFileSync('git', ['-c', 'safe.directory=*', ...args], { cwd: root, env, encoding: 'utf8' });
}

describe('checkpoint capture', () => {
  const { folder: workspace } = tempFolders('oxydra-capture-');
  const write = (root: string, path: string, content: string, mode = 0o644) => {
    mkdirSync(join(root, path, '..'), { recursive: true });
    writeFileSync(join(root, path), content);
    chmodSync(join(root, path), mode);
  };

  it('writes trees git accepts, with every blob as git hashes it', async () => {
    const root = workspace();
    // Names whose order differs between strings and git's trees (a folder sorts as `name/`).
    for (const path of ['a', 'a.txt', 'a-b', 'a0', 'ab/x', 'b/c/d.txt', 'é.txt', 'z', 'exec.sh']) {
      write(root, path, `content of ${path}\n`, path === 'exec.sh' ? 0o755 : 0o644);
    }
    mkdirSync(join(root, 'a.d'));
    write(root, 'a.d/inside', 'in\n');
    const store = await CheckpointStore.open(root);
    await store.snapshot('one');
    write(root, 'b/c/d.txt', 'changed\n');
    const second = await store.snapshot('two');
    expect(storeGit(root, ['fsck', '--strict', '--no-dangling'])).toBe('');
    const listed = storeGit(root, ['ls-tree', '-r', '-z', second.id]).split('\0').filter(Boolean);
    const files = listed.filter((line) => !line.endsWith('\t.oxydra/checkpoint-manifest.json'));
    expect(files).toHaveLength(10);
    for (const line of files) {
      const [meta = '', path = ''] = line.split('\t');
      const [mode, , sha] = meta.split(' ');
      expect(sha).toBe(storeGit(root, ['hash-object', '--no-filters', '--', path]).trim());
      expect(mode).toBe(path === 'exec.sh' ? '100755' : '100644');
    }
  });

  it('a new store (another process) sees an edit that kept size and mtime, and a deletion', async () => {
    const root = workspace();
    write(root, 'same.txt', 'v1\n');
    write(root, 'gone.txt', 'bye\n');
    write(root, 'kept.txt', 'kept\n');
    const first = await (await CheckpointStore.open(root)).snapshot('first');
    const { atime, mtime } = statSync(join(root, 'same.txt'));
    write(root, 'same.txt', 'v2\n');
    // The mtime put back: only the ctime (part of the recorded stamp) says it changed.
    utimesSync(join(root, 'same.txt'), atime, mtime);
    unlinkSync(join(root, 'gone.txt'));
    const fresh = await CheckpointStore.open(root);
    const second = await fresh.snapshot('second');
    expect(second.changed).toBe(2);
    expect(await fresh.diff(first.id, second.id)).toEqual([
      { path: 'gone.txt', status: 'deleted' },
      { path: 'same.txt', status: 'modified' },
    ]);
    expect(storeGit(root, ['show', `${second.id}:same.txt`])).toBe('v2\n');
  });

  it('keeps the listing while no folder changed, and lists again when a folder or an ignore file does', async () => {
    const root = workspace();
    // A .gitignore that ignores itself is never listed: only its stamp says the rules changed.
    write(root, '.gitignore', '.gitignore\nsecret.txt\n');
    write(root, 'secret.txt', 'hidden\n');
    write(root, 'src/a.txt', 'a\n');
    write(root, 'vendor/lib/x.txt', 'x\n');
    // Older than the first snapshot's clock, so its listing is kept (not racy).
    await new Promise((done) => setTimeout(done, 50));
    const cacheFile = join(root, '.oxydra', 'checkpoints.git', 'oxydra-capture-cache.json');
    const paths = () =>
      (JSON.parse(readFileSync(cacheFile, 'utf8')) as { listing?: { paths: string[] } }).listing?.paths;
    await (await CheckpointStore.open(root)).snapshot('first');
    expect(paths()).toEqual(['src/a.txt', 'vendor/lib/x.txt']);
    write(root, 'src/a.txt', 'edited\n');
    const edited = await (await CheckpointStore.open(root)).snapshot('edit');
    expect(edited.changed).toBe(1);
    write(root, '.gitignore', '.gitignore\n');
    const unignored = await (await CheckpointStore.open(root)).snapshot('rules');
    expect(storeGit(root, ['show', `${unignored.id}:secret.txt`])).toBe('hidden\n');
    execFileSync('git', ['init', '-q', join(root, 'vendor')], { env: { PATH: process.env.PATH } });
    const nested = await (await CheckpointStore.open(root)).snapshot('nested');
    expect(nested.skipped).toEqual(['vendor/']);
    rmSync(join(root, 'vendor', '.git'), { recursive: true });
    write(root, 'src/b.txt', 'b\n');
    const back = await (await CheckpointStore.open(root)).snapshot('back');
    expect(await (await CheckpointStore.open(root)).diff(nested.id, back.id)).toEqual([
      { path: 'src/b.txt', status: 'added' },
      { path: 'vendor/lib/x.txt', status: 'added' },
    ]);
  });

  it('reads every file again when the cache is damaged', async () => {
    const root = workspace();
    write(root, 'a.txt', 'one\n');
    await (await CheckpointStore.open(root)).snapshot('first');
    writeFileSync(
      join(root, '.oxydra', 'checkpoints.git', 'oxydra-capture-cache.json'),
      '{"format":1,"clockNs":"x',
    );
    write(root, 'a.txt', 'two\n');
    const second = await (await CheckpointStore.open(root)).snapshot('second');
    expect(second.changed).toBe(1);
    expect(storeGit(root, ['show', `${second.id}:a.txt`])).toBe('two\n');
  });

  it('never opens a FIFO, even one standing where a captured file was', async () => {
    const root = workspace();
    write(root, 'data.txt', 'data\n');
    write(root, 'later.txt', 'later\n');
    const store = await CheckpointStore.open(root);
    const first = await store.snapshot('first');
    execFileSync('mkfifo', [join(root, 'pipe')]);
    unlinkSync(join(root, 'later.txt'));
    execFileSync('mkfifo', [join(root, 'later.txt')]);
    // Opening either FIFO for reading would block this snapshot forever.
    const second = await store.snapshot('second');
    expect(await store.diff(first.id, second.id)).toEqual([{ path: 'later.txt', status: 'deleted' }]);
    expect(storeGit(root, ['ls-tree', '--name-only', second.id])).not.toContain('pipe');
    expect(lstatSync(join(root, 'pipe')).isFIFO()).toBe(true);
  });

  it('skips a name that is not UTF-8 and leaves it alone on restore', async () => {
    const root = workspace();
    write(root, 'plain.txt', 'plain\n');
    const store = await CheckpointStore.open(root);
    const first = await store.snapshot('first');
    const odd = Buffer.concat([Buffer.from(`${root}/odd-`), Buffer.from([0xff, 0xfe]), Buffer.from('.txt')]);
    writeFileSync(odd, 'bytes\n');
    const second = await store.snapshot('second');
    expect(second.skipped).toHaveLength(1);
    await store.restore(first.id);
    expect(existsSync(odd)).toBe(true);
    expect(readFileSync(odd, 'utf8')).toBe('bytes\n');
  });

  it('ends exact when a file is rewritten while snapshots run', async () => {
    const root = workspace();
    write(root, 'busy.txt', 'start\n');
    const store = await CheckpointStore.open(root);
    let round = 0;
    const writer = setInterval(() => {
      round++;
      writeFileSync(join(root, 'busy.txt'), `round ${round % 10}\n`.repeat(1 + (round % 3)));
    }, 1);
    try {
      for (let i = 0; i < 5; i++) await store.snapshot(`during ${i}`);
    } finally {
      clearInterval(writer);
    }
    const last = await store.snapshot('after');
    expect(storeGit(root, ['show', `${last.id}:busy.txt`])).toBe(
      readFileSync(join(root, 'busy.txt'), 'utf8'),
    );
    expect(await (await CheckpointStore.open(root)).changedSince(last.id)).toEqual([]);
  });
});
