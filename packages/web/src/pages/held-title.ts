/**
 * What workspace trust holds back, worded as the CLI's held-back line (cli/src/run/held-back-line.ts)
 * everywhere the dashboard says it: the banner's title, the Configuration page's trust line and
 * confirm button, and the Health page. The workspace's own settings are counted as its .oxydra's;
 * items of the user's own configuration held for where they resolve or start are counted (or
 * named) as theirs, never summed into "N settings": that sent the user looking for a line the
 * workspace's files never wrote.
 */
import type { HeldSetting } from '../api-types.js';

/** The workspace's own settings, and the user's own items (one per plugin or server, however many of its keys are held). */
export interface HeldCounts {
  settings: number;
  yours: number;
}

function yourItem(yours: NonNullable<HeldSetting['yours']>): string {
  return yours.kind === 'plugin'
    ? `your plugin \`${yours.name}\` resolves inside this workspace`
    : `your MCP server \`${yours.name}\` starts unsandboxed in this workspace`;
}

function yourItems(held: readonly HeldSetting[]): string[] {
  return [...new Set(held.flatMap((h) => (h.yours ? [yourItem(h.yours)] : [])))];
}

export function heldCounts(held: readonly HeldSetting[]): HeldCounts {
  return { settings: held.filter((h) => !h.yours).length, yours: yourItems(held).length };
}

/**
 * "4 settings of its .oxydra and 1 item of your own", "1 item of your own", "2 settings": the
 * two counted apart, each said only when there is one. `settingsOf` names whose settings they are.
 */
export function heldCountText(counts: HeldCounts, settingsOf = ''): string {
  const parts: string[] = [];
  if (counts.settings > 0 || counts.yours === 0)
    parts.push(
      `${counts.settings} setting${counts.settings === 1 ? '' : 's'}${settingsOf ? ` of ${settingsOf}` : ''}`,
    );
  if (counts.yours > 0) parts.push(`${counts.yours} item${counts.yours === 1 ? '' : 's'} of your own`);
  return parts.join(' and ');
}

/** The verb after heldCountText: one thing "applies", several "apply". */
export function heldVerb(counts: HeldCounts, one: string, several: string): string {
  return counts.settings + counts.yours === 1 ? one : several;
}

export function heldBackTitle(workspace: string, held: readonly HeldSetting[]): string {
  const keys = heldCounts(held).settings;
  const yours = yourItems(held);
  if (keys === 0) return `Held back in ${workspace} until you trust this workspace: ${yours.join('; ')}`;
  const title = `${keys} setting${keys === 1 ? '' : 's'} of ${workspace}/.oxydra ${keys === 1 ? 'is' : 'are'} held back until you trust this workspace`;
  return yours.length > 0 ? `${title}; also ${yours.join('; ')}` : title;
}
