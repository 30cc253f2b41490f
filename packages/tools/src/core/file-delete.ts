/** file_delete's code (its definition is in catalog.ts): a file, a link or a whole folder. */
import { lstat, realpath } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import type { ToolRun } from '../define.js';
import { describeFsError } from '../fs/anchored.js';
import { openFolderOf } from '../fs/parent-dir.js';
import { removeTree } from '../fs/remove.js';
import { deniedWithin, type PathPolicy, resolveWorkspacePath } from '../paths.js';
import type { FileDeleteArgs } from './parameters.js';

export function fileDelete(policy: PathPolicy): ToolRun<FileDeleteArgs> {
  return async ({ path }, context) => {
    const target = await resolveWorkspacePath(context.workspace, path, policy);
    if (target.relative === '.') throw new Error('refusing to delete the workspace root');
    // Deleting a folder that holds a denied one (the vault) would delete it too.
    if ((await deniedWithin(target.real, policy, target.realRoot)).length > 0) {
      throw new Error(`refusing to delete ${target.relative}: it contains a folder tools may not touch`);
    }
    try {
      // The entry as named (a link stays a link), not what it resolves to, removed through
      // its opened folder.
      const info = await lstat(target.absolute);
      const folder = await openFolderOf(
        { realRoot: target.realRoot, confirm: target.confirm },
        await realpath(dirname(target.absolute)),
        false,
      );
      try {
        await removeTree(folder, basename(target.absolute), {
          shown: target.relative,
          signal: context.signal,
        });
      } finally {
        await folder.close();
      }
      const kind = info.isDirectory() ? 'folder' : info.isSymbolicLink() ? 'link' : 'file';
      return { content: `Deleted ${kind} ${target.relative}.`, data: { path: target.relative, kind } };
    } catch (error) {
      throw describeFsError(error, target.relative);
    }
  };
}
