/**
 * Host-path rewriting: the model should see the paths of its own world (`/shared/notes.md`), never
 * the host's (`/home/alice/.oxydra/workspaces/alice/shared/notes.md`), which leak user names and
 * layout and which it could not use anyway.
 */

export interface HostPathMapping {
  /** Absolute host path, e.g. the workspace's real location. */
  from: string;
  /** What the model sees instead, e.g. `/shared`. */
  to: string;
}

/**
 * The workspace as the model sees it: `.`, so `pwd` prints `.`, and `/ws/out/x` reads `./out/x`,
 * a path the file tools (rooted at the workspace) accept. An empty replacement would turn it
 * into `/out/x`, which they refuse as outside the workspace.
 */
export function workspacePathMapping(workspace: string): HostPathMapping {
  return { from: workspace, to: '.' };
}

const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const withoutTrailingSlash = (path: string): string => (path.length > 1 ? path.replace(/\/+$/, '') : path);

/**
 * Replaces each `from` with its `to`, the longest `from` first so nested mappings win, and only at
 * path boundaries: `/srv/ws` rewrites `/srv/ws/a` and `/srv/ws`, not `/srv/ws2` or `/x/srv/ws`.
 */
export function rewriteHostPaths(text: string, mappings: readonly HostPathMapping[]): string {
  const usable = mappings
    .map(({ from, to }) => ({ from: withoutTrailingSlash(from), to: withoutTrailingSlash(to) }))
    // Mapping "/" would rewrite every path in the text.
    .filter(({ from }) => from.length > 1)
    .sort((a, b) => b.from.length - a.from.length);
  if (usable.length === 0) return text;
  const targets = new Map(usable.map(({ from, to }) => [from, to]));
  // Alternation tries left to right, so longest-first order makes the longest mapping win.
  const pattern = new RegExp(
    `(?<![\\w.\\-/])(${usable.map(({ from }) => escapeRegExp(from)).join('|')})(?![\\w.\\-])`,
    'g',
  );
  return text.replace(pattern, (match) => targets.get(match) ?? match);
}
