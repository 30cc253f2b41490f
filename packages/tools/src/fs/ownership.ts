/**
 * Who owns what the file tools write when Oxydra runs as root. Root's writes would otherwise
 * leave root-owned files in a person's project (`sudo oxydra` in alice's folder), which the
 * sandboxed commands (running as that person, never as root) then cannot change. So, as root:
 * a replaced file keeps its owner, and a new file or folder takes the owner of the folder it is
 * made in. Applied with fchown on the descriptor we created, never by path: no link can redirect
 * it. As an ordinary user nothing changes (the kernel gives new files that user anyway).
 */
import type { Stats } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';

export interface Owner {
  uid: number;
  gid: number;
}

const RUNNING_AS_ROOT = process.geteuid?.() === 0;

/** The owner to give a file written over `existing` (or new in `folder`); undefined: leave it. */
export async function ownerFor(folder: FileHandle, existing: Stats | undefined): Promise<Owner | undefined> {
  if (!RUNNING_AS_ROOT) return undefined;
  const source = existing?.isFile() ? existing : await folder.stat();
  // Root's own files and folders need nothing: what root creates is root's already.
  if (source.uid === 0 && source.gid === 0) return undefined;
  return { uid: source.uid, gid: source.gid };
}

export async function giveTo(handle: FileHandle, owner: Owner | undefined): Promise<void> {
  if (owner !== undefined) await handle.chown(owner.uid, owner.gid);
}
