/**
 * A restore never creates a file through a link: a folder swapped for a link to a folder outside
 * while the restore writes its files (a sandboxed command of another turn, or another local user,
 * running meanwhile) gets nothing written where the link points. The swap happens at a fixed
 * point (git-gate.ts): once the folder's first file is written, before git hands over the second
 * one. `git checkout-index` checked the folder for the first file and then, by its cache, opened
 * the second one through the link (as root: a file in `/etc/cron.d`).
 */
import * as fs from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CheckpointStore } from '../src/services/checkpoints/index.js';
import { linkInstead, swapOnceWritten } from './git-gate.js';
import { tempFolders } from './temp-folders.js';

describe('a restore racing a command that swaps a folder for a link while files are written', () => {
  const { folder } = tempFolders('oxydra-write-race-');
  const savedPath = process.env.PATH ?? '';
  afterEach(() => {
    process.env.PATH = savedPath;
  });

  it('creates nothing where the link points', async () => {
    const root = folder();
    const outside = folder();
    const files = { 'a/w': 'first\n', 'a/x': '* * * * * root echo owned\n' };
    fs.mkdirSync(join(root, 'a'));
    for (const [path, text] of Object.entries(files)) fs.writeFileSync(join(root, path), text);
    const store = await CheckpointStore.open(root);
    const checkpoint = await store.snapshot('one');
    for (const path of Object.keys(files)) fs.unlinkSync(join(root, path));
    process.env.PATH = swapOnceWritten(
      folder(),
      join(root, 'a/w'),
      linkInstead(root, 'a', outside),
      savedPath,
    );

    const report = await store.restore(checkpoint.id);

    // Before: outside/x was created through the link.
    expect(fs.readdirSync(outside)).toEqual([]);
    expect(fs.lstatSync(join(root, 'a')).isSymbolicLink()).toBe(true);
    expect(fs.readFileSync(join(root, 'a.moved/w'), 'utf8')).toBe('first\n');
    // Written into the folder it pinned (moved since, still in the workspace), or kept.
    const inMoved = fs.existsSync(join(root, 'a.moved/x'));
    expect(inMoved ? report.written : report.kept).toContain('a/x');
  });

  it('puts back files with their exact modes, links as links, and deleted folders', async () => {
    const root = folder();
    fs.mkdirSync(join(root, 'd/e'), { recursive: true });
    fs.writeFileSync(join(root, 'd/e/run.sh'), '#!/bin/sh\n', { mode: 0o750 });
    fs.writeFileSync(join(root, 'secret'), 'mine\n', { mode: 0o600 });
    fs.writeFileSync(join(root, 'empty'), '');
    const link = join(root, 'link');
    fs.chmodSync(join(root, 'd/e/run.sh'), 0o750);
    fs.chmodSync(join(root, 'secret'), 0o600);
    fs.symlinkSync('d/e/run.sh', link);
    const store = await CheckpointStore.open(root);
    const checkpoint = await store.snapshot('one');
    fs.rmSync(join(root, 'd'), { recursive: true });
    fs.writeFileSync(join(root, 'secret'), 'changed\n');
    fs.unlinkSync(link);
    fs.writeFileSync(link, 'a file now\n');
    fs.unlinkSync(join(root, 'empty'));

    const report = await store.restore(checkpoint.id);

    expect(report.written).toEqual(['d/e/run.sh', 'empty', 'link', 'secret']);
    expect(fs.readFileSync(join(root, 'd/e/run.sh'), 'utf8')).toBe('#!/bin/sh\n');
    expect(fs.lstatSync(join(root, 'd/e/run.sh')).mode & 0o7777).toBe(0o750);
    expect(fs.lstatSync(join(root, 'secret')).mode & 0o7777).toBe(0o600);
    expect(fs.readFileSync(join(root, 'secret'), 'utf8')).toBe('mine\n');
    expect(fs.readFileSync(join(root, 'empty'), 'utf8')).toBe('');
    expect(fs.lstatSync(link).isSymbolicLink()).toBe(true);
    expect(fs.readlinkSync(link)).toBe('d/e/run.sh');
    // No temporary name left behind.
    expect(fs.readdirSync(root).filter((name) => name.startsWith('.oxydra-restore-'))).toEqual([]);
  });
});
