import { mkdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { tempWorkspace } from '@oxydra/testkit/helpers';

/** A throwaway machine layout: a system dir, a home with ~/.config, and a workspace. */
export interface Sandbox {
  root: string;
  system: string;
  home: string;
  userConfig: string;
  workspace: string;
  workspaceConfig: string;
  env: NodeJS.ProcessEnv;
  write(path: string, content: string): string;
  cleanup(): void;
}

export function makeSandbox(extraEnv: NodeJS.ProcessEnv = {}): Sandbox {
  const tmp = tempWorkspace({ prefix: 'oxydra-config-' });
  const root = tmp.dir;
  const system = join(root, 'etc-oxydra');
  const home = join(root, 'home');
  const workspace = join(root, 'workspace');
  for (const dir of [system, home, workspace]) mkdirSync(dir, { recursive: true });
  return {
    root,
    system,
    home,
    userConfig: join(home, '.config', 'oxydra'),
    workspace,
    workspaceConfig: join(workspace, '.oxydra'),
    // Only what the loader reads: no OXYDRA__ or key variables leak in from the developer's shell.
    env: { HOME: home, OXYDRA_SYSTEM_CONFIG_DIR: system, ...extraEnv },
    write: (path, content) => tmp.write(relative(root, path), content),
    cleanup: tmp.cleanup,
  };
}
