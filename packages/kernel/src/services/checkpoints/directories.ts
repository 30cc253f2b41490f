/**
 * The workspace's directories and their modes, which git does not record. Directories holding
 * no captured file (empty ones, or ones with only skipped files) are invisible to git, so the
 * known ones are listed and git is asked which unknown children are ignored. A directory whose
 * mtime and ctime did not move since the last scan has the same children, so its listing is
 * reused; which unknown directories are ignored is remembered until an ignore file changes.
 */
import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { type Git, joinNul } from './git.js';
import type { DirListing, ManifestEntry } from './types.js';

export class DirectoryScanner {
  private listings = new Map<string, DirListing>();
  private readonly ignored = new Map<string, boolean>();

  constructor(
    private readonly workspace: string,
    private readonly git: Git,
  ) {}

  /** The folders the last scan walked (`''` for the root): those git's listing walks too. */
  walked(): string[] {
    return [...this.listings.keys()];
  }

  /** An ignore rule changed: which folders are ignored must be asked again. */
  forgetIgnored(): void {
    this.ignored.clear();
  }

  /** Every non-ignored directory above or beside the captured files, with its mode. */
  async scan(files: Iterable<string>, skipped: ReadonlySet<string>): Promise<ManifestEntry[]> {
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
    let frontier = ['', ...dirs];
    while (frontier.length > 0) {
      const candidates: string[] = [];
      await Promise.all(
        frontier.map(async (dir) => {
          const info = await lstat(join(this.workspace, dir), { bigint: true }).catch(() => undefined);
          if (!info?.isDirectory()) return;
          if (dir !== '') result.push({ path: dir, type: 'dir', mode: Number(info.mode & 0o7777n) });
          const stamp = `${info.ino}:${info.mtimeNs}:${info.ctimeNs}`;
          const cached = this.listings.get(dir);
          const children = cached?.stamp === stamp ? cached.children : await this.childDirectories(dir);
          seen.set(dir, { stamp, children });
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
      frontier = candidates.filter((path) => this.ignored.get(path) === false);
      for (const path of frontier) dirs.add(path);
    }
    this.listings = seen;
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
