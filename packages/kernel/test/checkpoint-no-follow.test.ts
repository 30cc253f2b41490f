/**
 * A restore and a capture never act through a link: a folder the restore's paths leave alone
 * that is a link now, and a file or folder swapped for a link while the restore or the capture
 * runs (a sandboxed command of another turn). The swaps happen at a fixed point: a `git` first
 * on PATH runs the real git, then the swap, as a command running meanwhile would, or swaps once
 * a restored file is written (git-gate.ts).
 */
import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  rmdirSync,
  statSync,
  symlinkSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { KernelAudit } from '../src/services/audit/audit-log.js';
import { CheckpointStore } from '../src/services/checkpoints/index.js';
import { chmodNoFollow, unlinkNoFollow } from '../src/services/checkpoints/no-follow.js';
import { WorkspaceHistory } from '../src/services/history/workspace-history.js';
import { gateGit, linkInstead, swapOnceWritten } from './git-gate.js';
import { tempFolders } from './temp-folders.js';

const REAL_GIT = execFileSync('sh', ['-c', 'command -v git'], { encoding: 'utf8' }).trim();

describe('restore and capture never follow a link', () => {
  const { folder } = tempFolders('oxydra-no-follow-');
  const savedPath = process.env.PATH;
  afterEach(() => {
    process.env.PATH = savedPath;
  });

  /** From now on, every `git <command> ...` of this process runs `swap` (sh) after the real git. */
  const swapAfterGit = (command: string, swap: string) => {
    const bin = folder();
    writeFileSync(
      join(bin, 'git'),
      `#!/bin/sh\n${REAL_GIT} "$@"; rc=$?\ncase " $* " in *" ${command} "*) ${swap} ;; esac\nexit $rc\n`,
      { mode: 0o755 },
    );
    process.env.PATH = `${bin}:${savedPath}`;
  };

  it('an undo leaves a folder alone when one above it is now a link the run never made', async () => {
    const root = folder();
    const outside = folder();
    mkdirSync(join(outside, 'e'), { mode: 0o700 });
    chmodSync(join(outside, 'e'), 0o700);
    mkdirSync(join(root, 'd/e/f'), { recursive: true });
    chmodSync(join(root, 'd/e'), 0o777);
    const store = await CheckpointStore.open(root);
    const before = await store.snapshot('before the run');
    // The run removes two empty folders; its paths are d/e/f/ alone (d/e/ is above it).
    rmdirSync(join(root, 'd/e/f'));
    rmdirSync(join(root, 'd/e'));
    const after = await store.snapshot('after the run');
    const touched = (await store.diff(before.id, after.id)).map((change) => change.path);
    expect(touched).toEqual(['d/e/f/']);
    // Later (another session's turn): d becomes a link to a folder outside holding an e/.
    rmdirSync(join(root, 'd'));
    symlinkSync(outside, join(root, 'd'));

    const report = await store.restore(before.id, { paths: touched });

    // Before: chmod 0777 of outside/e through the link, and outside/e/f created.
    expect(statSync(join(outside, 'e')).mode & 0o777).toBe(0o700);
    expect(() => lstatSync(join(outside, 'e/f'))).toThrow();
    expect(report.kept).toEqual(['d/e/', 'd/e/f/']);
    expect(lstatSync(join(root, 'd')).isSymbolicLink()).toBe(true);
  });

  it('a file swapped for a link once it is written keeps the mode of what the link names', async () => {
    const root = folder();
    const outside = folder();
    writeFileSync(join(outside, 'id_rsa'), 'KEY', { mode: 0o600 });
    writeFileSync(join(root, 'f'), 'x', { mode: 0o666 });
    chmodSync(join(root, 'f'), 0o666);
    const store = await CheckpointStore.open(root);
    const checkpoint = await store.snapshot('one');
    unlinkSync(join(root, 'f'));
    const swap = `ln -s ${outside}/id_rsa ${root}/f.new && mv -f ${root}/f.new ${root}/f`;
    process.env.PATH = swapOnceWritten(folder(), join(root, 'f'), swap, savedPath ?? '');

    const report = await store.restore(checkpoint.id);

    // Before (git wrote the file, Oxydra set its mode after): chmod followed the link, the key
    // became 0666. Now the mode is set before the file takes its name; the link is left alone.
    expect(statSync(join(outside, 'id_rsa')).mode & 0o777).toBe(0o600);
    expect(readFileSync(join(outside, 'id_rsa'), 'utf8')).toBe('KEY');
    expect(lstatSync(join(root, 'f')).isSymbolicLink()).toBe(true);
    expect(report.written).toEqual(['f']);
  });

  it('a link put where a file is restored is replaced, never written through', async () => {
    const root = folder();
    const outside = folder();
    writeFileSync(join(outside, 'id_rsa'), 'KEY', { mode: 0o600 });
    writeFileSync(join(root, 'f'), 'restored\n');
    const store = await CheckpointStore.open(root);
    const checkpoint = await store.snapshot('one');
    unlinkSync(join(root, 'f'));
    process.env.PATH = gateGit(
      folder(),
      { commands: ['checkout-index', '--batch'], feed: 0, swap: `ln -s ${outside}/id_rsa ${root}/f` },
      savedPath ?? '',
    );

    const report = await store.restore(checkpoint.id);

    expect(readFileSync(join(outside, 'id_rsa'), 'utf8')).toBe('KEY');
    expect(statSync(join(outside, 'id_rsa')).mode & 0o777).toBe(0o600);
    expect(lstatSync(join(root, 'f')).isFile()).toBe(true);
    expect(readFileSync(join(root, 'f'), 'utf8')).toBe('restored\n');
    expect(report.written).toEqual(['f']);
  });

  it('a file whose folder is swapped for a link after the listing is not read from outside', async () => {
    const root = folder();
    const outside = folder();
    writeFileSync(join(outside, 'x'), 'SECRET outside the workspace\n');
    mkdirSync(join(root, 'a'));
    writeFileSync(join(root, 'a/x'), 'inside\n');
    const store = await CheckpointStore.open(root);
    swapAfterGit('ls-files', `mv ${root}/a ${root}/a.moved && ln -s ${outside} ${root}/a`);

    const checkpoint = await store.snapshot('taken while a command swaps a folder');

    // Before: a/x in the checkpoint held the outside file's bytes (a restore would write them in).
    process.env.PATH = savedPath;
    const tree = execFileSync(
      'git',
      ['--git-dir', store.gitDir, 'ls-tree', '-r', '--name-only', checkpoint.id],
      {
        encoding: 'utf8',
        env: { PATH: savedPath ?? '', GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null' },
      },
    );
    expect(tree.split('\n')).not.toContain('a/x');
  });

  it.skipIf(process.getuid?.() !== 0)(
    'as root, an undo gives back what it wrote, never a root file a link swapped in names',
    async () => {
      const root = folder();
      const outside = folder();
      writeFileSync(join(outside, 's'), 'root only\n', { mode: 0o600 });
      mkdirSync(join(root, 'a'));
      writeFileSync(join(root, 'a/s'), 'the run deletes this\n');
      chownSync(root, 1000, 1000);
      chownSync(join(root, 'a'), 1000, 1000);
      const audit = { record: async () => {} } as unknown as KernelAudit;
      const history = new WorkspaceHistory(root, { maxFileBytes: 1 << 20, audit });
      await history.commit('before', { kind: 'before', run: 'r-0000000a' });
      unlinkSync(join(root, 'a/s'));
      await history.commit('after', { kind: 'after', run: 'r-0000000a' });
      const swap = linkInstead(root, 'a', outside);
      process.env.PATH = swapOnceWritten(folder(), join(root, 'a/s'), swap, savedPath ?? '');

      await history.undo({ actor: 'test' });

      // Before: outside/s (root's) was chowned to the workspace's owner, and made 0644.
      expect(statSync(join(outside, 's')).uid).toBe(0);
      expect(statSync(join(outside, 's')).mode & 0o777).toBe(0o600);
      expect(readFileSync(join(root, 'a.moved/s'), 'utf8')).toBe('the run deletes this\n');
    },
  );

  it('a path that climbs out of the workspace is refused, not resolved', async () => {
    const parent = folder();
    mkdirSync(join(parent, 'workspace'));
    writeFileSync(join(parent, 'outside'), 'x', { mode: 0o600 });
    chmodSync(join(parent, 'outside'), 0o600);
    expect(await chmodNoFollow(join(parent, 'workspace'), '../outside', 0o666)).toBe(false);
    expect(await unlinkNoFollow(join(parent, 'workspace'), 'a/../../outside')).toBe(false);
    expect(statSync(join(parent, 'outside')).mode & 0o777).toBe(0o600);
  });
});
