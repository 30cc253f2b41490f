/**
 * The workspace of `oxydra run` / `oxydra chat`: the folder holding `.oxydra/`, found upwards
 * from the current one. When that is not the current folder, say so: the agent's tools work
 * from there, which a user in a subfolder should not have to guess. When it is the home folder
 * (one `oxydra run` in `~` leaves a `~/.oxydra/`), say that too: every project folder below
 * without its own `.oxydra/` is then worked on as part of the whole home folder.
 */
import { homedir } from 'node:os';
import { relative, resolve } from 'node:path';
import { findWorkspaceRoot } from '@oxydra/config';

export function agentWorkspace(stderr: NodeJS.WritableStream = process.stderr): string {
  const cwd = process.cwd();
  const root = findWorkspaceRoot(cwd);
  if (root !== cwd) {
    const where = `(its .oxydra/ is ${relative(cwd, root)} from here)`;
    stderr.write(
      root === resolve(process.env.HOME || homedir())
        ? `workspace: your whole home folder ${root} ${where}; for a workspace of this folder alone, run \`oxydra init\` here\n`
        : `workspace: ${root} ${where}\n`,
    );
  }
  return root;
}
