/** file_list: one directory's entries. */
import type { Dirent } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { type DefinedTool, defineTool } from '../define.js';
import { describeFsError } from '../fs/errors.js';
import { byCodePoint, SKIPPED_DIRS } from '../fs/names.js';
import { type PathPolicy, resolveWorkspacePath } from '../paths.js';

export const MAX_LIST_ENTRIES = 1000;

/** A link to a directory is shown as a directory, which is how the model can use it. */
async function isDirectoryEntry(entry: Dirent, directory: string): Promise<boolean> {
  if (entry.isDirectory()) return true;
  if (!entry.isSymbolicLink()) return false;
  const info = await stat(join(directory, entry.name)).catch(() => undefined);
  return info?.isDirectory() ?? false;
}

export function fileListTool(policy: PathPolicy = {}): DefinedTool {
  return defineTool({
    name: 'file_list',
    description:
      'List the entries of one directory in the workspace (not recursive), one per line, sorted, ' +
      'directories marked with a trailing "/". Omit path for the workspace root. At most ' +
      `${MAX_LIST_ENTRIES} entries are shown; .git and .oxydra are never listed. To find files by ` +
      'content use file_search.',
    parameters: z.object({
      path: z.string().optional().describe('Directory relative to the workspace root (default: the root)'),
    }),
    safety: 'read_only',
    async execute({ path }, context) {
      const target = await resolveWorkspacePath(context.workspace, path ?? '.', policy);
      let entries: Dirent[];
      try {
        const info = await stat(target.real);
        if (!info.isDirectory())
          throw new Error(`${target.relative} is a file, not a directory; read it with file_read`);
        entries = await readdir(target.real, { withFileTypes: true });
      } catch (error) {
        throw describeFsError(error, target.relative);
      }
      const visible = entries.filter((entry) => !SKIPPED_DIRS.has(entry.name));
      if (visible.length === 0) return `${target.relative} is empty.`;
      const names = await Promise.all(
        visible.map(async (entry) =>
          (await isDirectoryEntry(entry, target.real)) ? `${entry.name}/` : entry.name,
        ),
      );
      names.sort(byCodePoint);
      const shown = names.slice(0, MAX_LIST_ENTRIES);
      const more =
        names.length > shown.length
          ? `\n[showing ${shown.length} of ${names.length} entries; list a subdirectory to see more]`
          : '';
      return { content: shown.join('\n') + more, data: { path: target.relative, entries: names.length } };
    },
  });
}
