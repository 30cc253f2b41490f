/** The cross-process lock of a checkpoint store: a file created exclusively, refreshed while held. */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isCode } from './fs-utils.js';
import { CheckpointError } from './types.js';

/** A lock whose holder stopped refreshing it for this long belongs to a dead process. */
const LOCK_STALE_MS = 60_000;

export async function acquireLock(path: string, timeoutMs: number): Promise<() => Promise<void>> {
  await mkdir(join(path, '..'), { recursive: true });
  const token = `${process.pid} ${randomBytes(8).toString('hex')}`;
  const deadline = Date.now() + timeoutMs;
  for (let delay = 5; ; delay = Math.min(delay * 2, 100)) {
    try {
      await writeFile(path, token, { flag: 'wx' });
      break;
    } catch (error) {
      if (!isCode(error, 'EEXIST')) throw error;
    }
    const info = await stat(path).catch(() => undefined);
    // The holder refreshes the mtime while it works, so an old lock means a dead holder.
    if (info && Date.now() - info.mtimeMs > LOCK_STALE_MS) {
      await rm(path, { force: true });
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
    if ((await readFile(path, 'utf8').catch(() => '')) === token) await rm(path, { force: true });
  };
}
