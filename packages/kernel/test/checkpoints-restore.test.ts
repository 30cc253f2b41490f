/**
 * The CheckpointStore's restore: every kind of change put back exactly (and redone), only the
 * given paths when asked, a user's repository, .gitignored files, files over maxFileBytes and
 * nested repositories left alone, hostile names and CRLF bytes kept, files and folders swapped at
 * one path, and never a write through a symlink. Diffs, listings, tags and locks:
 * checkpoints-history.test.ts.
 */
import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  unlinkSync,
} from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CheckpointStore } from '../src/services/checkpoints/index.js';
import { listTree, userGit, useWorkspaces } from './checkpoints-helpers.js';

describe('CheckpointStore', () => {
  const { workspace, write, seed } = useWorkspaces();

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
});
