import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  closeSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  realpathSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readSmallFile, readSmallFileInside } from '../src/fs/index.js';
import { openedIsByIdentity } from '../src/fs/read-small-file.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'oxydra-small-file-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('readSmallFile', () => {
  it('reads a small regular file whole', () => {
    writeFileSync(join(dir, 'a'), 'hello');
    const file = readSmallFile(join(dir, 'a'), { maxBytes: 100 });
    expect(file.ok && file.bytes.toString()).toBe('hello');
  });

  it('refuses a larger file, or reads its start when asked to truncate', () => {
    writeFileSync(join(dir, 'big'), 'x'.repeat(1000));
    expect(readSmallFile(join(dir, 'big'), { maxBytes: 10 })).toMatchObject({
      ok: false,
      problem: 'too-large',
      size: 1000,
    });
    const cut = readSmallFile(join(dir, 'big'), { maxBytes: 10, oversize: 'truncate' });
    expect(cut).toMatchObject({ ok: true, size: 1000 });
    expect(cut.ok && cut.bytes.length).toBe(10);
  });

  it('refuses a link at the final name unless told to follow it', () => {
    writeFileSync(join(dir, 'target'), 'secret');
    symlinkSync(join(dir, 'target'), join(dir, 'link'));
    expect(readSmallFile(join(dir, 'link'), { maxBytes: 100 })).toMatchObject({ ok: false, problem: 'link' });
    const followed = readSmallFile(join(dir, 'link'), { maxBytes: 100, followLinks: true });
    expect(followed.ok && followed.bytes.toString()).toBe('secret');
  });

  it('never waits on a FIFO or reads a device or a directory', () => {
    execFileSync('mkfifo', [join(dir, 'fifo')]);
    expect(readSmallFile(join(dir, 'fifo'), { maxBytes: 100 })).toMatchObject({
      ok: false,
      problem: 'not-regular',
    });
    expect(readSmallFile('/dev/zero', { maxBytes: 100 })).toMatchObject({
      ok: false,
      problem: 'not-regular',
    });
    mkdirSync(join(dir, 'sub'));
    expect(readSmallFile(join(dir, 'sub'), { maxBytes: 100 })).toMatchObject({
      ok: false,
      problem: 'not-regular',
      detail: 'is a directory',
    });
  });

  it('says a missing file is missing, with the errno code', () => {
    expect(readSmallFile(join(dir, 'none'), { maxBytes: 100 })).toMatchObject({
      ok: false,
      problem: 'missing',
      code: 'ENOENT',
    });
  });

  it('refuses a file other users can reach when asked to', () => {
    writeFileSync(join(dir, 'key'), 'k', { mode: 0o600 });
    expect(readSmallFile(join(dir, 'key'), { maxBytes: 100, refuseModeBits: 0o077 }).ok).toBe(true);
    chmodSync(join(dir, 'key'), 0o644);
    expect(readSmallFile(join(dir, 'key'), { maxBytes: 100, refuseModeBits: 0o077 })).toMatchObject({
      ok: false,
      problem: 'shared-mode',
    });
  });

  it.runIf(process.geteuid?.() === 0)(
    "refuses another user's file when asked to (as root: chown works)",
    () => {
      writeFileSync(join(dir, 'theirs'), 'x');
      chownSync(join(dir, 'theirs'), 4242, 4242);
      expect(readSmallFile(join(dir, 'theirs'), { maxBytes: 100 }).ok).toBe(true);
      expect(readSmallFile(join(dir, 'theirs'), { maxBytes: 100, ownedByMe: true })).toMatchObject({
        ok: false,
        problem: 'foreign-owner',
      });
    },
  );

  it('applies a further check of the caller', () => {
    writeFileSync(join(dir, 'a'), 'x');
    expect(readSmallFile(join(dir, 'a'), { maxBytes: 100, accept: () => 'not today' })).toMatchObject({
      ok: false,
      problem: 'rejected',
      detail: 'not today',
    });
  });
});

/**
 * root/sub/file inside, outside/file beside it; swap() moves root/sub away and puts a link to
 * outside/ in its place, as a sandboxed command racing a read would.
 */
function swappable() {
  const root = join(dir, 'root');
  const outside = join(dir, 'outside');
  mkdirSync(join(root, 'sub'), { recursive: true });
  mkdirSync(outside);
  writeFileSync(join(root, 'sub', 'file'), 'mine');
  writeFileSync(join(outside, 'file'), 'key');
  const swap = () => {
    renameSync(join(root, 'sub'), join(root, 'sub-moved'));
    symlinkSync(outside, join(root, 'sub'));
  };
  return { root, outside, swap };
}

describe('readSmallFileInside', () => {
  it('reads a file whose real path stays inside the folder; refuses one a link leads out of it', () => {
    const root = join(dir, 'root');
    const outside = join(dir, 'outside');
    mkdirSync(join(root, 'sub'), { recursive: true });
    mkdirSync(outside);
    writeFileSync(join(outside, 'secret'), 'key');
    writeFileSync(join(root, 'sub', 'real'), 'mine');
    symlinkSync('sub/real', join(root, 'alias'));
    symlinkSync(join(outside, 'secret'), join(root, 'leak'));
    symlinkSync(outside, join(root, 'out'));
    symlinkSync(join(root, 'nowhere'), join(root, 'dangling'));
    const inside = readSmallFileInside(root, 'alias', { maxBytes: 100 });
    expect(inside.ok && inside.bytes.toString()).toBe('mine');
    for (const path of ['leak', 'out/secret', '../outside/secret', join(outside, 'secret')]) {
      expect(readSmallFileInside(root, path, { maxBytes: 100 })).toMatchObject({
        ok: false,
        problem: 'outside',
        detail: expect.stringContaining(`leads out of ${root}`),
      });
    }
    expect(readSmallFileInside(root, 'dangling', { maxBytes: 100 })).toMatchObject({
      ok: false,
      problem: 'link',
    });
    expect(readSmallFileInside(root, 'missing', { maxBytes: 100 })).toMatchObject({
      ok: false,
      problem: 'missing',
    });
  });

  it('refuses a file a folder swapped for a link between the check and the open led out to', () => {
    const { root, swap } = swappable();
    let checks = 0;
    const file = readSmallFileInside(root, 'sub/file', {
      maxBytes: 100,
      // `accept` runs on the looked-at stats, after the real path was checked and before the
      // open: the moment a swap slips in. The folder in the middle becomes a link out.
      accept: () => {
        if (checks++ === 0) swap();
        return undefined;
      },
    });
    expect(checks).toBeGreaterThan(0);
    expect(file).toMatchObject({
      ok: false,
      problem: 'outside',
      detail: expect.stringContaining(`leads out of ${root}`),
    });
  });

  it('without /proc, knows the opened file by its device and inode', () => {
    const { root, outside, swap } = swappable();
    const real = join(realpathSync(root), 'sub', 'file');
    const mine = openSync(real, 'r');
    const theirs = openSync(join(outside, 'file'), 'r');
    try {
      expect(openedIsByIdentity(mine, real)).toBe(true);
      expect(openedIsByIdentity(theirs, real)).toBe(false);
      // Swapped and left swapped: the checked real path is no longer real.
      swap();
      expect(openedIsByIdentity(theirs, real)).toBe(false);
    } finally {
      closeSync(mine);
      closeSync(theirs);
    }
  });
});
