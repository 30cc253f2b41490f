/**
 * Reading a file a folder's owner named by a path inside that folder (a workspace's prompt or
 * character file): the spelling stays inside, but a cloned repository (or a sandboxed command)
 * can make any part of the path a link to a host file (`~/.ssh/id_ed25519`, `/proc/self/environ`),
 * which a plain read follows with the user's rights. So the real path must stay inside the real
 * folder, and the file itself is read under readSmallFile's rules (regular, no final link, capped).
 */
import { realpathSync } from 'node:fs';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { readSmallFile, type SmallFile, type SmallFileOptions } from './read-small-file.js';

/** `path` is `root` or inside it (both already real paths). */
export function isInside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel));
}

/**
 * Reads `path` (relative to `root`, or absolute) only when its real path is inside `root`'s real
 * path; a path that leads out, by its spelling or through a link, is refused as 'outside'.
 */
export function readSmallFileInside(
  root: string,
  path: string,
  options: Omit<SmallFileOptions, 'followLinks'>,
): SmallFile | { ok: false; problem: 'outside'; detail: string } {
  let real: string;
  try {
    real = realpathSync(resolve(root, path));
  } catch {
    // Missing (or a dangling link): readSmallFile says which, without following anything.
    return readSmallFile(resolve(root, path), options);
  }
  let realRoot: string;
  try {
    realRoot = realpathSync(root);
  } catch {
    realRoot = resolve(root);
  }
  if (!isInside(realRoot, real)) {
    return {
      ok: false,
      problem: 'outside',
      detail: `leads out of ${root} (through a symbolic link, to ${real})`,
    };
  }
  // The real path has no link left in it; readSmallFile refuses one swapped in at the last name.
  return readSmallFile(real, options);
}
