/**
 * What workspace trust holds back, counted and worded by one rule for the CLI's held-back line,
 * the gateway's `POST /trust` message and `/health` counts, and the dashboard. Two origins are
 * said apart: settings the workspace's own `.oxydra/` files make (one per key, however many of
 * its files set it), and items of the user's own configuration held for where they resolve or
 * start (one per plugin or MCP server, however many of its keys are held). Summing the two into
 * "N settings of <ws>/.oxydra" sent the user looking for a line the workspace never wrote; the
 * three copies this replaces also disagreed on a key two of the workspace's files both set.
 * Imported by the dashboard's bundle through its own subpath: no schema comes with it.
 */

/** An item of the user's own configuration held for where it resolves or starts. */
export interface YourHeldItem {
  kind: 'plugin' | 'mcp-server';
  name: string;
}

/** What counting needs of a held entry (the loader's HeldKey and the API's HeldSetting both fit). */
export interface HeldItem {
  /** Dotted key path, e.g. "providers.registry.openai.base_url". */
  key: string;
  yours?: YourHeldItem;
}

/** The workspace's own settings and the user's own items, counted apart. */
export interface HeldCounts {
  settings: number;
  yours: number;
}

/** The workspace's own held keys, each once, in the order first held. */
export function heldSettingKeys(held: readonly HeldItem[]): string[] {
  return [...new Set(held.flatMap((h) => (h.yours ? [] : [h.key])))];
}

/** The user's own held items, each once (by kind and name), in the order first held. */
function yourHeld(held: readonly HeldItem[]): YourHeldItem[] {
  const items = new Map<string, YourHeldItem>();
  for (const { yours } of held) if (yours) items.set(`${yours.kind}:${yours.name}`, yours);
  return [...items.values()];
}

/**
 * The user's own held items as said to them, each once. `show` makes a name safe where it is
 * written (the CLI's terminal line writes control characters out; the dashboard renders text).
 */
export function yourHeldItems(
  held: readonly HeldItem[],
  show: (name: string) => string = (name) => name,
): string[] {
  return yourHeld(held).map((yours) => {
    const name = `\`${show(yours.name)}\``;
    return yours.kind === 'plugin'
      ? `your plugin ${name} resolves inside this workspace`
      : `your MCP server ${name} starts unsandboxed in this workspace`;
  });
}

export function heldCounts(held: readonly HeldItem[]): HeldCounts {
  return { settings: heldSettingKeys(held).length, yours: yourHeld(held).length };
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
