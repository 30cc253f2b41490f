/**
 * The search used when ripgrep is not installed: a walk of the tree in path order that honours
 * .gitignore files, skips binary and very large files and does not follow symbolic links (as rg).
 */
import { lstat, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Cancelled } from '@oxydra/types';
import { byCodePoint, SKIPPED_DIRS } from '../fs/names.js';
import { GitIgnore, isIgnored } from './gitignore.js';
import { isCaseSensitive, type SearchMatch, type SearchRequest, type SearchResult } from './types.js';

/** Files above this are skipped: logs and dumps that size are for the shell, not a text search. */
const MAX_SEARCHED_FILE_BYTES = 8 * 1024 * 1024;

class Walk {
  readonly matches: SearchMatch[] = [];
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

  async searchFile(relative: string): Promise<void> {
    const bytes = await readFile(join(this.request.root, relative)).catch(() => undefined);
    if (!bytes || bytes.length > MAX_SEARCHED_FILE_BYTES || bytes.includes(0)) return;
    const lines = bytes.toString('utf8').split('\n');
    for (let i = 0; i < lines.length && !this.full; i++) {
      const line = lines[i]!.replace(/\r$/, '');
      if (this.#matches(line)) this.matches.push({ path: relative, line: i + 1, text: line });
    }
  }

  async searchDirectory(relative: string, ignores: readonly GitIgnore[]): Promise<void> {
    if (this.request.signal.aborted) throw new Cancelled('file_search cancelled');
    const directory = join(this.request.root, relative);
    const own = await readFile(join(directory, '.gitignore'), 'utf8').catch(() => undefined);
    const rules = own === undefined ? ignores : [...ignores, new GitIgnore(relative, own)];
    const entries = await readdir(directory, { withFileTypes: true }).catch(() => []);
    entries.sort((a, b) => byCodePoint(a.name, b.name));
    for (const entry of entries) {
      if (this.full) return;
      const path = relative === '' ? entry.name : `${relative}/${entry.name}`;
      if (entry.isDirectory()) {
        if (!SKIPPED_DIRS.has(entry.name) && !isIgnored(rules, path, true)) {
          await this.searchDirectory(path, rules);
        }
      } else if (entry.isFile() && !isIgnored(rules, path, false)) {
        await this.searchFile(path);
      }
    }
  }
}

/** The .gitignore files of the folders above `target`, root first. */
async function ancestorIgnores(root: string, target: string): Promise<GitIgnore[]> {
  const parts = target === '' ? [] : target.split('/');
  const ignores: GitIgnore[] = [];
  for (let depth = 0; depth < parts.length; depth++) {
    const base = parts.slice(0, depth).join('/');
    const text = await readFile(join(root, base, '.gitignore'), 'utf8').catch(() => undefined);
    if (text !== undefined) ignores.push(new GitIgnore(base, text));
  }
  return ignores;
}

export async function searchWithJs(request: SearchRequest): Promise<SearchResult> {
  const walk = new Walk(request);
  const target = request.target === '.' ? '' : request.target;
  const info = await lstat(join(request.root, target));
  // A file named explicitly is searched even when ignored, as rg does.
  if (info.isFile()) await walk.searchFile(target);
  else await walk.searchDirectory(target, await ancestorIgnores(request.root, target));
  const truncated = walk.matches.length > request.maxMatches;
  return { matches: walk.matches.slice(0, request.maxMatches), truncated };
}
