/**
 * A restore never removes through a link: a folder swapped for a link to a folder outside
 * between the restore's capture and its removals (a sandboxed command of another turn running
 * meanwhile) leaves the outside files where they are. The swap happens at a fixed point: when
 * the restore first looks at the path it is about to write (an lstat of it).
 */
import {
  existsSync,
  lstatSync,
  mkdirSync,
  renameSync,
  symlinkSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { CheckpointStore } from '../src/services/checkpoints/index.js';
import { tempFolders } from './temp-folders.js';

const hook = vi.hoisted(() => ({ at: '', swap: undefined as undefined | (() => void) }));
vi.mock('node:fs/promises', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs/promises')>();
  const lstat = ((path: string, ...rest: []) => {
    if (String(path) === hook.at && hook.swap) {
      const swap = hook.swap;
      hook.swap = undefined;
      swap();
    }
    return real.lstat(path, ...rest);
  }) as typeof real.lstat;
  return { ...real, default: { ...real, lstat }, lstat };
});

describe('a restore racing a command that swaps a folder for a link', () => {
  const { folder } = tempFolders('oxydra-remove-race-');
  afterEach(() => {
    hook.swap = undefined;
  });

  it('removes nothing from where the link points', async () => {
    const root = folder();
    const outside = folder();
    writeFileSync(join(outside, 'x'), 'not the workspace\n');
    writeFileSync(join(root, 'b'), 'put back\n');
    const store = await CheckpointStore.open(root);
    const checkpoint = await store.snapshot('one');
    // Since: b deleted, a/x added; the restore removes a/x and writes b.
    unlinkSync(join(root, 'b'));
    mkdirSync(join(root, 'a'));
    writeFileSync(join(root, 'a/x'), 'added since\n');
    hook.at = join(root, 'b');
    hook.swap = () => {
      renameSync(join(root, 'a'), join(root, 'a.moved'));
      symlinkSync(outside, join(root, 'a'));
    };

    const report = await store.restore(checkpoint.id);

    // Before: unlink(<workspace>/a/x) went through the link and deleted outside/x.
    expect(hook.swap).toBeUndefined();
    expect(existsSync(join(outside, 'x'))).toBe(true);
    expect(report.kept).toContain('a/x');
    expect(report.removed).not.toContain('a/x');
    expect(lstatSync(join(root, 'a')).isSymbolicLink()).toBe(true);
  });
});
