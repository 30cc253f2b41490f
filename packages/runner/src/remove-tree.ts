/**
 * Removing a folder a guest can write, whole. Node's recursive rm walks by path: a guest that
 * swaps a subfolder for a link to a host folder between the walk's look and its descent has
 * the host folder's files deleted (with a root runner, any file). GNU rm walks by descriptor
 * (fts: each folder opened without following a link, checked, its entries removed relative to
 * it), so a swapped link is removed, never followed.
 */
import { execFile } from 'node:child_process';

/** Best effort, like `rm -rf`: what could not be removed (a guest still writing) is left. */
export function removeGuestTree(path: string): Promise<void> {
  return new Promise((resolve) => {
    execFile('rm', ['-rf', '--', path], () => resolve());
  });
}
