/** Temporary folders for one test file, each removed after the test that made it. */
import { rmSync } from 'node:fs';
import { tempWorkspace } from '@oxydra/testkit/helpers';
import { afterEach } from 'vitest';

export function tempFolders(prefix: string): { folder: () => string; track: (dir: string) => void } {
  const cleanups: (() => void)[] = [];
  afterEach(() => {
    for (const cleanup of cleanups.splice(0)) cleanup();
  });
  return {
    folder: () => {
      const workspace = tempWorkspace({ prefix });
      cleanups.push(workspace.cleanup);
      return workspace.dir;
    },
    track: (dir) => cleanups.push(() => rmSync(dir, { recursive: true, force: true })),
  };
}
