/** Small file-system helpers of the checkpoint store. */
import { copyFile, lstat, readdir, readFile, rename, stat, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export async function exists(path: string): Promise<boolean> {
  return lstat(path).then(
    () => true,
    () => false,
  );
}

export async function writeIfDifferent(path: string, content: string): Promise<void> {
  if ((await readFile(path, 'utf8').catch(() => undefined)) === content) return;
  // Whole or not at all: a half-written git config or attributes file would break every call.
  const temporary = `${path}.${process.pid}.tmp`;
  await writeFile(temporary, content);
  await rename(temporary, path);
}

/** Every non-directory under `dir` (workspace-relative), without following symlinks. */
export async function listFiles(root: string, dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const child of await readdir(join(root, dir), { withFileTypes: true })) {
    const path = `${dir}/${child.name}`;
    if (child.isDirectory()) out.push(...(await listFiles(root, path)));
    else out.push(path);
  }
  return out;
}

/**
 * A copy of the index with the original's mtime. Git trusts an entry's cached stat only when
 * the file's mtime is older than the index file's ("racy git"): a fresh mtime on the copy would
 * let a same-size edit made in the same second as the last snapshot pass as unchanged.
 */
export async function copyIndex(from: string, to: string): Promise<void> {
  const info = await stat(from).catch(ignoreCode('ENOENT'));
  if (!info) return;
  await copyFile(from, to);
  await utimes(to, info.atime, info.mtime);
}

export function depthOf(path: string): number {
  return path.split('/').length;
}

export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function isCode(error: unknown, code: string): boolean {
  return typeof error === 'object' && error !== null && (error as NodeJS.ErrnoException).code === code;
}

export function ignoreCode(code: string): (error: unknown) => void {
  return (error) => {
    if (!isCode(error, code)) throw error;
  };
}
