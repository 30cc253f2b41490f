/** file_list's code (its definition is in catalog.ts): one directory's entries. */
import type { Dirent } from 'node:fs';
import { lstat, readdir, stat } from 'node:fs/promises';
import type { ToolRun } from '../define.js';
import { AnchoredDir, describeFsError, kindOf } from '../fs/anchored.js';
import { byCodePoint, SKIPPED_DIRS } from '../fs/names.js';
import { type PathPolicy, type ResolvedPath, resolveWorkspacePath } from '../paths.js';
import { type FileListArgs, MAX_LIST_ENTRIES } from './parameters.js';

/** A link to a directory is shown as a directory, which is how the model can use it. */
async function isDirectoryEntry(entry: Dirent, directory: AnchoredDir): Promise<boolean> {
  if (entry.isDirectory()) return true;
  if (!entry.isSymbolicLink()) return false;
  // A stat, never an open: a link to a FIFO is named, not waited on.
  const info = await stat(directory.at(entry.name)).catch(() => undefined);
  return info?.isDirectory() ?? false;
}

/** The folder, opened no-follow and confirmed (see fs/anchored.ts); anything else is named plainly. */
async function openListed(target: ResolvedPath): Promise<AnchoredDir> {
  try {
    return await AnchoredDir.open(target.real, target.confirm);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOTDIR') throw error;
    const info = await lstat(target.real);
    if (info.isFile())
      throw new Error(`${target.relative} is a file, not a directory; read it with file_read`);
    throw new Error(
      `${target.relative} is not a directory (${kindOf(info)}); file_list lists directories only`,
    );
  }
}

/** The entries' names, folders marked `/`, read through the opened folder. */
async function listNames(target: ResolvedPath): Promise<string[]> {
  const directory = await openListed(target);
  try {
    const entries = await readdir(directory.at(''), { withFileTypes: true });
    const visible = entries.filter((entry) => !SKIPPED_DIRS.has(entry.name));
    return await Promise.all(
      visible.map(async (entry) =>
        (await isDirectoryEntry(entry, directory)) ? `${entry.name}/` : entry.name,
      ),
    );
  } finally {
    await directory.close();
  }
}

export function fileList(policy: PathPolicy): ToolRun<FileListArgs> {
  return async ({ path }, context) => {
    const target = await resolveWorkspacePath(context.workspace, path ?? '.', policy);
    const names = await listNames(target).catch((error: unknown) => {
      throw describeFsError(error, target.relative);
    });
    if (names.length === 0) return `${target.relative} is empty.`;
    names.sort(byCodePoint);
    const shown = names.slice(0, MAX_LIST_ENTRIES);
    const more =
      names.length > shown.length
        ? `\n[showing ${shown.length} of ${names.length} entries; list a subdirectory to see more]`
        : '';
    return { content: shown.join('\n') + more, data: { path: target.relative, entries: names.length } };
  };
}
