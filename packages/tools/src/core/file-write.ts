/** file_write: a whole file, created or replaced atomically. */
import { z } from 'zod';
import { type DefinedTool, defineTool } from '../define.js';
import { atomicWrite } from '../fs/atomic-write.js';
import { describeFsError } from '../fs/errors.js';
import { type PathPolicy, resolveWorkspacePath } from '../paths.js';

export function fileWriteTool(policy: PathPolicy = {}): DefinedTool {
  return defineTool({
    name: 'file_write',
    description:
      'Create a file, or replace all of an existing file, with the given UTF-8 content. Missing ' +
      'parent folders are created. The write is atomic: readers see the old file or the new one, ' +
      'never a mix. To change part of an existing file, prefer file_edit, which cannot lose the ' +
      'rest of the file.',
    parameters: z.object({
      path: z.string().describe('File path relative to the workspace root'),
      content: z.string().describe('The complete new content of the file'),
    }),
    safety: 'side_effecting',
    async execute({ path, content }, context) {
      const target = await resolveWorkspacePath(context.workspace, path, policy);
      if (target.relative === '.') throw new Error('path names the workspace root, not a file');
      try {
        const { bytes, created } = await atomicWrite(target, content, context.signal);
        return {
          content: `${created ? 'Created' : 'Replaced'} ${target.relative} (${bytes} bytes written).`,
          data: { path: target.relative, bytes, created },
        };
      } catch (error) {
        throw describeFsError(error, target.relative);
      }
    },
  });
}
