import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  unlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CheckpointStore, GitMissingError } from '../src/services/checkpoints/index.js';

type Node = { type: 'file' | 'dir' | 'symlink'; mode: number; content: string };

/** path → {type, mode & 0o7777, sha256 or link target}; skips our own `.oxydra/` unless asked. */
function listTree(root: string, options: { skip?: string[] } = {}): Record<string, Node> {
  const skip = new Set(options.skip ?? ['.oxydra']);
  const out: Record<string, Node> = {};
  const walk = (rel: string) => {
    for (const name of readdirSync(join(root, rel)).sort()) {
      const path = rel === '' ? name : `${rel}/${name}`;
      if (skip.has(path)) continue;
      const full = join(root, path);
      const info = lstatSync(full);
      const mode = info.mode & 0o7777;
      if (info.isSymbolicLink()) out[path] = { type: 'symlink', mode: 0, content: readlinkSync(full) };
      else if (info.isDirectory()) {
        out[path] = { type: 'dir', mode, content: '' };
        walk(path);
      } else {
        const sha = createHash('sha256').update(readFileSync(full)).digest('hex');
        out[path] = { type: 'file', mode, content: sha };
      }
    }
  };
  walk('');
  return out;
}

/** The user's own git, with none of the test's GIT_* variables leaking in. */
function userGit(cwd: string, args: string[]): string {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) if (!key.startsWith('GIT_')) env[key] = value;
  Object.assign(env, {
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_AUTHOR_NAME: 'User',
    GIT_AUTHOR_EMAIL: 'user@example.invalid',
    GIT_COMMITTER_NAME: 'User',
    GIT_COMMITTER_EMAIL: 'user@example.invalid',
  });
  return execFileSync('git', args, { cwd, env, encoding: 'utf8' });
}

