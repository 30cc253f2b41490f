/** file_write: a whole file, created or replaced atomically. */
import { z } from 'zod';
import { type DefinedTool, defineTool } from '../define.js';
import { describeFsError } from '../fs/errors.js';
import { type PathPolicy, resolveWorkspacePath } from '../paths.js';

export function fileWriteTool(policy: PathPolicy = {}): DefinedTool {
  return defineTool({
    name: 'file_write',
    description:
      'Create or overwrite a whole file (UTF-8) atomically, with any missing folders. For part of ' +
      'a file, use file_edit.',
    parameters: z.object({
      path: z.string(),
      content: z.string(),
    }),
    safety: 'side_effecting',
    async execute({ path, content }, context) {
      const target = await resolveWorkspacePath(context.workspace, path, policy);
      if (target.relative === '.') throw new Error('path names the workspace root, not a file');
      try {
        // Loaded at the first write: a run that only reads files does not load the write machinery.
        const { atomicWrite } = await import('../fs/atomic-write.js');
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
