/** The checkpoint branch and tags: reading, moving and resolving them. */
import { randomBytes } from 'node:crypto';
import { lstat, mkdir, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { readStoreFile } from './fs-utils.js';
import type { Git } from './git.js';
import { CheckpointError, type CheckpointTag } from './types.js';

export const HEAD_REF = 'refs/heads/checkpoints';

/** The newest checkpoint, undefined before the first. */
export async function readHead(git: Git): Promise<string | undefined> {
  // We never pack refs, so the loose file is the fast path; git answers if someone did.
  const path = join(git.gitDir, HEAD_REF);
  const loose = readStoreFile(path) ?? '';
  if (/^[0-9a-f]{40,64}\n?$/.test(loose)) return loose.trim();
  // Not asked of git: git follows a link at a ref and would wait on a FIFO as readFile did.
  const info = await lstat(path).catch(() => undefined);
  if (info && !info.isFile()) {
    throw new CheckpointError(
      `the checkpoint branch ${path} is not a regular file (a link put into the store?); move it away`,
    );
  }
  return (await git.text(['rev-parse', '--verify', '-q', HEAD_REF], { okExitCodes: [1] })) || undefined;
}

/**
 * Points the checkpoint branch at `id`. Every writer holds the store's lock, so checking the
 * old value and renaming the new file in is the compare-and-swap that `git update-ref` would
 * do; a mismatch means someone else moved it and fails loudly.
 */
export async function moveHead(git: Git, expected: string | undefined, id: string): Promise<void> {
  if ((await readHead(git)) !== expected) {
    throw new CheckpointError('the checkpoint branch moved during a snapshot (another writer?)');
  }
  const file = join(git.gitDir, HEAD_REF);
  await mkdir(dirname(file), { recursive: true });
  const tmp = `${file}.tmp-${randomBytes(6).toString('hex')}`;
  await writeFile(tmp, `${id}\n`);
  await rename(tmp, file);
}

/** A commit by full or unique-prefix sha, tag name, or any revision (`HEAD~2`). */
export async function resolveRef(git: Git, ref: string): Promise<string | undefined> {
  if (ref === '' || ref.startsWith('-') || /[\0\n]/.test(ref)) return undefined;
  const out = await git.run(['rev-parse', '--verify', '-q', `${ref}^{commit}`], { okExitCodes: [1, 128] });
  return out.exitCode === 0 ? out.stdout.toString('utf8').trim() : undefined;
}

export async function resolveOrThrow(git: Git, ref: string): Promise<string> {
  const id = await resolveRef(git, ref);
  if (!id) throw new CheckpointError(`no such checkpoint: ${JSON.stringify(ref)}`);
  return id;
}

/** Creates the lightweight tag `refs/tags/<name>` on a commit. */
export async function createTag(git: Git, name: string, ref: string): Promise<CheckpointTag> {
  const full = `refs/tags/${name}`;
  const valid = name !== '' && !name.startsWith('-') && !name.includes('\0');
  if (!valid || (await git.run(['check-ref-format', full], { okExitCodes: [1] })).exitCode !== 0) {
    throw new CheckpointError(`invalid checkpoint tag name: ${JSON.stringify(name)}`);
  }
  if (await git.text(['rev-parse', '--verify', '-q', full], { okExitCodes: [1] })) {
    throw new CheckpointError(`checkpoint tag "${name}" already exists`);
  }
  const id = await resolveOrThrow(git, ref);
  // '' as the old value: fail if the tag appeared in between.
  await git.run(['update-ref', full, id, '']);
  return { name, id };
}

export async function listTags(git: Git): Promise<CheckpointTag[]> {
  // Ref names cannot hold newlines or spaces (check-ref-format), so lines are safe here.
  const out = await git.text(['for-each-ref', '--format=%(refname:strip=2) %(objectname)', 'refs/tags']);
  return out
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => {
      const space = line.lastIndexOf(' ');
      return { name: line.slice(0, space), id: line.slice(space + 1) };
    });
}
