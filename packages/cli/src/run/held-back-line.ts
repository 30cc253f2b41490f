/**
 * The one line that says what workspace trust held back. Two origins are said apart: settings
 * the workspace's own `.oxydra/` files make (counted and named by key), and items of your own
 * configuration held for where they resolve or start (your plugin found inside the workspace,
 * your unsandboxed MCP server started in it), named as yours: calling them "settings of
 * <ws>/.oxydra" sent the user looking for a file line the workspace never wrote. What counts as
 * one of each is @oxydra/types/held-items' rule, which the gateway and the dashboard share.
 */
import type { WorkspaceTrust } from '@oxydra/config';
import { visibleLine } from '@oxydra/types';
import { heldSettingKeys, yourHeldItems } from '@oxydra/types/held-items';

/** At most this many of the workspace's keys are named; the rest are counted. */
const SHOWN_KEYS = 4;

export function heldBackLine(trust: WorkspaceTrust): string {
  const why = trust.changed ? ' (they changed since you trusted it)' : '';
  // A key is named by the workspace's files (a registry entry's name): written out, one line.
  const keys = heldSettingKeys(trust.held).map(visibleLine);
  const yours = yourHeldItems(trust.held, visibleLine);
  const parts: string[] = [];
  if (keys.length > 0) {
    const shown =
      keys.length > SHOWN_KEYS
        ? `${keys.slice(0, SHOWN_KEYS).join(', ')} and ${keys.length - SHOWN_KEYS} more`
        : keys.join(', ');
    parts.push(
      `${keys.length} setting${keys.length === 1 ? '' : 's'} of ${visibleLine(trust.workspace)}/.oxydra that need your trust${why}: ${shown}`,
    );
    if (yours.length > 0) parts.push(`also ${yours.join('; ')}`);
  } else {
    parts.push(`in ${visibleLine(trust.workspace)} until you trust it${why}: ${yours.join('; ')}`);
  }
  return `oxydra: held back ${parts.join('; ')}. Review and trust them with \`oxydra trust\`, or use --trust for one command.`;
}
