/**
 * A new file put into the workspace on the agent's behalf (a chat attachment, a page's
 * download), under the file tools' rules: never into a denied folder, `.oxydra/` or through a
 * link leading out (resolveWorkspacePath), each folder opened no-follow from the workspace root
 * down (so a folder that is a link, even one pointing inside, is refused), the file created new
 * (O_EXCL: never over an existing name) and owner-only, and, as root, owned like the file
 * tools' files (ownership.ts). A write that fails, or is cut by its caller, leaves no file.
 */
import type { FileHandle } from 'node:fs/promises';
import { lstat, open, realpath, rm } from 'node:fs/promises';
import { extname } from 'node:path';
import { type PathPolicy, resolveWorkspacePath, WorkspacePathError } from '../paths.js';
import { AnchoredDir, CREATE_FLAGS } from './anchored.js';
import { giveTo, ownerFor } from './ownership.js';

/** A name safe in any file system and in a prompt: its last part only; letters, digits, ".", "-", "_"; no leading dot. */
export function safeFileName(name: string): string {
  const cleaned = (name.split(/[\\/]/).at(-1) ?? '')
    .normalize('NFKC')
    .replace(/[^A-Za-z0-9._-]+/g, '_')
    // Cut first, then strip: the last 80 characters of a longer name can start with a dot.
    .slice(-80)
    .replace(/^[._]+/, '');
  return cleaned === '' ? 'file' : cleaned;
}

export interface NewFile {
  /** Folders from the workspace root down, each one plain name; made when missing. */
  folders: readonly string[];
  /** The file's name (a safeFileName). */
  name: string;
  /** Writes the content; a throw removes the file and is passed on. */
  write(handle: FileHandle): Promise<void>;
  /** When the name is taken, the next free one (`a-2.pdf`, `a-3.pdf`...); else EEXIST. */
  unique?: boolean;
  policy?: PathPolicy;
}

/** Names tried for one file before giving up (`unique`). */
const MAX_TRIES = 100;

/** Saves the file; resolves with its path relative to the workspace, `/`-separated. */
export async function saveNewFile(workspace: string, file: NewFile): Promise<string> {
  const root = await realpath(workspace);
  await resolveWorkspacePath(workspace, [...file.folders, file.name].join('/'), file.policy);
  let dir = await AnchoredDir.open(root, (where) => {
    if (where !== root) throw new Error('the workspace moved while a file was being saved');
  });
  try {
    for (const [index, part] of file.folders.entries()) {
      const next = await dir.child(part, true).catch(async (error: NodeJS.ErrnoException) => {
        if ((await lstat(dir.at(part)).catch(() => undefined))?.isSymbolicLink())
          throw new WorkspacePathError(
            `${file.folders.slice(0, index + 1).join('/')} is a symbolic link; files are saved only into a real folder (remove the link)`,
          );
        throw error;
      });
      await dir.close();
      dir = next;
    }
    const owner = await ownerFor(dir.handle, undefined);
    const { handle, name } = await createFree(dir, file.name, file.unique === true);
    try {
      await giveTo(handle, owner);
      await file.write(handle);
      await handle.sync();
      await handle.close();
    } catch (error) {
      await handle.close().catch(() => {});
      await rm(dir.at(name), { force: true });
      throw error;
    }
    return [...file.folders, name].join('/');
  } finally {
    await dir.close();
  }
}

async function createFree(
  dir: AnchoredDir,
  name: string,
  unique: boolean,
): Promise<{ handle: FileHandle; name: string }> {
  const ext = extname(name);
  const stem = name.slice(0, name.length - ext.length);
  for (let n = 1; ; n++) {
    const candidate = n === 1 ? name : `${stem}-${n}${ext}`;
    try {
      return { handle: await open(dir.at(candidate), CREATE_FLAGS, 0o600), name: candidate };
    } catch (error) {
      if (!unique || (error as NodeJS.ErrnoException).code !== 'EEXIST' || n >= MAX_TRIES) throw error;
    }
  }
}
