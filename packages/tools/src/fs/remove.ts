/**
 * Removing an entry and, for a folder, everything in it, through opened folders (see
 * anchored.ts): a folder swapped for a link mid-way is unlinked as a link, never descended
 * through, so nothing outside is ever deleted. A stopped call removes nothing more.
 */
import { lstat, readdir, rmdir, unlink } from 'node:fs/promises';
import type { AnchoredDir } from './anchored.js';
import { throwIfStopped } from './stopped.js';

export async function removeEntry(
  folder: AnchoredDir,
  name: string,
  stop: { shown: string; signal: AbortSignal | undefined },
): Promise<void> {
  const info = await lstat(folder.at(name));
  if (info.isDirectory()) {
    // Opened no-follow: if it became a link since the lstat, the open fails and it is unlinked.
    const inner = await folder.child(name).catch(() => undefined);
    if (inner) {
      try {
        for (const entry of await readdir(inner.at(''))) await removeEntry(inner, entry, stop);
      } finally {
        await inner.close();
      }
      throwIfStopped(stop.signal, stop.shown);
      await folder.recheck();
      return rmdir(folder.at(name));
    }
  }
  throwIfStopped(stop.signal, stop.shown);
  await folder.recheck();
  await unlink(folder.at(name));
}
