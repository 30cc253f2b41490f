/**
 * The search used when ripgrep is not installed: a walk of the tree in path order that honours
 * .gitignore files, skips binary and very large files and does not follow symbolic links (as rg).
 * Every folder is opened through its parent's descriptor and every file no-follow and
 * non-blocking (see fs/anchored.ts): a link swapped in mid-walk is never followed, and a FIFO
 * or device, even one named .gitignore, is skipped without ever waiting on it.
 */
import { readdir } from 'node:fs/promises';
import { Cancelled } from '@oxydra/types';
import { AnchoredDir, openForReading, readCapped } from '../fs/anchored.js';
import { MAX_WALK_DEPTH } from '../fs/depth.js';
import { byCodePoint, SKIPPED_DIRS } from '../fs/names.js';
import { GitIgnore, isIgnored } from './gitignore.js';
import {
  isCaseSensitive,
  keptText,
  MAX_SEARCHED_FILE_BYTES,
  type SearchMatch,
  type SearchRequest,
  type SearchResult,
} from './types.js';

/** A regular file's bytes, or undefined for anything else (missing, a link, a FIFO, too large). */
async function readRegular(path: string): Promise<Buffer | undefined> {
  const file = await openForReading(path).catch(() => undefined);
  if (!file) return undefined;
  try {
    const { info } = file;
    if (!info.isFile() || info.size > MAX_SEARCHED_FILE_BYTES) return undefined;
    return await readCapped(file.read, info.size, MAX_SEARCHED_FILE_BYTES, () => new Error('too large'));
  } catch {
    return undefined;
  } finally {
    file.close();
  }
}

async function readIgnore(folder: AnchoredDir, relative: string): Promise<GitIgnore | undefined> {
  const bytes = await readRegular(folder.at('.gitignore'));
  return bytes === undefined ? undefined : new GitIgnore(relative, bytes.toString('utf8'));
}

class Walk {
  readonly matches: SearchMatch[] = [];
  /** The first folder left unsearched for its depth (see depth.ts). */
  tooDeep: string | undefined;
  readonly #matches: (line: string) => boolean;

  constructor(readonly request: SearchRequest) {
    const { query } = request;
    const lower = query.toLowerCase();
    this.#matches = isCaseSensitive(query)
      ? (line) => line.includes(query)
      : (line) => line.toLowerCase().includes(lower);
  }

  get full(): boolean {
    return this.matches.length > this.request.maxMatches;
  }

  async searchFile(folder: AnchoredDir, name: string, relative: string): Promise<void> {
    const bytes = await readRegular(folder.at(name));
    if (!bytes || bytes.includes(0)) return;
    const lines = bytes.toString('utf8').split('\n');
    for (let i = 0; i < lines.length && !this.full; i++) {
      const line = lines[i]!.replace(/\r$/, '');
      if (this.#matches(line)) this.matches.push({ path: relative, line: i + 1, text: keptText(line) });
    }
  }

  /** `depth`: how many folders below the searched one `folder` is. */
  async searchDirectory(
    folder: AnchoredDir,
    relative: string,
    ignores: readonly GitIgnore[],
    depth = 0,
  ): Promise<void> {
    if (this.request.signal.aborted) throw new Cancelled('file_search cancelled');
    const own = await readIgnore(folder, relative);
    const rules = own === undefined ? ignores : [...ignores, own];
    const entries = await readdir(folder.at(''), { withFileTypes: true }).catch(() => []);
    entries.sort((a, b) => byCodePoint(a.name, b.name));
    for (const entry of entries) {
      if (this.full) return;
      const path = relative === '' ? entry.name : `${relative}/${entry.name}`;
      if (entry.isDirectory()) {
        if (SKIPPED_DIRS.has(entry.name) || isIgnored(rules, path, true)) continue;
        // Each level below keeps this one open: a bounded number of them.
        if (depth >= MAX_WALK_DEPTH) {
          this.tooDeep ??= path;
          continue;
        }
        // No-follow: a folder that became a link since the listing is skipped.
        const inner = await folder.child(entry.name).catch(() => undefined);
        if (!inner) continue;
        try {
          await this.searchDirectory(inner, path, rules, depth + 1);
        } finally {
          await inner.close();
        }
      } else if (entry.isFile() && !isIgnored(rules, path, false)) {
        await this.searchFile(folder, entry.name, path);
      }
    }
  }
}

/** Walks from the root down to `target`'s folder, gathering the .gitignore files above it. */
async function descend(
  root: string,
  parts: readonly string[],
): Promise<{ folder: AnchoredDir; ignores: GitIgnore[] }> {
  let folder = await AnchoredDir.open(root, (real) => {
    if (real !== root) throw new Error(`the workspace moved during the search: ${root}`);
  });
  const ignores: GitIgnore[] = [];
  try {
    for (let depth = 0; depth < parts.length; depth++) {
      const ignore = await readIgnore(folder, parts.slice(0, depth).join('/'));
      if (ignore) ignores.push(ignore);
      const next = await folder.child(parts[depth]!);
      await folder.close();
      folder = next;
    }
  } catch (error) {
    await folder.close();
    throw error;
  }
  return { folder, ignores };
}

export async function searchWithJs(request: SearchRequest): Promise<SearchResult> {
  const walk = new Walk(request);
  const parts = request.target === '.' || request.target === '' ? [] : request.target.split('/');
  const name = parts.at(-1);
  // A folder: walk it. A file named explicitly is searched even when ignored, as rg does.
  const asFolder = await descend(request.root, parts).catch(async (error: NodeJS.ErrnoException) => {
    if (name === undefined || error.code !== 'ENOTDIR') throw error;
    return undefined;
  });
  if (asFolder) {
    try {
      await walk.searchDirectory(asFolder.folder, parts.join('/'), asFolder.ignores);
    } finally {
      await asFolder.folder.close();
    }
  } else {
    const { folder } = await descend(request.root, parts.slice(0, -1));
    try {
      await walk.searchFile(folder, name!, parts.join('/'));
    } finally {
      await folder.close();
    }
  }
  const truncated = walk.matches.length > request.maxMatches;
  return {
    matches: walk.matches.slice(0, request.maxMatches),
    truncated,
    ...(walk.tooDeep === undefined ? {} : { tooDeep: walk.tooDeep }),
  };
}
