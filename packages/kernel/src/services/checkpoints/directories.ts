/**
 * The workspace's directories and their modes, which git does not record. Directories holding
 * no captured file (empty ones, or ones with only skipped files) are invisible to git, so the
 * known ones are listed and git is asked which unknown children are ignored. A directory whose
 * mtime and ctime did not move since the last scan has the same children, so its listing is
 * reused; which unknown directories are ignored is remembered until an ignore file changes.
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { lstatIfPresent } from './fs-utils.js';
import { type Git, joinNul } from './git.js';
import type { DirListing, ManifestEntry } from './types.js';

export class DirectoryScanner {
  private listings: ReadonlyMap<string, DirListing> = new Map();
  private walkedDirs: string[] = [];
  private asked: ReadonlyMap<string, boolean> = new Map();
  private scanned = false;
  private readonly ignored = new Map<string, boolean>();

  constructor(
    private readonly workspace: string,
    private readonly git: Git,
  ) {}

  /** The folders the last scan walked (`''` for the root): those git's listing walks too. */
  walked(): string[] {
    return this.walkedDirs;
  }

  /** An ignore rule changed: which folders are ignored must be asked again. */
  forgetIgnored(): void {
    this.ignored.clear();
  }

  /**
   * The listings kept for the next scan, this process's or the next one's: those of folders that
   * last changed before the clock taken before they were read (racy, as for files: a folder
   * changed in the same clock tick may change again without its stamp moving).
   */
  settled(): ReadonlyMap<string, DirListing> {
    return this.listings;
  }

  /** Which of the folders the last scan met outside the captured ones are ignored. */
  ignoredAnswers(): ReadonlyMap<string, boolean> {
    return this.asked;
  }

  /**
   * Every non-ignored directory above or beside the captured files, with its mode. `known`: what
   * a previous process kept (`settled`, and `ignoredAnswers` when every ignore file it depended
   * on is as it was: the caller's to check), used by this scanner's first scan.
   */
  async scan(
    files: Iterable<string>,
    skipped: ReadonlySet<string>,
    clockNs: bigint,
    known: {
      readonly listings?: ReadonlyMap<string, DirListing> | undefined;
      readonly ignored?: ReadonlyMap<string, boolean> | undefined;
    } = {},
  ): Promise<ManifestEntry[]> {
    if (!this.scanned) {
      this.scanned = true;
      if (known.listings) this.listings = known.listings;
      for (const [path, ignored] of known.ignored ?? []) this.ignored.set(path, ignored);
    }
    const asked = new Map<string, boolean>();
    const dirs = new Set<string>();
    for (const path of files) {
      for (let cut = path.lastIndexOf('/'); cut > 0; cut = path.lastIndexOf('/', cut - 1)) {
        const dir = path.slice(0, cut);
        if (dirs.has(dir)) break;
        dirs.add(dir);
      }
    }
    const result: ManifestEntry[] = [];
    const seen = new Map<string, DirListing>();
    const settled = new Set<string>();
    let frontier = ['', ...dirs];
    while (frontier.length > 0) {
      const candidates: string[] = [];
      await Promise.all(
        frontier.map(async (dir) => {
          // Synchronous: a hundred folders take well under a millisecond, as promises several.
          const info = lstatIfPresent(join(this.workspace, dir));
          if (!info?.isDirectory()) return;
          if (dir !== '') result.push({ path: dir, type: 'dir', mode: Number(info.mode & 0o7777n) });
          const stamp = `${info.dev}:${info.ino}:${info.mtimeNs}:${info.ctimeNs}`;
          const cached = this.listings.get(dir);
          const children = cached?.stamp === stamp ? cached.children : await this.childDirectories(dir);
          seen.set(dir, { stamp, children });
          if (info.mtimeNs < clockNs && info.ctimeNs < clockNs) settled.add(dir);
          for (const name of children) {
            const path = dir === '' ? name : `${dir}/${name}`;
            if (path === '.oxydra' || dirs.has(path) || skipped.has(path + '/')) continue;
            candidates.push(path);
          }
        }),
      );
      if (candidates.length === 0) break;
      const unknown = candidates.filter((path) => !this.ignored.has(path));
      if (unknown.length > 0) {
        const ignored = await this.ignoredPaths(unknown);
        for (const path of unknown) this.ignored.set(path, ignored.has(path));
      }
      for (const path of candidates) asked.set(path, this.ignored.get(path) === true);
      frontier = candidates.filter((path) => this.ignored.get(path) === false);
      for (const path of frontier) dirs.add(path);
    }
    this.walkedDirs = [...seen.keys()];
    this.asked = asked;
    this.listings = new Map([...seen].filter(([dir]) => settled.has(dir)));
    return result;
  }

  private async childDirectories(dir: string): Promise<string[]> {
    const children = await readdir(join(this.workspace, dir), { withFileTypes: true }).catch(() => []);
    return children
      .filter((child) => child.isDirectory() && child.name !== '.git')
      .map((child) => child.name);
  }

  private async ignoredPaths(paths: string[]): Promise<Set<string>> {
    // `./` keeps a name such as `:x` from being read as pathspec magic; git echoes it back.
    // --no-index: a folder's rules alone decide, as they do for the capture's listing.
    const out = await this.git.records(['check-ignore', '-z', '--no-index', '--stdin'], {
      input: joinNul(paths.map((path) => `./${path}`)),
      okExitCodes: [1],
    });
    return new Set(out.map((path) => path.replace(/^\.\//, '')));
  }
}
