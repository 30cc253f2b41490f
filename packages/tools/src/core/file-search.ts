/** file_search's code (its definition is in catalog.ts): through ripgrep when installed, else a JS walk. */
import { lstat, realpath } from 'node:fs/promises';
import { relative, sep } from 'node:path';
import type { ToolRun } from '../define.js';
import { describeFsError, notRegular } from '../fs/anchored.js';
import { MAX_WALK_DEPTH } from '../fs/depth.js';
import { deniedWithin, type PathPolicy, resolveWorkspacePath } from '../paths.js';
import { findOnPath } from '../search/on-path.js';
import { searchWithRg } from '../search/rg-search.js';
import type { SearchBackend } from '../search/types.js';
import type { FileSearchArgs, FileSearchOptions } from './parameters.js';

/** Longer matching lines (minified code) are cut, so one line cannot eat the output. */
const MAX_LINE_CHARS = 300;

/**
 * The backend, chosen at the first search (this module loads with it): finding rg walks PATH.
 * Chosen once: PATH does not change under a running agent.
 */
async function chooseBackend(options: FileSearchOptions): Promise<SearchBackend> {
  const rg = options.backend === 'js' ? undefined : (options.rgPath ?? findOnPath('rg'));
  return rg ? searchWithRg(rg) : (await import('../search/js-search.js')).searchWithJs;
}

const clip = (text: string): string =>
  text.length > MAX_LINE_CHARS ? `${text.slice(0, MAX_LINE_CHARS)}…` : text;

export function fileSearch(
  options: FileSearchOptions & { maxMatches: number },
  policy: PathPolicy,
): ToolRun<FileSearchArgs> {
  const { maxMatches } = options;
  let backend: Promise<SearchBackend> | undefined;
  return async ({ path, query }, context) => {
    const target = await resolveWorkspacePath(context.workspace, path, policy);
    const root = await realpath(context.workspace);
    const within = relative(root, target.real).split(sep).join('/') || '.';
    let result: Awaited<ReturnType<SearchBackend>>;
    try {
      // A missing path is named plainly, whichever backend runs; a FIFO or device named
      // explicitly is refused, since ripgrep would open it and wait for a writer.
      const info = await lstat(target.real);
      if (!info.isFile() && !info.isDirectory()) throw notRegular(target.relative, info);
      backend ??= chooseBackend(options);
      const search = await backend;
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
    const deepNote =
      result.tooDeep === undefined
        ? []
        : [
            `[not searched: folders nested more than ${MAX_WALK_DEPTH} deep, from ${clip(result.tooDeep)}; ` +
              'search one of them by its path, or use shell_exec]',
          ];
    if (result.matches.length === 0) {
      const where = target.relative === '.' ? 'the workspace' : target.relative;
      return [`No matches for "${query}" in ${where}.`, ...deepNote].join('\n');
    }
    const lines = result.matches.map((match) => `${match.path}:${match.line}: ${clip(match.text)}`);
    if (result.truncated) {
      lines.push(`[stopped at ${maxMatches} matches; search a narrower path or a more specific query]`);
    }
    lines.push(...deepNote);
    return {
      content: lines.join('\n'),
      data: { matches: result.matches.length, truncated: result.truncated },
    };
  };
}
