/**
 * A plugin of the user's own configuration whose code the workspace supplies. `[plugins.load]
 * helper = { from = "oxydra-plugin-helper" }` in ~/.config/oxydra is resolved from the
 * workspace as node resolves (its node_modules first), and a relative `from` is the workspace's
 * path: a cloned repository shipping node_modules/oxydra-plugin-helper had its code run in the
 * oxydra process on the first command, without a .oxydra/ of its own. Such a plugin needs the
 * workspace's trust like the workspace's own `[plugins.load]`: held back (disabled for the
 * command) and named with the other held keys until the user trusts the workspace.
 */
import { realpathSync } from 'node:fs';
import { isInside } from '@oxydra/types/fs';
import type { ConfigLayer, PlainObject } from './layers.js';
import { isPlainObject } from './layers.js';
import { pluginEntryFile } from './plugin-entry.js';
import type { HeldKey } from './trust-rules.js';

const WHY = "runs code from this workspace's files (a plugin of yours resolved here) in the Oxydra process";

/** The user's enabled plugins that would load a file of the workspace, and the layer that disables them. */
export function workspacePluginsHeld(
  workspace: string,
  plugins: unknown,
): { held: HeldKey[]; disable?: ConfigLayer } {
  if (!isPlainObject(plugins) || !isPlainObject(plugins.load)) return { held: [] };
  const held: HeldKey[] = [];
  const disabled: PlainObject = {};
  let realWorkspace: string;
  try {
    realWorkspace = realpathSync(workspace);
  } catch {
    return { held: [] };
  }
  for (const [name, entry] of Object.entries(plugins.load)) {
    if (!isPlainObject(entry) || entry.enabled === false || typeof entry.from !== 'string') continue;
    let file: string;
    try {
      file = realpathSync(pluginEntryFile(entry.from, workspace, name));
    } catch {
      continue; // not found: the kernel says so when it loads plugins
    }
    if (!isInside(realWorkspace, file)) continue;
    held.push({ key: `plugins.load.${name}.from`, source: file, why: WHY, value: entry.from });
    disabled[name] = { enabled: false };
  }
  if (held.length === 0) return { held };
  return { held, disable: { source: held[0]!.source, values: { plugins: { load: disabled } } } };
}
