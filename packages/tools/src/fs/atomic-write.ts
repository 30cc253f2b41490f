/**
 * Atomic replacement: write a temporary file beside the target, fsync it, rename it over the
 * target. A crash or a full disk leaves the old file or the new one, never half of each.
 */
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, open, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

export interface AtomicWriteResult {
  bytes: number;
  /** False when an existing file was replaced. */
  created: boolean;
}

/** `content` is UTF-8 text, or bytes written as they are (a copied binary file). */
export async function atomicWrite(target: string, content: string | Uint8Array): Promise<AtomicWriteResult> {
  const directory = dirname(target);
  await mkdir(directory, { recursive: true });
  const existing = await stat(target).catch(() => undefined);
  if (existing?.isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });

  const data = typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
  // Hidden, and unique per call: concurrent writers never share a temporary file.
  const temporary = join(directory, `.${basename(target)}.${randomBytes(6).toString('hex')}.oxydra-tmp`);
  const handle = await open(temporary, 'wx');
  try {
    await handle.writeFile(data);
    await handle.sync();
    await handle.close();
    // An edit keeps the file's permissions (an executable script stays executable).
    if (existing) await chmod(temporary, existing.mode & 0o7777);
    await rename(temporary, target);
  } catch (error) {
    await handle.close().catch(() => {});
    await rm(temporary, { force: true });
    throw error;
  }
  await syncDirectory(directory);
  return { bytes: data.length, created: existing === undefined };
}

/** Makes the rename itself durable. Best effort: some file systems cannot fsync a directory. */
async function syncDirectory(directory: string): Promise<void> {
  try {
    const handle = await open(directory, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // Durability of the rename is a bonus; the write itself already succeeded.
  }
}
