/**
 * The trust banner's title, worded as the CLI's held-back line (cli/src/run/held-back-line.ts):
 * the workspace's own settings counted as its .oxydra's, and items of the user's own
 * configuration held for where they resolve or start named as theirs, since calling them
 * "settings of <ws>/.oxydra" sent the user looking for a line the workspace never wrote.
 */
import type { HeldSetting } from '../api-types.js';

function yourItem(yours: NonNullable<HeldSetting['yours']>): string {
  return yours.kind === 'plugin'
    ? `your plugin \`${yours.name}\` resolves inside this workspace`
    : `your MCP server \`${yours.name}\` starts unsandboxed in this workspace`;
}

export function heldBackTitle(workspace: string, held: readonly HeldSetting[]): string {
  const keys = held.filter((h) => !h.yours).length;
  const yours = [...new Set(held.flatMap((h) => (h.yours ? [yourItem(h.yours)] : [])))];
  if (keys === 0) return `Held back in ${workspace} until you trust this workspace: ${yours.join('; ')}`;
  const title = `${keys} setting${keys === 1 ? '' : 's'} of ${workspace}/.oxydra ${keys === 1 ? 'is' : 'are'} held back until you trust this workspace`;
  return yours.length > 0 ? `${title}; also ${yours.join('; ')}` : title;
}
