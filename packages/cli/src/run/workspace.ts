/**
 * The workspace of `oxydra run` / `oxydra chat`: the folder holding `.oxydra/`, found upwards
 * from the current one. When that is not the current folder, say so: the agent's tools work
 * from there, which a user in a subfolder should not have to guess.
 */
import { relative } from 'node:path';
import { findWorkspaceRoot } from '@oxydra/config';

export function agentWorkspace(stderr: NodeJS.WritableStream = process.stderr): string {
  const cwd = process.cwd();
  const root = findWorkspaceRoot(cwd);
  if (root !== cwd) {
    stderr.write(`workspace: ${root} (its .oxydra/ is ${relative(cwd, root)} from here)\n`);
  }
  return root;
}
