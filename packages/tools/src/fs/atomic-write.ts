/**
 * Atomic replacement: write a temporary file beside the target, fsync it, rename it over the
 * target. A crash or a full disk leaves the old file or the new one, never half of each. All of
 * it happens inside the target's opened, confirmed folder (see anchored.ts), and a call already
 * stopped (its signal aborted: timed out, cancelled) never renames: it leaves nothing changed.
 */
import { randomBytes } from 'node:crypto';
import { lstat, open, rename, rm } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { type AnchoredDir, type Checked, CREATE_FLAGS, notRegular } from './anchored.js';
import { giveTo, type Owner, ownerFor } from './ownership.js';
import { openFolderOf } from './parent-dir.js';
import { throwIfStopped } from './stopped.js';

export interface AtomicWriteResult {
  bytes: number;
  /** False when an existing file was replaced. */
  created: boolean;
}

/** What atomicWrite needs of a resolved path: its real place, and the workspace root for new folders. */
export interface WriteTarget extends Checked {
  realRoot: string;
}

/** `content` is UTF-8 text, or bytes written as they are (a copied binary file). */
export async function atomicWrite(
  target: WriteTarget,
  content: string | Uint8Array,
  signal?: AbortSignal,
): Promise<AtomicWriteResult> {
  const data = typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
  const name = basename(target.real);
  throwIfStopped(signal, target.relative); // not even a missing folder is made
  const folder = await openFolderOf(target, dirname(target.real), true);
  try {
    // lstat through the folder: a link now in the target's place is replaced, never followed.
    const existing = await lstat(folder.at(name)).catch(() => undefined);
    if (existing?.isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
    if (existing && !existing.isFile() && !existing.isSymbolicLink())
      throw notRegular(target.relative, existing);
    const keep: Keep = {
      mode: existing?.isFile() ? existing.mode & 0o7777 : undefined,
      owner: await ownerFor(folder.handle, existing),
    };
    await writeAndRename(folder, name, data, keep, { shown: target.relative, signal });
    // Makes the rename itself durable. Best effort: some file systems cannot fsync a directory.
    await folder.handle.sync().catch(() => {});
    return { bytes: data.length, created: existing === undefined };
  } finally {
    await folder.close();
  }
}

/** What the new file takes over: the old one's permissions, and (as root) its owner. */
interface Keep {
  mode: number | undefined;
  owner: Owner | undefined;
}

async function writeAndRename(
  folder: AnchoredDir,
  name: string,
  data: Uint8Array,
  keep: Keep,
  stop: { shown: string; signal: AbortSignal | undefined },
): Promise<void> {
  // Hidden, and unique per call: concurrent writers never share a temporary file.
  const temporary = `.${name}.${randomBytes(6).toString('hex')}.oxydra-tmp`;
  const handle = await open(folder.at(temporary), CREATE_FLAGS, 0o666);
  try {
    await handle.writeFile(data);
    await handle.sync();
    // Owner first: a chown clears set-id bits, which the chmod then restores.
    await giveTo(handle, keep.owner);
    // An edit keeps the file's permissions (an executable script stays executable).
    if (keep.mode !== undefined) await handle.chmod(keep.mode);
    await handle.close();
    // The commit: checked in the same turn as the rename is issued, so a call the registry has
    // reported as stopped never gets here.
    throwIfStopped(stop.signal, stop.shown);
    await folder.recheck();
    await rename(folder.at(temporary), folder.at(name));
  } catch (error) {
    await handle.close().catch(() => {});
    await rm(folder.at(temporary), { force: true });
    throw error;
  }
}
