/**
 * What workspace trust holds back, worded as the CLI's held-back line (cli/src/run/held-back-line.ts)
 * in the banner's title of the Configuration page. The counts the page's trust line, its confirm
 * button and the Health page say come from @oxydra/types/held-items, the rule the CLI and the
 * gateway share: the workspace's own settings counted as its .oxydra's, the user's own items
 * counted (or named) as theirs, never summed into "N settings".
 */
import { heldSettingKeys, yourHeldItems } from '@oxydra/types/held-items';
import type { HeldSetting } from '../api-types.js';

export function heldBackTitle(workspace: string, held: readonly HeldSetting[]): string {
  const keys = heldSettingKeys(held).length;
  const yours = yourHeldItems(held);
  if (keys === 0) return `Held back in ${workspace} until you trust this workspace: ${yours.join('; ')}`;
  const title = `${keys} setting${keys === 1 ? '' : 's'} of ${workspace}/.oxydra ${keys === 1 ? 'is' : 'are'} held back until you trust this workspace`;
  return yours.length > 0 ? `${title}; also ${yours.join('; ')}` : title;
}
