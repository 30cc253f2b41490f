/**
 * The capture cache (`oxydra-capture-cache.json` in checkpoints.git) was read whole whatever its
 * size: safe against a link or a FIFO, but a file there (planted by a `git pull`, or left by a
 * capture) of any size was read into memory. It is now read with readSmallFile under a cap
 * derived from max_files; past it the cache is not read at all and the capture starts cold.
 */
import { createHash } from 'node:crypto';
import { statSync, truncateSync } from 'node:fs';
import { join } from 'node:path';
import { type TempWorkspace, tempWorkspace } from '@oxydra/testkit/helpers';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type CachedFile,
  readStatCache,
  statCacheMaxBytes,
  writeStatCache,
} from '../src/services/checkpoints/stat-cache.js';

let ws: TempWorkspace | undefined;
afterEach(() => {
  ws?.cleanup();
  ws = undefined;
});

const CACHE = 'oxydra-capture-cache.json';
/** The store's MAC stands in: the cap is checked before the MAC is. */
const mac = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/** A real cache of `count` files, as a capture writes it. */
function writeCache(gitDir: string, count: number): number {
  const files = new Map<string, CachedFile>();
  for (let i = 0; i < count; i++)
    files.set(`src/folder-${i}/file-${i}.ts`, {
      mode: '100644',
      sha: 'a'.repeat(40),
      stamp: `1:${i}:33188:10:5:5`,
    });
  writeStatCache(gitDir, { clockNs: 10n, files }, mac);
  return statSync(join(gitDir, CACHE)).size;
}

describe('the capture cache', () => {
  it('is read within its cap, and not at all past it', () => {
    ws = tempWorkspace();
    const size = writeCache(ws.dir, 20_000);
    expect(size).toBeGreaterThan(1 << 20);
    expect(readStatCache(ws.dir, size, mac)?.files.size).toBe(20_000);
    // One byte over the cap: refused before a byte is read, as if there were no cache.
    expect(readStatCache(ws.dir, size - 1, mac)).toBeUndefined();
  });

  it('a sparse file of 16 GiB at its name is refused by its size', () => {
    ws = tempWorkspace();
    writeCache(ws.dir, 1);
    truncateSync(join(ws.dir, CACHE), 16 * 1024 ** 3);
    expect(readStatCache(ws.dir, statCacheMaxBytes(100_000), mac)).toBeUndefined();
  });
});