describe('CheckpointStore', () => {
  const dirs: string[] = [];
  const savedEnv = { ...process.env };
  afterEach(() => {
    for (const key of Object.keys(process.env)) if (!(key in savedEnv)) delete process.env[key];
    Object.assign(process.env, savedEnv);
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  const workspace = (): string => {
    const dir = mkdtempSync(join(tmpdir(), 'oxydra-checkpoints-'));
    dirs.push(dir);
    return dir;
  };
  const write = (root: string, path: string, content: string | Buffer, mode = 0o644) => {
    mkdirSync(join(root, path, '..'), { recursive: true });
    writeFileSync(join(root, path), content);
    chmodSync(join(root, path), mode);
  };

  /** A tree with a bit of everything restore must get right. */
  const seed = (root: string) => {
    write(root, 'README.md', '# hello\n');
    write(root, 'src/main.ts', 'export const a = 1;\n');
    write(root, 'src/deep/nested/leaf.txt', 'leaf\n');
    write(root, 'bin/run.sh', '#!/bin/sh\necho run\n', 0o755);
    write(root, 'secrets/key.pem', 'private\n', 0o600);
    mkdirSync(join(root, 'empty/inner'), { recursive: true });
    chmodSync(join(root, 'empty'), 0o750);
    symlinkSync('src/main.ts', join(root, 'link-to-main'));
    symlinkSync('../nowhere', join(root, 'dangling'));
  };

  it('restores creates, edits, deletes, chmods, symlinks and directories exactly, and redoes', async () => {
    const root = workspace();
    seed(root);
    const store = await CheckpointStore.open(root);
    const a = await store.snapshot('before edits', { kind: 'before' });
    const treeA = listTree(root);

    write(root, 'src/main.ts', 'export const a = 2;\n');
    write(root, 'src/new/file.ts', 'new\n');
    rmSync(join(root, 'src/deep'), { recursive: true });
    chmodSync(join(root, 'secrets/key.pem'), 0o644);
    chmodSync(join(root, 'bin/run.sh'), 0o644);
    unlinkSync(join(root, 'link-to-main'));
    symlinkSync('README.md', join(root, 'link-to-main'));
    rmSync(join(root, 'empty'), { recursive: true });
    mkdirSync(join(root, 'fresh-empty'));
    unlinkSync(join(root, 'README.md'));
    symlinkSync('bin', join(root, 'README.md'));
    const b = await store.snapshot('after edits', { kind: 'after' });
    const treeB = listTree(root);
    expect(treeB).not.toEqual(treeA);
    expect(b.parent).toBe(a.id);
    expect(b.changed).toBeGreaterThanOrEqual(8);

    const report = await store.restore(a.id);
    expect(listTree(root)).toEqual(treeA);
    expect(report.removed).toEqual(expect.arrayContaining(['src/new/file.ts', 'src/new/', 'fresh-empty/']));
    expect(report.written).toEqual(
      expect.arrayContaining([
        'src/main.ts',
        'src/deep/nested/leaf.txt',
        'link-to-main',
        'README.md',
        'empty/',
      ]),
    );
    expect(report.modes).toEqual(expect.arrayContaining(['secrets/key.pem', 'bin/run.sh']));
    expect(lstatSync(join(root, 'secrets/key.pem')).mode & 0o777).toBe(0o600);
    expect(lstatSync(join(root, 'empty')).mode & 0o777).toBe(0o750);

    // Redo: back to the later checkpoint.
    await store.restore(b.id);
    expect(listTree(root)).toEqual(treeB);

    // A snapshot taken after a restore matches the restored checkpoint (the index was left sane).
    await store.restore(a.id);
    const c = await store.snapshot('after undo', {});
    expect(await store.diff(a.id, c.id)).toEqual([]);
    expect(c.changed).toBe((await store.diff(b.id, a.id)).length);
  });

  it('restores only the given paths: other changes stay, gone folders come back, emptied ones stay', async () => {
    const root = workspace();
    seed(root);
    mkdirSync(join(root, 'kept-dir'));
    const store = await CheckpointStore.open(root);
    const base = await store.snapshot('base');
    // What a run changes: an edit, a file in a folder that was there, a deleted tree.
    write(root, 'README.md', '# changed\n');
    write(root, 'kept-dir/new.txt', 'new\n');
    rmSync(join(root, 'src/deep'), { recursive: true });
    const runChanges = (await store.diff(base.id)).map((change) => change.path);
    // Then something else, outside the run's paths.
    write(root, 'other.txt', 'not the run\n');
    write(root, 'src/main.ts', 'export const a = 2;\n');
    const report = await store.restore(base.id, { paths: runChanges });
    expect(readFileSync(join(root, 'README.md'), 'utf8')).toBe('# hello\n');
    expect(existsSync(join(root, 'kept-dir/new.txt'))).toBe(false);
    expect(lstatSync(join(root, 'kept-dir')).isDirectory()).toBe(true);
    expect(readFileSync(join(root, 'src/deep/nested/leaf.txt'), 'utf8')).toBe('leaf\n');
    expect(readFileSync(join(root, 'other.txt'), 'utf8')).toBe('not the run\n');
    expect(readFileSync(join(root, 'src/main.ts'), 'utf8')).toBe('export const a = 2;\n');
    expect(report.removed).toEqual(['kept-dir/new.txt']);
    expect(report.written).toContain('README.md');
    expect(report.written).not.toContain('src/main.ts');
  });

  it('leaves a user repository in the workspace untouched', async () => {
    const root = workspace();
    userGit(root, ['init', '-q']);
    write(root, 'tracked.txt', 'v1\n');
    userGit(root, ['add', 'tracked.txt']);
    userGit(root, ['commit', '-q', '-m', 'user commit']);
    write(root, 'tracked.txt', 'v2 uncommitted\n');
    const statusBefore = userGit(root, ['status', '--porcelain']);
    const headBefore = userGit(root, ['rev-parse', 'HEAD']);
    const gitBefore = listTree(join(root, '.git'), { skip: [] });

    const store = await CheckpointStore.open(root);
    const a = await store.snapshot('one', {});
    write(root, 'tracked.txt', 'v3\n');
    write(root, 'other.txt', 'other\n');
    await store.snapshot('two', {});
    await store.restore(a.id);

    expect(listTree(join(root, '.git'), { skip: [] })).toEqual(gitBefore);
    expect(userGit(root, ['status', '--porcelain'])).toBe(statusBefore);
    expect(userGit(root, ['rev-parse', 'HEAD'])).toBe(headBefore);
    expect(readFileSync(join(root, 'tracked.txt'), 'utf8')).toBe('v2 uncommitted\n');
    expect(existsSync(join(root, 'other.txt'))).toBe(false);
    // Our history lives in .oxydra, and never captured the user's .git.
    const listed = execFileSync('git', ['ls-tree', '-r', '--name-only', a.id], {
      env: { ...process.env, GIT_DIR: store.gitDir },
      encoding: 'utf8',
    });
    expect(listed.split('\n').filter(Boolean).sort()).toEqual([
      '.oxydra/checkpoint-manifest.json',
      'tracked.txt',
    ]);
  });

  it('never captures nor removes .gitignored files', async () => {
    const root = workspace();
    write(root, '.gitignore', '*.log\nnode_modules/\n');
    write(root, 'app.ts', 'app\n');
    write(root, 'debug.log', 'old log\n');
    write(root, 'node_modules/pkg/index.js', 'dep\n');
    const store = await CheckpointStore.open(root);
    const a = await store.snapshot('one', {});

    write(root, 'debug.log', 'new log\n');
    write(root, 'later.log', 'created later\n');
    write(root, 'node_modules/pkg/extra.js', 'extra\n');
    write(root, 'app.ts', 'app v2\n');
    expect(await store.changedSince(a.id)).toEqual(['app.ts']);
    await store.restore(a.id);

    expect(readFileSync(join(root, 'app.ts'), 'utf8')).toBe('app\n');
    expect(readFileSync(join(root, 'debug.log'), 'utf8')).toBe('new log\n');
    expect(readFileSync(join(root, 'later.log'), 'utf8')).toBe('created later\n');
    expect(readFileSync(join(root, 'node_modules/pkg/extra.js'), 'utf8')).toBe('extra\n');

    // A file that becomes ignored stops being captured.
    write(root, '.gitignore', '*.log\nnode_modules/\napp.ts\n');
    const b = await store.snapshot('two', {});
    expect((await store.diff(a.id, b.id)).map((c) => c.path)).toEqual(['.gitignore', 'app.ts']);
    expect((await store.diff(a.id, b.id)).find((c) => c.path === 'app.ts')?.status).toBe('deleted');

    // Restoring the checkpoint that still had app.ts must not overwrite the now-ignored copy.
    write(root, 'app.ts', 'ignored edit\n');
    const report = await store.restore(a.id);
    expect(report.kept).toEqual(['app.ts']);
    expect(report.written).toEqual(['.gitignore']);
    expect(readFileSync(join(root, 'app.ts'), 'utf8')).toBe('ignored edit\n');
  });

  it('skips files over maxFileBytes, reports them, and never deletes or overwrites them', async () => {
    const root = workspace();
    write(root, 'small.txt', 'small\n');
    write(root, 'big.bin', Buffer.alloc(2_000, 1));
    write(root, 'grows.txt', 'tiny\n');
    const store = await CheckpointStore.open(root, { maxFileBytes: 1_000 });
    const a = await store.snapshot('one', {});
    expect(a.skipped).toEqual(['big.bin']);
    expect((await store.get(a.id))?.skipped).toEqual(['big.bin']);

    write(root, 'big.bin', Buffer.alloc(3_000, 2));
    write(root, 'huge-new.bin', Buffer.alloc(5_000, 3));
    write(root, 'grows.txt', Buffer.alloc(4_000, 4));
    write(root, 'small.txt', 'changed\n');
    const b = await store.snapshot('two', {});
    expect(b.skipped).toEqual(['big.bin', 'grows.txt', 'huge-new.bin']);

    const report = await store.restore(a.id);
    expect(readFileSync(join(root, 'small.txt'), 'utf8')).toBe('small\n');
    expect(readFileSync(join(root, 'big.bin'))).toEqual(Buffer.alloc(3_000, 2));
    expect(readFileSync(join(root, 'huge-new.bin'))).toEqual(Buffer.alloc(5_000, 3));
    expect(readFileSync(join(root, 'grows.txt'))).toEqual(Buffer.alloc(4_000, 4));
    expect(report.kept).toEqual(['grows.txt']);
    expect(report.removed).toEqual([]);
  });

  it('skips nested repositories and leaves them alone on restore', async () => {
    const root = workspace();
    write(root, 'app.ts', 'app\n');
    write(root, 'vendor/lib/lib.ts', 'lib v1\n');
    userGit(join(root, 'vendor/lib'), ['init', '-q']);
    const store = await CheckpointStore.open(root);
    const a = await store.snapshot('one', {});
    expect(a.skipped).toEqual(['vendor/lib/']);
    write(root, 'vendor/lib/lib.ts', 'lib v2\n');
    write(root, 'vendor/lib/new.ts', 'new\n');
    write(root, 'app.ts', 'app v2\n');
    expect(await store.changedSince(a.id)).toEqual(['app.ts']);
    const report = await store.restore(a.id);
    expect(report).toEqual({ removed: [], written: ['app.ts'], modes: [], kept: [] });
    expect(readFileSync(join(root, 'vendor/lib/lib.ts'), 'utf8')).toBe('lib v2\n');
    expect(readFileSync(join(root, 'vendor/lib/new.ts'), 'utf8')).toBe('new\n');
    expect(existsSync(join(root, 'vendor/lib/.git/HEAD'))).toBe(true);
  });

  it('does nothing when restoring the current state, and rejects unknown checkpoints', async () => {
    const root = workspace();
    const store = await CheckpointStore.open(root);
    expect(await store.list()).toEqual([]);
    write(root, 'f.txt', 'f\n');
    const a = await store.snapshot('one', {});
    expect(a.changed).toBe(1);
    expect(a.parent).toBeUndefined();
    const tree = listTree(root);
    expect(await store.restore(a.id)).toEqual({ removed: [], written: [], modes: [], kept: [] });
    expect(listTree(root)).toEqual(tree);
    await expect(store.restore('0000000')).rejects.toThrow('no such checkpoint');
    await expect(store.diff('nope')).rejects.toThrow('no such checkpoint');
  });

  it('sees a same-size edit made in the second of the snapshot, diffed a second later (racy git)', async () => {
    const root = workspace();
    write(root, 'twice.txt', 'v1\n');
    const store = await CheckpointStore.open(root);
    const before = await store.snapshot('before');
    // Same size, same second as the write the index cached: only git's racy check tells them apart.
    write(root, 'twice.txt', 'v2\n');
    const second = Math.floor(Date.now() / 1000);
    while (Math.floor(Date.now() / 1000) === second) await new Promise((done) => setTimeout(done, 50));
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

  it('handles hostile file names', async () => {
    const root = workspace();
    const names = [
      'with space.txt',
      'new\nline.txt',
      '-leading-dash',
      '--force',
      'ünïcödé/文件.txt',
      ':magic',
      '*star*',
      '[brackets]',
      '#hash',
      '!bang',
      'trailing space ',
      'back\\slash',
      'quote"s',
    ];
    for (const [i, name] of names.entries()) write(root, name, `content ${i}\n`);
    mkdirSync(join(root, '-dash dir\nnl'));
    const store = await CheckpointStore.open(root);
    const a = await store.snapshot('hostile', {});
    const tree = listTree(root);
    expect(Object.keys(tree)).toHaveLength(names.length + 2);
    for (const name of names) rmSync(join(root, name));
    rmSync(join(root, '-dash dir\nnl'), { recursive: true });
    write(root, 'new\nline.txt', 'changed\n');
    const changed = await store.changedSince(a.id);
    expect(changed).toEqual([...names, '-dash dir\nnl/'].sort());
    await store.restore(a.id);
    expect(listTree(root)).toEqual(tree);
  });

  it('keeps CRLF bytes even when .gitattributes asks for conversion', async () => {
    const root = workspace();
    write(root, '.gitattributes', '* text=auto eol=lf\n*.txt filter=nonexistent ident\n');
    write(root, 'dos.txt', 'line1\r\nline2\r\n$Id$\r\n');
    const store = await CheckpointStore.open(root);
    const a = await store.snapshot('crlf', {});
    const tree = listTree(root);
    write(root, 'dos.txt', 'changed\n');
    await store.restore(a.id);
    expect(listTree(root)).toEqual(tree);
    expect(readFileSync(join(root, 'dos.txt'), 'utf8')).toBe('line1\r\nline2\r\n$Id$\r\n');
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

  it('swaps files and directories at the same path both ways', async () => {
    const root = workspace();
    write(root, 'x', 'x is a file\n');
    write(root, 'd/inner.txt', 'inner\n');
    const store = await CheckpointStore.open(root);
    const a = await store.snapshot('files', {});
    const treeA = listTree(root);
    rmSync(join(root, 'x'));
    write(root, 'x/y/z.txt', 'now a dir\n');
    rmSync(join(root, 'd'), { recursive: true });
    write(root, 'd', 'd is a file\n');
    const b = await store.snapshot('dirs', {});
    const treeB = listTree(root);
    await store.restore(a.id);
    expect(listTree(root)).toEqual(treeA);
    await store.restore(b.id);
    expect(listTree(root)).toEqual(treeB);
  });

  it('refuses a restore that would delete an ignored file standing in the way', async () => {
    const root = workspace();
    write(root, '.gitignore', '*.log\n');
    write(root, 'out', 'a file\n');
    const store = await CheckpointStore.open(root);
    const a = await store.snapshot('one', {});
    unlinkSync(join(root, 'out'));
    write(root, 'out/keep.log', 'precious\n');
    await expect(store.restore(a.id)).rejects.toThrow('restore refused');
    expect(readFileSync(join(root, 'out/keep.log'), 'utf8')).toBe('precious\n');
  });

  it('does not write through a symlinked directory', async () => {
    const root = workspace();
    const outside = workspace();
    write(root, 'dir/file.txt', 'inside\n');
    const store = await CheckpointStore.open(root);
    const a = await store.snapshot('one', {});
    rmSync(join(root, 'dir'), { recursive: true });
    symlinkSync(outside, join(root, 'dir'));
    await store.restore(a.id);
    expect(lstatSync(join(root, 'dir')).isDirectory()).toBe(true);
    expect(readFileSync(join(root, 'dir/file.txt'), 'utf8')).toBe('inside\n');
    expect(readdirSync(outside)).toEqual([]);
  });

  it('puts a folder back over a symlink to a folder outside that holds the same names', async () => {
    const root = workspace();
    const outside = workspace();
    write(root, 'dir/file.txt', 'inside\n');
    write(outside, 'file.txt', 'outside\n');
    const store = await CheckpointStore.open(root);
    const a = await store.snapshot('one', {});
    rmSync(join(root, 'dir'), { recursive: true });
    symlinkSync(outside, join(root, 'dir'));
    // The symlink goes first, so what stands below it now (outside) is no reason to keep the path.
    const report = await store.restore(a.id);
    expect(report.kept).toEqual([]);
    expect(report.written).toContain('dir/file.txt');
    expect(lstatSync(join(root, 'dir')).isDirectory()).toBe(true);
    expect(readFileSync(join(root, 'dir/file.txt'), 'utf8')).toBe('inside\n');
    expect(readFileSync(join(outside, 'file.txt'), 'utf8')).toBe('outside\n');
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
