/**
 * The scratch copy a replay's tools run in: a copy of the workspace in a new private temporary
 * folder, made to look like the session's start (session-start.ts) before anyone else may use it.
 */
import { chown, cp, lchown, lstat, mkdtemp, readdir, realpath, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import { sandboxIdentity } from '@oxydra/sandbox/detect';
import { inSecretFolder, secretFoldersIn } from '../services/checkpoints/secret-folders.js';

/** What an Oxydra workspace copy leaves out: the databases and snapshots (and the home folder's secrets, below). */
const NOT_COPIED = /^\.oxydra\/(kernel\.db|memory\.db|checkpoints\.git|audit\.jsonl|audit-head\.json)/;

export interface Scratch {
  /** The private temporary folder (removed with the copy). */
  root: string;
  workspace: string;
}

/**
 * Every file and folder of the workspace (symlinks as they are), except Oxydra's databases and
 * checkpoints and what cannot be copied (sockets, devices). `prepare` then changes the copy (puts
 * back the session's start) while it is still this process's alone. As root, the private folder
 * belongs to the user sandboxed commands run as (so they reach the copy, and nobody else does),
 * and in a workspace someone else owns the copy is given to that owner, what `prepare` wrote
 * included: commands run as the same user, with the same access, as in the workspace.
 */
export async function scratchCopy(
  workspace: string,
  runAs: string,
  prepare?: (copy: string) => Promise<void>,
): Promise<Scratch> {
  const root = await mkdtemp(join(tmpdir(), 'oxydra-replay-'));
  const copy = join(root, 'workspace');
  // Masked in the workspace by their path under the home folder; the copy is elsewhere, so unmasked.
  const secret = secretFoldersIn(await realpath(workspace));
  try {
    await cp(workspace, copy, {
      recursive: true,
      verbatimSymlinks: true,
      preserveTimestamps: true,
      filter: async (source) => {
        const path = relative(workspace, source).split(sep).join('/');
        if (NOT_COPIED.test(path) || inSecretFolder(path, secret)) return false;
        const info = await lstat(source);
        return info.isFile() || info.isDirectory() || info.isSymbolicLink();
      },
    });
    await prepare?.(copy);
    const owner = await stat(workspace);
    if (owner.uid !== 0 && process.geteuid?.() === 0) await giveTree(copy, owner.uid, owner.gid);
    const identity = sandboxIdentity(copy, runAs);
    if (identity) await chown(root, identity.uid, identity.gid);
    return { root, workspace: copy };
  } catch (error) {
    await rm(root, { recursive: true, force: true });
    throw error;
  }
}

async function giveTree(path: string, uid: number, gid: number): Promise<void> {
  await lchown(path, uid, gid);
  const info = await lstat(path);
  if (!info.isDirectory()) return;
  for (const entry of await readdir(path)) await giveTree(join(path, entry), uid, gid);
}
