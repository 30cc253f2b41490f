/**
 * The cross-process lock of a checkpoint store: a file created exclusively, refreshed while held,
 * naming its holder (`holder <nonce> <place> <pid> [<start time>]`) so that a lock whose process
 * was killed is taken over at once, not after a minute of waiting for its refreshes to stop.
 */
import { randomBytes } from 'node:crypto';
import { link, lstat, mkdir, rename, rm, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isLive, PLACE, processStamp } from './active-runs.js';
import { isCode, readStoreFile } from './fs-utils.js';
import { CheckpointError } from './types.js';

/** A lock whose holder stopped refreshing it for this long belongs to a dead process. */
const LOCK_STALE_MS = 60_000;
const HOLDER = 'holder ';

export async function acquireLock(path: string, timeoutMs: number): Promise<() => Promise<void>> {
  await mkdir(join(path, '..'), { recursive: true });
  const token = `${HOLDER}${randomBytes(8).toString('hex')} ${PLACE} ${processStamp(process.pid)}`;
  const deadline = Date.now() + timeoutMs;
  for (let delay = 5; ; delay = Math.min(delay * 2, 100)) {
    try {
      await writeFile(path, token, { flag: 'wx' });
      break;
    } catch (error) {
      if (!isCode(error, 'EEXIST')) throw error;
    }
    const info = await lstat(path).catch(() => undefined);
    // Not a lock any process of ours made (a link a git pull put there): removed like a dead one.
    const planted = info !== undefined && !info.isFile();
    const held = planted ? '' : readStoreFile(path);
    // The holder refreshes the mtime while it works, so an old lock means a dead holder; so does
    // a holder process that is gone (killed mid-operation). A lock of an older version names
    // no holder and waits for the refreshes to stop.
    if (
      held !== undefined &&
      (planted || (info && Date.now() - info.mtimeMs > LOCK_STALE_MS) || holderGone(held))
    ) {
      await takeOver(path, held);
      continue;
    }
    if (Date.now() > deadline) {
      throw new CheckpointError(`checkpoint store is locked by another process (${path})`);
    }
    await new Promise((resolve) => setTimeout(resolve, delay));
  }
  const heartbeat = setInterval(() => {
    const now = new Date();
    utimes(path, now, now).catch(() => {});
  }, LOCK_STALE_MS / 3);
  heartbeat.unref();
  return async () => {
    clearInterval(heartbeat);
    // Only remove our own lock: after a stale takeover the file may belong to someone else.
    if (readStoreFile(path) === token) await rm(path, { force: true });
  };
}

/** True only for a lock naming a holder process of this machine (and pid namespace) that no longer runs. */
function holderGone(content: string): boolean {
  if (!content.startsWith(HOLDER)) return false;
  const [, place, ...stamp] = content.slice(HOLDER.length).split(' ');
  return place === PLACE && !PLACE.endsWith('/-') && stamp.length > 0 && !isLive(stamp.join(' '));
}

/**
 * Removes the dead lock that read `judged`, and only that one: another waiter may have taken it
 * over since and hold a lock of its own under the name. Moved aside first (atomic), then judged
 * by content; a live lock moved aside by mistake is put back unless yet another stands there.
 */
async function takeOver(path: string, judged: string): Promise<void> {
  const aside = `${path}.${randomBytes(6).toString('hex')}`;
  try {
    await rename(path, aside);
  } catch {
    return; // gone already: another waiter took it over
  }
  if ((readStoreFile(aside) ?? judged) !== judged) await link(aside, path).catch(() => {});
  await rm(aside, { force: true });
}
