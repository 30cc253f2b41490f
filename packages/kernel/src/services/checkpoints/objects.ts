/**
 * Git objects written by the store itself as loose objects (blobs, trees, commits), so a
 * snapshot needs no `git add`, `git write-tree` or `git commit-tree` process: each costs 3-15 ms
 * to start, more than hashing the few files that changed.
 */
import { createHash, randomBytes } from 'node:crypto';
import { lstatSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { deflate, deflateSync, inflateSync } from 'node:zlib';
import { isCode } from './fs-utils.js';
import { type GitEntry, TamperedStoreError } from './types.js';

const deflateAsync = promisify(deflate);
// Above this, compressing runs on the thread pool instead of holding the event loop.
const INLINE_DEFLATE_BYTES = 64 * 1024;
const TREE_MODE = '40000';
const TEMPORARY_TAG = randomBytes(6).toString('hex');
let temporaries = 0;
const SLASH = Buffer.from('/');

export type ObjectType = 'blob' | 'tree' | 'commit';

/** The sha a git object of this type and content has (sha1 repositories: ours are). */
export function objectId(type: ObjectType, content: Buffer): string {
  return createHash('sha1').update(`${type} ${content.length}\0`).update(content).digest('hex');
}

/** Writes an object unless the repository holds it already; returns its sha. */
export async function writeObject(gitDir: string, type: ObjectType, content: Buffer): Promise<string> {
  const sha = objectId(type, content);
  const file = objectFile(gitDir, sha);
  // One put there by someone else (ownObject) is written anew over it, with the content its name says.
  if (ownObject(file) === true) return sha;
  const raw = Buffer.concat([Buffer.from(`${type} ${content.length}\0`), content]);
  const packed = raw.length > INLINE_DEFLATE_BYTES ? await deflateAsync(raw) : deflateSync(raw);
  // Whole or not at all: a reader never sees half an object under its final name. The name is
  // unguessable (a random part drawn once per process) and created exclusively, never followed.
  const tmp = `${file}.tmp-${TEMPORARY_TAG}${(temporaries++).toString(36)}`;
  try {
    writeFileSync(tmp, packed, { mode: 0o444, flag: 'wx' });
  } catch (error) {
    // The fan-out folder is made on first use only: most objects land in one that exists.
    if (!isCode(error, 'ENOENT')) throw error;
    mkdirSync(join(file, '..'), { recursive: true });
    writeFileSync(tmp, packed, { mode: 0o444, flag: 'wx' });
  }
  renameSync(tmp, file);
  return sha;
}

function objectFile(gitDir: string, sha: string, objects = join(gitDir, 'objects')): string {
  return join(objects, sha.slice(0, 2), sha.slice(2));
}

/**
 * Whether the loose object at `file` was written by Oxydra or git (both write objects 0444), or
 * undefined when there is none. Git reads a loose object without checking that its content
 * hashes to its name, and a `git pull` into the workspace can put one into the store under the
 * name of a tree or blob its author knows a checkpoint holds (the repository's own files); git
 * writes every file it checks out writable by its owner, whatever the umask leaves of 0644.
 */
function ownObject(file: string): boolean | undefined {
  const info = lstatSync(file, { throwIfNoEntry: false });
  return info === undefined ? undefined : info.isFile() && (info.mode & 0o222) === 0;
}

/**
 * The content of the loose objects named `shas` (in the store, or in the store it borrows from),
 * each checked against its name: git reads a loose object without that check, so a commit or
 * tree put there under a name a checkpoint holds would change what it restores. Throws
 * TamperedStoreError for one that does not hash to its name; one not found is left to git.
 */
export function readCheckedObjects(
  gitDir: string,
  shas: readonly string[],
  borrowed?: string,
): Map<string, Buffer> {
  const found = new Map<string, Buffer>();
  for (const sha of shas) {
    for (const file of [objectFile(gitDir, sha), ...(borrowed ? [objectFile(gitDir, sha, borrowed)] : [])]) {
      if (ownObject(file) === undefined) continue;
      let raw: Buffer | undefined;
      try {
        raw = lstatSync(file).isFile() ? inflateSync(readFileSync(file)) : undefined;
      } catch {
        raw = undefined;
      }
      if (!raw || createHash('sha1').update(raw).digest('hex') !== sha) {
        throw new TamperedStoreError(gitDir, file, 'whose content does not hash to its name');
      }
      found.set(sha, raw.subarray(raw.indexOf(0) + 1));
      break;
    }
  }
  return found;
}

interface TreeChild {
  readonly name: Buffer;
  readonly mode: string;
  sha: string;
}

/**
 * Writes the trees of a set of files (workspace-relative paths with `/`) and returns the root
 * tree's sha. Trees nobody changed hash to shas the repository already holds and are not rewritten.
 */
export async function writeTrees(gitDir: string, files: ReadonlyMap<string, GitEntry>): Promise<string> {
  const trees = new Map<string, TreeChild[]>([['', []]]);
  const childrenOf = (dir: string): TreeChild[] => {
    let children = trees.get(dir);
    if (children) return children;
    children = [];
    trees.set(dir, children);
    const cut = dir.lastIndexOf('/');
    // A new folder is a child of its parent, which may be new as well.
    childrenOf(cut === -1 ? '' : dir.slice(0, cut)).push({
      name: Buffer.from(cut === -1 ? dir : dir.slice(cut + 1)),
      mode: TREE_MODE,
      sha: dir,
    });
    return children;
  };
  for (const [path, entry] of files) {
    const cut = path.lastIndexOf('/');
    childrenOf(cut === -1 ? '' : path.slice(0, cut)).push({
      name: Buffer.from(cut === -1 ? path : path.slice(cut + 1)),
      mode: entry.mode,
      sha: entry.sha,
    });
  }
  // Deepest first, so a tree's sha is known before its parent is written (a tree child's `sha`
  // holds its folder path until then).
  const dirs = [...trees.keys()].sort((a, b) => depth(b) - depth(a));
  const written = new Map<string, string>();
  for (const dir of dirs) {
    const children = trees.get(dir) ?? [];
    for (const child of children) {
      if (child.mode === TREE_MODE) child.sha = written.get(child.sha) ?? child.sha;
    }
    written.set(dir, await writeObject(gitDir, 'tree', treeContent(children)));
  }
  return written.get('') ?? '';
}

function depth(dir: string): number {
  return dir === '' ? 0 : dir.split('/').length;
}

/** Git's tree format: entries sorted by name bytes, a folder's name compared as if it ended in `/`. */
function treeContent(children: TreeChild[]): Buffer {
  const keyed = children.map((child) => ({
    child,
    key: child.mode === TREE_MODE ? Buffer.concat([child.name, SLASH]) : child.name,
  }));
  const sorted = keyed.sort((a, b) => Buffer.compare(a.key, b.key)).map(({ child }) => child);
  return Buffer.concat(
    sorted.flatMap((child) => [
      Buffer.from(`${child.mode} `),
      child.name,
      Buffer.from([0]),
      Buffer.from(child.sha, 'hex'),
    ]),
  );
}
