/**
 * The checkpoint repository's own files: written at every open (nothing else configures it),
 * and the leftovers of a crashed operation cleared before the next one.
 */
import { type Dirent, lstatSync, readdirSync } from 'node:fs';
import { lstat, mkdir, readdir, rm, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { bindStateFolder, ORIGIN_FILE_IN_FOLDER, stateFolderBound } from '../../store/state-origin.js';
import { exists, readStoreFile, STORE_FILES, writeIfDifferent } from './fs-utils.js';
import type { Git } from './git.js';
import { pinFolder } from './no-follow.js';
import { HEAD_RECORD, HEAD_REF, writeHeadRecord } from './refs.js';
import { TamperedStoreError } from './types.js';

// The work tree is given by GIT_WORK_TREE on every call, so the config names none.
const CONFIG_FILE = `# Written by Oxydra at every open; any other setting here is replaced.
[core]
\trepositoryformatversion = 0
\tfilemode = true
\tbare = false
\tlogallrefupdates = true
`;

const EXCLUDE_FILE = `# Written by Oxydra. The checkpoint store's own data and the user's repository are never captured.
/.oxydra/
/.git
`;
// info/attributes outranks every .gitattributes in the workspace: a checkpoint stores bytes,
// never line-ending conversions, clean/smudge filters or $Id$ expansion.
const ATTRIBUTES_FILE = `# Written by Oxydra: store and restore bytes exactly.
* -text !eol -filter -ident !working-tree-encoding
`;

/** The files `initRepository` writes, with their content (paths relative to the git dir). */
const OWN_FILES: readonly (readonly [string, string])[] = [
  ['config', CONFIG_FILE],
  ['HEAD', `ref: ${HEAD_REF}\n`],
  ['info/exclude', EXCLUDE_FILE],
  ['info/attributes', ATTRIBUTES_FILE],
  ['.gitignore', '*\n'],
];

/**
 * Whether the repository is already as `initRepository` leaves it, so that opening a store
 * (each `oxydra run` does) writes nothing, and needs neither the lock nor git.
 */
export async function repositoryReady(git: Git): Promise<boolean> {
  const { gitDir } = git;
  const found = await Promise.all(OWN_FILES.map(([name]) => readStoreFile(join(gitDir, name))));
  return (
    OWN_FILES.every(([, content], at) => found[at] === content) &&
    (await exists(join(gitDir, HEAD_RECORD))) &&
    stateFolderBound(gitDir, git.keyEnv)
  );
}

export async function initRepository(git: Git, alternates?: string): Promise<void> {
  const info = join(git.gitDir, 'info');
  // The whole config is ours, rewritten at every open: nothing else configures this repository.
  // Before git's first call here, which would read one put there meanwhile.
  await writeIfDifferent(join(git.gitDir, 'config'), CONFIG_FILE);
  if (!(await exists(join(git.gitDir, 'HEAD')))) {
    // No template: sample hooks and a description file have no use here.
    await git.run(['init', '--quiet', '--template=']);
    // A new store is bound from its start: no branch yet, and any that appears is refused.
    await writeHeadRecord(git, undefined);
    // git init adds settings of its own to the config it finds.
    await writeIfDifferent(join(git.gitDir, 'config'), CONFIG_FILE);
  } else if (!(await exists(join(git.gitDir, HEAD_RECORD))) && !stateFolderBound(git.gitDir, git.keyEnv)) {
    // A store of an Oxydra before the record: its branch is taken as it is, once (trust on
    // first use); a branch file that is no sha is left for readHead to refuse. A bound store
    // without its record is left for readHead to refuse: the record was deleted.
    const branch = readStoreFile(join(git.gitDir, HEAD_REF)) ?? '';
    if (/^[0-9a-f]{40}\n$/.test(branch)) await writeHeadRecord(git, branch.trim());
    else if (!(await exists(join(git.gitDir, HEAD_REF)))) await writeHeadRecord(git, undefined);
  }
  // Once it has its record, the store is bound in its origin record, where no pull can write: from
  // then on a missing record is a deleted one (refs.ts). After the record, so a crash in between
  // leaves a store that is bound at its next open.
  if (await exists(join(git.gitDir, HEAD_RECORD))) bindStateFolder(git.gitDir, git.keyEnv);
  // HEAD names our branch so that `HEAD~1` and friends mean "the checkpoint before". Read first:
  // it already does after the first open, and git would cost each `oxydra run` a process.
  if (readStoreFile(join(git.gitDir, 'HEAD')) !== `ref: ${HEAD_REF}\n`) {
    await git.run(['symbolic-ref', 'HEAD', HEAD_REF]);
  }
  await mkdir(info, { recursive: true });
  await writeIfDifferent(join(info, 'exclude'), EXCLUDE_FILE);
  await writeIfDifferent(join(info, 'attributes'), ATTRIBUTES_FILE);
  // Hides our repository from the user's own `git status` without touching their .git.
  await writeIfDifferent(join(git.gitDir, '.gitignore'), '*\n');
  if (alternates !== undefined) {
    await mkdir(join(git.gitDir, 'objects', 'info'), { recursive: true });
    await writeIfDifferent(join(git.gitDir, 'objects', 'info', 'alternates'), `${alternates}\n`);
  }
}

/**
 * Every writer holds the store's lock, so git lock files and temporary indexes found now were
 * left by a crashed run; without this a single crash would block snapshots forever.
 */
export async function clearLeftovers(gitDir: string, workspace: string): Promise<void> {
  const names = await readdir(gitDir).catch((): string[] => []);
  if (names.includes(RESTORE_JOURNAL)) await sweepRestoreLeftovers(gitDir, workspace);
  await Promise.all(
    names
      .filter(
        (name) =>
          name.startsWith('tmp-index-') ||
          name.includes('.tmp-') ||
          name === 'index.lock' ||
          // No call of ours uses an index (objects.ts writes trees itself); one found was put
          // there, and `ls-files --others` would take the paths it lists as not new.
          name === 'index' ||
          name === 'HEAD.lock',
      )
      .map((name) => rm(join(gitDir, name), { force: true })),
  );
  await rm(join(gitDir, `${HEAD_REF}.lock`), { force: true });
}

/** A restore's journal of its temporary files (restore-journal.ts), and the prefix they have. */
export const RESTORE_JOURNAL = STORE_FILES.restoreJournal;
const RESTORE_PREFIX = /^\.oxydra-restore-[0-9a-f]{16}-$/;

/** Removes what a restore killed mid-write left behind (under the store's lock). */
async function sweepRestoreLeftovers(gitDir: string, workspace: string): Promise<void> {
  const path = join(gitDir, RESTORE_JOURNAL);
  const journal = parse(readStoreFile(path) ?? '');
  for (const dir of journal?.dirs ?? []) {
    // Through the folder pinned without a link: a folder swapped for a link is skipped, never
    // swept through into wherever it points.
    const folder = await pinFolder(workspace, dir);
    if (!folder) continue;
    try {
      const names = await readdir(folder.at('')).catch(() => []);
      for (const name of names) {
        if (!name.startsWith(journal!.prefix)) continue;
        const info = await lstat(folder.at(name)).catch(() => undefined);
        if (info?.isFile() || info?.isSymbolicLink()) await unlink(folder.at(name)).catch(() => {});
      }
    } finally {
      await folder.close();
    }
  }
  await rm(path, { force: true });
}

function parse(text: string): { prefix: string; dirs: string[] } | undefined {
  try {
    const value = JSON.parse(text) as { prefix?: unknown; dirs?: unknown };
    if (typeof value.prefix !== 'string' || !RESTORE_PREFIX.test(value.prefix) || !Array.isArray(value.dirs))
      return undefined;
    return { prefix: value.prefix, dirs: value.dirs.filter((dir): dir is string => typeof dir === 'string') };
  } catch {
    // Cut short by the crash itself: no temporary was made before it was whole.
    return undefined;
  }
}

// ---- What the git dir may hold ----
/*
 * Git reads far more of its directory than the files above: `commondir`, `packed-refs`,
 * `shallow`, `info/grafts`, `objects/info/alternates`, commit graphs, packs, `refs/replace/*`, any
 * ref. A `git pull` can put each of them into this ignored folder (git overwrites ignored files a
 * pulled commit tracks), and each changes what a checkpoint holds or what `undo` puts back. So
 * before each operation the folder is held to what Oxydra writes: its own files byte-equal, and
 * no name that it never writes (an allowlist, not a list of git's files: a newer git's file is
 * refused too). Loose objects inside the fan-out folders are checked where they are read
 * (objects.ts, blob-stream.ts), the branch by its record (refs.ts).
 */

/**
 * The names allowed at the top: the git files Oxydra writes (OWN_FILES and what `git init`
 * leaves), its origin record, and its own files (the lock, the branch record, run marks, the
 * capture cache and clock, a restore's journal), named once in STORE_FILES where their writers
 * take them from.
 */
const TOP_LEVEL = new Set<string>([
  'HEAD',
  'config',
  'objects',
  'refs',
  'info',
  '.gitignore',
  ORIGIN_FILE_IN_FOLDER,
  ...Object.values(STORE_FILES),
  // Reflogs only name commits, which must lie on the recorded branch (refs.ts); an index is
  // removed under the lock (clearLeftovers) and read by no call that runs without it.
  'logs',
  'index',
]);
/** Temporaries and locks of a writer working meanwhile (a listing takes no lock). */
const TEMPORARY = /(\.tmp-[0-9a-z]+|\.\d+\.tmp|\.lock(\.[0-9a-f]{12})?)$|^tmp-index-/;
const FOLDERS = new Set(['objects', 'refs', 'info', STORE_FILES.activeRuns, 'logs']);

/**
 * Throws TamperedStoreError naming the first file the git dir must not hold. `alternates` is the
 * objects folder a borrowed store (restore-copy.ts) reads from, written by Oxydra.
 */
export function verifyRepository(gitDir: string, alternates?: string): void {
  const refuse = (file: string, why?: string): never => {
    throw new TamperedStoreError(gitDir, join(gitDir, file), why);
  };
  // Every name in `dir` must be allowed, or a writer's temporary.
  const only = (dir: string, allowed: (entry: Dirent) => boolean): void => {
    for (const entry of list(gitDir, dir, refuse)) {
      if (!allowed(entry) && !(TEMPORARY.test(entry.name) && entry.isFile())) refuse(`${dir}/${entry.name}`);
    }
  };
  for (const entry of list(gitDir, '', refuse)) {
    const { name } = entry;
    if (TEMPORARY.test(name) && entry.isFile()) continue;
    if (!TOP_LEVEL.has(name) || FOLDERS.has(name) !== entry.isDirectory()) refuse(name);
  }
  for (const [name, content] of OWN_FILES) {
    if (readStoreFile(join(gitDir, name)) !== content) {
      refuse(
        name,
        'changed since Oxydra wrote it (a git pull of a repository that tracks files under .oxydra/?)',
      );
    }
  }
  only('info', (entry) => entry.isFile() && (entry.name === 'exclude' || entry.name === 'attributes'));
  only('refs', (entry) => entry.isDirectory() && (entry.name === 'heads' || entry.name === 'tags'));
  // The branch alone; a tag names a commit, which must lie on the recorded branch (refs.ts).
  only('refs/heads', (entry) => entry.isFile() && entry.name === HEAD_REF.slice(11));
  // In objects/, git reads only the fan-out folders (objects there are checked where read),
  // info/ and pack/: those two must be real folders, not links to someone else's.
  for (const dir of ['objects/info', 'objects/pack']) {
    const info = lstatSync(join(gitDir, dir), { throwIfNoEntry: false });
    if (info && !info.isDirectory()) refuse(dir);
  }
  // Oxydra never packs (gc.auto=0) and writes no commit graph; alternates only for a borrowed store.
  only('objects/pack', () => false);
  only('objects/info', (entry) => alternates !== undefined && entry.isFile() && entry.name === 'alternates');
  if (
    alternates !== undefined &&
    readStoreFile(join(gitDir, 'objects/info/alternates')) !== `${alternates}\n`
  ) {
    refuse('objects/info/alternates', 'naming objects Oxydra did not borrow');
  }
}

function list(gitDir: string, dir: string, refuse: (file: string) => never): Dirent[] {
  try {
    return readdirSync(join(gitDir, dir), { withFileTypes: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    return refuse(dir);
  }
}
