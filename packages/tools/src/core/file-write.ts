/** file_write's code (its definition is in catalog.ts): the whole file, written atomically. */
import type { ToolRun } from '../define.js';
import { describeFsError } from '../fs/anchored.js';
import { atomicWrite } from '../fs/atomic-write.js';
import { type PathPolicy, resolveWorkspacePath } from '../paths.js';
import type { FileWriteArgs } from './parameters.js';

export function fileWrite(policy: PathPolicy): ToolRun<FileWriteArgs> {
  return async ({ path, content }, context) => {
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
  };
}
