/** file_search: literal text across the workspace, through ripgrep when installed. */
import { lstat, realpath } from 'node:fs/promises';
import { relative, sep } from 'node:path';
import { z } from 'zod';
import { type DefinedTool, defineTool } from '../define.js';
import { notRegular } from '../fs/anchored.js';
import { describeFsError } from '../fs/errors.js';
import { deniedWithin, type PathPolicy, resolveWorkspacePath } from '../paths.js';
import { findOnPath, searchWithRg } from '../search/rg-search.js';
import type { SearchBackend } from '../search/types.js';

export const MAX_SEARCH_MATCHES = 200;
/** Longer matching lines (minified code) are cut, so one line cannot eat the output. */
const MAX_LINE_CHARS = 300;

export interface FileSearchOptions {
  /** `auto` (default): ripgrep when `rg` is on PATH, else the JS walk. `js` forces the walk. */
  backend?: 'auto' | 'rg' | 'js';
  /** ripgrep's binary for `rg` (default: found on PATH). */
  rgPath?: string;
  maxMatches?: number;
}

/**
 * The backend, chosen at the first search: finding rg walks PATH, and a run that never searches
 * should not pay for that (nor load the JS walk). Chosen once: PATH does not change under a
 * running agent. An explicit `rg` that is missing is a configuration error, said at creation.
 */
function backendAtFirstSearch(options: FileSearchOptions): () => Promise<SearchBackend> {
  if (options.backend === 'rg' && !options.rgPath && !findOnPath('rg')) {
    throw new Error('ripgrep (rg) is not installed');
  }
  let chosen: Promise<SearchBackend> | undefined;
  return () => (chosen ??= chooseBackend(options));
}

async function chooseBackend(options: FileSearchOptions): Promise<SearchBackend> {
  const rg = options.backend === 'js' ? undefined : (options.rgPath ?? findOnPath('rg'));
  return rg ? searchWithRg(rg) : (await import('../search/js-search.js')).searchWithJs;
}

const clip = (text: string): string =>
  text.length > MAX_LINE_CHARS ? `${text.slice(0, MAX_LINE_CHARS)}…` : text;

export function fileSearchTool(options: FileSearchOptions = {}, policy: PathPolicy = {}): DefinedTool {
  const maxMatches = options.maxMatches ?? MAX_SEARCH_MATCHES;
  const backend = backendAtFirstSearch(options);
  return defineTool({
    name: 'file_search',
    description:
      'Search the text files under a folder ("." for all), or one file, for a literal string ' +
      `(not a regex), case-insensitive unless the query has capitals: up to ${maxMatches} matches as ` +
      '"path:line: text". Honours .gitignore; skips binary files, .git and .oxydra.',
    parameters: z.object({
      path: z.string(),
      query: z.string().min(1),
    }),
    safety: 'read_only',
    async execute({ path, query }, context) {
      const target = await resolveWorkspacePath(context.workspace, path, policy);
      const root = await realpath(context.workspace);
      const within = relative(root, target.real).split(sep).join('/') || '.';
      let result: Awaited<ReturnType<SearchBackend>>;
      try {
        // A missing path is named plainly, whichever backend runs; a FIFO or device named
        // explicitly is refused, since ripgrep would open it and wait for a writer.
        const info = await lstat(target.real);
        if (!info.isFile() && !info.isDirectory()) throw notRegular(target.relative, info);
        const search = await backend();
        result = await search({ root, target: within, query, maxMatches, signal: context.signal });
      } catch (error) {
        throw describeFsError(error, target.relative);
      }
      // A denied folder (the vault) inside the searched one: its lines must never reach the model.
      const hidden = await deniedWithin(root, policy, target.realRoot);
      if (hidden.length > 0) {
        const visible = (path: string) => !hidden.some((dir) => path === dir || path.startsWith(`${dir}/`));
        result = { ...result, matches: result.matches.filter((match) => visible(match.path)) };
      }
      if (result.matches.length === 0) {
        const where = target.relative === '.' ? 'the workspace' : target.relative;
        return `No matches for "${query}" in ${where}.`;
      }
      const lines = result.matches.map((match) => `${match.path}:${match.line}: ${clip(match.text)}`);
      if (result.truncated) {
        lines.push(`[stopped at ${maxMatches} matches; search a narrower path or a more specific query]`);
      }
      return {
        content: lines.join('\n'),
        data: { matches: result.matches.length, truncated: result.truncated },
      };
    },
  });
}
