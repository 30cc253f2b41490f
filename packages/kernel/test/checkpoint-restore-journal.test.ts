/**
 * A restore writes each file under a temporary name and renames it into place; a process killed
 * in between left `.oxydra-restore-*` files in the user's folders for good. The restore's journal
 * names them, and the store's next operation (under the same lock) removes exactly those.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CheckpointStore } from '../src/services/checkpoints/index.js';
import { beginRestoreJournal } from '../src/services/checkpoints/restore-journal.js';
import { tempFolders } from './temp-folders.js';

const dist = (path: string) => JSON.stringify(fileURLToPath(new URL(`../dist/${path}`, import.meta.url)));
const temporaries = (dir: string) =>
  fs.readdirSync(dir).filter((name) => name.startsWith('.oxydra-restore-'));
const BIG = 32 * 1024 * 1024;

describe('temporary files of a restore killed mid-write', () => {
  const { folder } = tempFolders('oxydra-restore-journal-');

  it('are removed by the next operation, and only they', { timeout: 60_000 }, async () => {
    const root = folder();
    fs.mkdirSync(join(root, 'a'));
    fs.writeFileSync(join(root, 'a/big.bin'), Buffer.alloc(BIG, 1));
    const options = { maxFileBytes: 2 * BIG };
    const store = await CheckpointStore.open(root, options);
    const ones = await store.snapshot('ones');
    fs.writeFileSync(join(root, 'a/big.bin'), Buffer.alloc(BIG, 2));
    const twos = await store.snapshot('twos');
    // A process restoring the two checkpoints in turn, killed while a temporary is being written.
    const child = spawn(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `const { CheckpointStore } = await import(${dist('services/checkpoints/index.js')});
         const store = await CheckpointStore.open(${JSON.stringify(root)}, ${JSON.stringify(options)});
         for (;;) for (const id of ${JSON.stringify([ones.id, twos.id])}) await store.restore(id);`,
      ],
      { stdio: 'ignore' },
    );
    const exited = new Promise((resolve) => child.once('exit', resolve));
    try {
      while (temporaries(join(root, 'a')).length === 0) {
        if (child.exitCode !== null) throw new Error(`the restoring process exited (${child.exitCode})`);
        await new Promise((resolve) => setImmediate(resolve));
      }
    } finally {
      child.kill('SIGKILL');
      await exited;
    }
    expect(temporaries(join(root, 'a'))).toHaveLength(1);
    // The user's own file of a look-alike name (another prefix) is never touched.
    fs.writeFileSync(join(root, 'a/.oxydra-restore-0123456789abcdef-1'), 'mine');

    const after = await CheckpointStore.open(root, options);
    await after.snapshot('after the crash');

    expect(temporaries(join(root, 'a'))).toEqual(['.oxydra-restore-0123456789abcdef-1']);
    expect(fs.existsSync(join(after.gitDir, 'restore-journal.json'))).toBe(false);
    // The file itself is whole, one checkpoint's or the other's.
    const content = fs.readFileSync(join(root, 'a/big.bin'));
    expect(content.length).toBe(BIG);
    expect([1, 2]).toContain(content[BIG - 1]);
  });

  it('a finished restore leaves neither temporaries nor a journal', async () => {
    const root = folder();
    fs.writeFileSync(join(root, 'f'), 'one');
    const store = await CheckpointStore.open(root);
    const one = await store.snapshot('one');
    fs.writeFileSync(join(root, 'f'), 'two');
    await store.restore(one.id);
    expect(fs.readFileSync(join(root, 'f'), 'utf8')).toBe('one');
    expect(temporaries(root)).toEqual([]);
    expect(fs.existsSync(join(store.gitDir, 'restore-journal.json'))).toBe(false);
  });

  it('sweeps nothing through a folder that became a link, nor by a journal with a foreign prefix', async () => {
    const root = folder();
    const outside = folder();
    fs.mkdirSync(join(root, 'a'));
    const store = await CheckpointStore.open(root);
    await store.snapshot('one');
    const journal = await beginRestoreJournal(store.gitDir, ['a']);
    const leftover = journal.temporaryName(1);
    // The folder swapped for a link to another folder holding a file of that very name.
    fs.rmdirSync(join(root, 'a'));
    fs.symlinkSync(outside, join(root, 'a'));
    fs.writeFileSync(join(outside, leftover), 'not ours');
    await store.snapshot('two');
    expect(fs.readFileSync(join(outside, leftover), 'utf8')).toBe('not ours');

    // A journal (however it came to be) whose prefix is not one a restore makes removes nothing.
    fs.writeFileSync(join(root, 'notes.txt'), 'mine');
    fs.writeFileSync(
      join(store.gitDir, 'restore-journal.json'),
      JSON.stringify({ prefix: 'notes', dirs: [''] }),
    );
    await store.snapshot('three');
    expect(fs.readFileSync(join(root, 'notes.txt'), 'utf8')).toBe('mine');
    expect(fs.existsSync(join(store.gitDir, 'restore-journal.json'))).toBe(false);
  });
});
