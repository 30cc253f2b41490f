/**
 * The log files daemons append to and `oxydra ... logs` reads (src/log-read.ts, log-write.ts):
 * size-capped rotation, following across rotation and truncation, and refusing links planted
 * at the path, on real files.
 */
import {
  appendFileSync,
  linkSync,
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { type TempWorkspace, tempWorkspace } from '@oxydra/testkit/helpers';
import { afterEach, describe, expect, it } from 'vitest';
import { LogFollower, RotatingLogFile, tailLines, UnsafeLogFile } from '../src/exports/admin.js';

let workspace: TempWorkspace | undefined;
let root = '';
afterEach(() => workspace?.cleanup());
const fresh = () => {
  workspace = tempWorkspace({ prefix: 'oxydra-logs-' });
  root = workspace.dir;
  return join(root, 'logs', 'daemon.log');
};

describe('RotatingLogFile', () => {
  it('creates a private file in a private folder and rotates before a line would pass the cap', () => {
    const path = fresh();
    const log = RotatingLogFile.open(path, { maxBytes: 20, keep: 2 });
    for (const line of [
      'one 56789\n',
      'two 56789\n',
      'three 789\n',
      'four 6789\n',
      'five 6789\n',
      'six 56789\n',
    ])
      log.write(line);
    log.close();
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(statSync(join(root, 'logs')).mode & 0o777).toBe(0o700);
    expect(readFileSync(path, 'utf8')).toBe('five 6789\nsix 56789\n');
    expect(readFileSync(`${path}.1`, 'utf8')).toBe('three 789\nfour 6789\n');
    expect(readFileSync(`${path}.2`, 'utf8')).toBe('one 56789\ntwo 56789\n');
  });

  it('reopens the path when another writer rotated it away', () => {
    const path = fresh();
    const a = RotatingLogFile.open(path, { maxBytes: 1000, keep: 1 });
    a.write('a1\n');
    renameSync(path, `${path}.1`); // what a second gateway's rotation does
    a.write('a2\n');
    a.close();
    expect(readFileSync(path, 'utf8')).toBe('a2\n');
    expect(readFileSync(`${path}.1`, 'utf8')).toBe('a1\n');
  });

  it('refuses a symbolic link or a hard link planted at the path, and a folder others may write', () => {
    const path = fresh();
    mkdirSync(join(root, 'logs'), { mode: 0o700 });
    const target = join(root, 'target');
    writeFileSync(target, 'precious\n');
    symlinkSync(target, path);
    expect(() => RotatingLogFile.open(path, { maxBytes: 1000, keep: 1 })).toThrow(
      `${path} is a symbolic link: refusing to write through it`,
    );
    rmSync(path);
    linkSync(target, path);
    expect(() => RotatingLogFile.open(path, { maxBytes: 1000, keep: 1 })).toThrow('has other hard links');
    expect(readFileSync(target, 'utf8')).toBe('precious\n');

    const linkedFolder = join(root, 'linked', 'daemon.log');
    symlinkSync(join(root, 'logs'), join(root, 'linked'));
    expect(() => RotatingLogFile.open(linkedFolder, { maxBytes: 1000, keep: 1 })).toThrow('is not a folder');
  });
});

describe('tailLines and LogFollower', () => {
  it('tail gives the last lines; a link at the path is refused', async () => {
    const path = fresh();
    mkdirSync(join(root, 'logs'));
    expect(await tailLines(path, 5)).toBeUndefined();
    writeFileSync(path, 'a\nb\nc\n');
    expect(await tailLines(path, 2)).toEqual(['b', 'c']);
    const secret = join(root, 'secret');
    writeFileSync(secret, 'key\n');
    rmSync(path);
    symlinkSync(secret, path);
    await expect(tailLines(path, 2)).rejects.toThrow(UnsafeLogFile);
    await expect(LogFollower.start(path)).rejects.toThrow(`refusing to read ${path}: it is a symbolic link`);
  });

  it('follows appends, a rotation (the old file read to its end first), a truncation and a late file', async () => {
    const path = fresh();
    mkdirSync(join(root, 'logs'));
    const late = await LogFollower.start(path);
    expect(await late.poll()).toEqual([]);
    writeFileSync(path, 'old\n');
    const follower = await LogFollower.start(path);
    expect(await late.poll()).toEqual(['old']); // appeared after it started: read from its start
    expect(await follower.poll()).toEqual([]); // started at the end
    appendFileSync(path, 'one\npart');
    expect(await follower.poll()).toEqual(['one']);
    appendFileSync(path, 'ial\nbefore rotation\n');
    renameSync(path, `${path}.1`);
    writeFileSync(path, 'after rotation\n');
    expect(await follower.poll()).toEqual(['partial', 'before rotation', 'after rotation']);
    truncateSync(path, 0);
    appendFileSync(path, 'é\n');
    expect(await follower.poll()).toEqual(['é']);
    await follower.close();
    await late.close();
  });

  // A poll reads at most 1 MiB of a file; the rest of a rotated one was dropped at the switch,
  // so a guest flooding its output between two polls of `runner logs -f` hid lines before it.
  it('reads a rotated file to its end, however much was written to it since the last poll', async () => {
    const path = fresh();
    mkdirSync(join(root, 'logs'));
    writeFileSync(path, '');
    const follower = await LogFollower.start(path);
    const lines = Array.from({ length: 3000 }, (_, i) => `${String(i).padStart(4, '0')} ${'x'.repeat(1019)}`);
    appendFileSync(path, `${lines.join('\n')}\n`);
    renameSync(path, `${path}.1`);
    writeFileSync(path, 'after rotation\n');
    expect(await follower.poll()).toEqual([...lines, 'after rotation']);
    await follower.close();
  });
});
