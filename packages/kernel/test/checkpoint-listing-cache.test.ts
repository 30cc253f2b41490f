/**
 * The listing a capture keeps for the next one: reused while no walked folder moved, dropped
 * (never thrown on) when the workspace changed shape, as when a walked folder's parent is now
 * a file, which lstat answers with ENOTDIR rather than "no entry".
 */
import { mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pollUntil } from '@oxydra/testkit/helpers';
import { describe, expect, it } from 'vitest';
import { recordListing, reusableListing } from '../src/services/checkpoints/listing-cache.js';
import { tempFolders } from './temp-folders.js';

/** A file-system time later than every change made so far under `root` (the capture's clock). */
async function clockAfterChanges(root: string, clockDir: string, changed: string[]): Promise<bigint> {
  const stamps = changed.flatMap((path) => {
    const info = statSync(join(root, path), { bigint: true });
    return [info.ctimeNs, info.mtimeNs];
  });
  return pollUntil(
    () => {
      // Outside `root`: a probe inside would move the very folder stamps being recorded.
      const probe = join(clockDir, 'probe');
      writeFileSync(probe, '');
      const now = statSync(probe, { bigint: true }).mtimeNs;
      rmSync(probe);
      return stamps.every((stamp) => stamp < now) && now;
    },
    'the file-system clock to pass the last change',
    { intervalMs: 5 },
  );
}

describe('checkpoint listing cache', () => {
  const { folder } = tempFolders('oxydra-listing-');

  it('is reused while nothing moved and dropped, not thrown, once a walked folder sits under a file', async () => {
    const root = folder();
    mkdirSync(join(root, 'x', 'y'), { recursive: true });
    writeFileSync(join(root, 'x', 'y', 'z.txt'), 'z\n');
    const clockDir = folder();
    const clock = await clockAfterChanges(root, clockDir, ['', 'x', 'x/y']);
    // The deepest folder first, so the check meets `x/y` before it sees that `x` changed.
    const cache = recordListing(root, { paths: ['x/y/z.txt'], skipped: [] }, ['x/y', 'x', ''], clock);
    expect(cache?.paths).toEqual(['x/y/z.txt']);
    expect(reusableListing(root, cache)).toBe(cache);

    rmSync(join(root, 'x'), { recursive: true });
    writeFileSync(join(root, 'x'), 'x is a file now\n');
    expect(reusableListing(root, cache)).toBeUndefined();
  });
});
