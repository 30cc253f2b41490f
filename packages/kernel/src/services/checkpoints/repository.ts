/**
 * The checkpoint repository's own files: written at every open (nothing else configures it),
 * and the leftovers of a crashed operation cleared before the next one.
 */
import { lstat, mkdir, readdir, rm, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { exists, readStoreFile, writeIfDifferent } from './fs-utils.js';
import type { Git } from './git.js';
import { pinFolder } from './no-follow.js';
import { HEAD_REF } from './refs.js';

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
export async function repositoryReady(gitDir: string): Promise<boolean> {
  const found = await Promise.all(OWN_FILES.map(([name]) => readStoreFile(join(gitDir, name))));
  return OWN_FILES.every(([, content], at) => found[at] === content);
}

export async function initRepository(git: Git): Promise<void> {
  const info = join(git.gitDir, 'info');
  if (!(await exists(join(git.gitDir, 'HEAD')))) {
    // No template: sample hooks and a description file have no use here.
    await git.run(['init', '--quiet', '--template=']);
  }
  // The whole config is ours, rewritten at every open: nothing else configures this repository.
  await writeIfDifferent(join(git.gitDir, 'config'), CONFIG_FILE);
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
          name === 'HEAD.lock',
      )
      .map((name) => rm(join(gitDir, name), { force: true })),
  );
  await rm(join(gitDir, `${HEAD_REF}.lock`), { force: true });
}

/** A restore's journal of its temporary files (restore-journal.ts), and the prefix they have. */
export const RESTORE_JOURNAL = 'restore-journal.json';
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
