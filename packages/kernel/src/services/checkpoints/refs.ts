/** The checkpoint branch and tags: reading, moving and resolving them. */
import { randomBytes } from 'node:crypto';
import { renameSync, writeFileSync } from 'node:fs';
import { lstat, mkdir, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { localMac } from '@oxydra/config';
import { bindStateFolder, ORIGIN_FILE_IN_FOLDER, stateFolderBound } from '../../store/state-origin.js';
import { readStoreFile, STORE_FILES } from './fs-utils.js';
import type { Git } from './git.js';
import { readCheckedObjects } from './objects.js';
import { CheckpointError, type CheckpointTag, TamperedStoreError } from './types.js';

export const HEAD_REF = 'refs/heads/checkpoints';

/*
 * The branch's record: where Oxydra last moved the branch (and where it was before, should a
 * crash fall between the record and the branch), MAC'd under the user's local key with the store's
 * origin id. A `git pull` can put a ref file and the objects it names into the store; it cannot
 * make this record for them, so a branch that is not the recorded one stops every command
 * (readHead), and any other commit (a tag, `HEAD~2`) must lie on the recorded branch (resolveRef).
 * A store made before the record existed gets one at its next open (trust on first use), and its
 * origin record (state-origin.ts, under the same key, which no pull can write) then says it is
 * bound: a bound store without its record had it deleted (by a pull), and is refused.
 */
export const HEAD_RECORD = STORE_FILES.headRecord;
const RECORD_TAG = 'oxydra-checkpoint-head-v1';
const NONE = 'none';

/** A MAC of `parts` under the user's local key with the store's origin id (the cache's too). */
export function storeMac(
  git: Pick<Git, 'gitDir' | 'keyEnv'>,
  tag: string,
  parts: readonly (string | Uint8Array)[],
): string {
  const origin = (readStoreFile(join(git.gitDir, ORIGIN_FILE_IN_FOLDER)) ?? '').slice(0, 32);
  return localMac([tag, origin, ...parts], git.keyEnv);
}

type KeyedStore = Pick<Git, 'gitDir' | 'keyEnv'>;

function recordMac(git: KeyedStore, head: string, previous: string): string {
  return storeMac(git, RECORD_TAG, [head, previous]);
}

function recordLine(git: KeyedStore, head: string | undefined, previous: string | undefined): string {
  const now = head ?? NONE;
  const before = previous ?? NONE;
  return `${now} ${before} ${recordMac(git, now, before)}\n`;
}

/** Records `head` (a sha, or none before the first checkpoint) as the branch Oxydra left. */
export async function writeHeadRecord(git: Git, head: string | undefined, previous?: string): Promise<void> {
  const file = join(git.gitDir, HEAD_RECORD);
  const tmp = `${file}.tmp-${randomBytes(6).toString('hex')}`;
  await writeFile(tmp, recordLine(git, head, previous), { mode: 0o600 });
  await rename(tmp, file);
}

/**
 * `oxydra trust --adopt-state` on a store: the user says it is theirs, and its origin record now
 * has a new id under their key, so the old record (MAC'd with another id or key) no longer
 * checks. The branch as it is now is recorded under the new id, and the store bound to it; a
 * branch file that is no sha is left for readHead to refuse. Called right after the adoption.
 */
export function adoptHeadRecord(gitDir: string, keyEnv: NodeJS.ProcessEnv): void {
  const git = { gitDir, keyEnv };
  const branch = readStoreFile(join(gitDir, HEAD_REF));
  if (branch !== undefined && !/^[0-9a-f]{40}\n?$/.test(branch)) return;
  const file = join(gitDir, HEAD_RECORD);
  const tmp = `${file}.tmp-${randomBytes(6).toString('hex')}`;
  writeFileSync(tmp, recordLine(git, branch?.trim(), undefined), { mode: 0o600, flag: 'wx' });
  renameSync(tmp, file);
  bindStateFolder(gitDir, keyEnv);
}

/**
 * Throws unless the branch `head` is the recorded one (or the one before it: a snapshot that
 * crashed between the two writes). No record at all: a store of an older Oxydra, trusted, unless
 * its origin record says it was bound (then the record was deleted).
 */
function checkRecorded(git: Git, head: string | undefined): void {
  const { gitDir } = git;
  const path = join(gitDir, HEAD_RECORD);
  const text = readStoreFile(path);
  if (text === undefined) {
    if (!stateFolderBound(gitDir, git.keyEnv)) return;
    throw new TamperedStoreError(
      gitDir,
      path,
      'missing, though Oxydra bound this store to it (deleted by a git pull of a repository that tracked it?)',
    );
  }
  const match = /^([0-9a-f]{40,64}|none) ([0-9a-f]{40,64}|none) ([0-9a-f]{64})\n$/.exec(text);
  if (!match || recordMac(git, match[1]!, match[2]!) !== match[3]) {
    throw new TamperedStoreError(
      gitDir,
      path,
      'not written by Oxydra for you (a git pull of a repository that tracks files under .oxydra/?)',
    );
  }
  const now = head ?? NONE;
  if (now !== match[1] && now !== match[2]) {
    throw new TamperedStoreError(
      gitDir,
      join(gitDir, HEAD_REF),
      `pointing at ${now}, where Oxydra never moved it (a git pull of a repository that tracks files under .oxydra/?)`,
    );
  }
}

/** The newest checkpoint, undefined before the first. */
export async function readHead(git: Git): Promise<string | undefined> {
  // We never pack refs, so the loose file is the fast path; git answers if someone did.
  const path = join(git.gitDir, HEAD_REF);
  const loose = readStoreFile(path) ?? '';
  if (/^[0-9a-f]{40,64}\n?$/.test(loose)) {
    checkRecorded(git, loose.trim());
    return loose.trim();
  }
  // Not asked of git: git follows a link at a ref and would wait on a FIFO as readFile did.
  const info = await lstat(path).catch(() => undefined);
  if (info && !info.isFile()) {
    throw new CheckpointError(
      `the checkpoint branch ${path} is not a regular file (a link put into the store?); move it away`,
    );
  }
  // Oxydra never packs refs (verifyRepository refuses a packed-refs file), so no loose file is no branch.
  if (info) throw new TamperedStoreError(git.gitDir, path, 'which is no branch Oxydra wrote');
  checkRecorded(git, undefined);
  return undefined;
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
  // The record first: a crash before the branch moves leaves it at the record's "before".
  await writeHeadRecord(git, id, expected);
  await writeFile(tmp, `${id}\n`);
  await rename(tmp, file);
}

/** A commit by full or unique-prefix sha, tag name, or any revision (`HEAD~2`). */
export async function resolveRef(git: Git, ref: string): Promise<string | undefined> {
  if (ref === '' || ref.startsWith('-') || /[\0\n]/.test(ref)) return undefined;
  const out = await git.run(['rev-parse', '--verify', '-q', `${ref}^{commit}`], { okExitCodes: [1, 128] });
  if (out.exitCode !== 0) return undefined;
  const id = out.stdout.toString('utf8').trim();
  // A tag, a reflog entry or an abbreviation can name any commit in the objects; only those on
  // the recorded branch are checkpoints (replacements, grafts and shallow files are off or refused).
  const head = (await readHead(git)) ?? git.lenderHead;
  if (id === head) return id;
  if (head === undefined || !onBranch(git, id, head)) {
    throw new TamperedStoreError(
      git.gitDir,
      `a commit ${id} (named ${JSON.stringify(ref)})`,
      'that is not on the checkpoint branch Oxydra recorded',
    );
  }
  return id;
}

/**
 * Whether `id` is `head` or one of its ancestors, walked through commits that hash to their names:
 * git's own walk (`merge-base`) believes any object file under a commit's name, so one planted
 * there could name the author's commit as its parent. A checkpoint has at most one parent.
 */
function onBranch(git: Git, id: string, head: string): boolean {
  let at: string | undefined = head;
  while (at !== undefined) {
    if (at === id) return true;
    const commit = readCheckedObjects(git.gitDir, [at], git.borrowedObjects).get(at);
    if (!commit) return false;
    const header = commit.subarray(0, commit.indexOf('\n\n')).toString('latin1');
    at = /^parent ([0-9a-f]{40})$/m.exec(header)?.[1];
  }
  return false;
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
