/**
 * Tool names as the model sees them: `<server>__<tool>`, only [A-Za-z0-9_-] (what every
 * provider API accepts) and at most 64 characters. A name that had to be shortened, or that
 * clashes with another tool of the same server once sanitized, ends in a short hash of the
 * server's own name, so it stays stable across restarts and distinct from its neighbours.
 */
import { createHash } from 'node:crypto';

export const MAX_TOOL_NAME = 64;
const SEPARATOR = '__';

const hash = (text: string): string => createHash('sha256').update(text).digest('hex').slice(0, 8);

/** `<server>__<tool>` with every other character replaced by "_", cut to 64 with a hash tail. */
export function namespacedName(server: string, tool: string, forceHash = false): string {
  const clean = `${server}${SEPARATOR}${tool}`.replace(/[^A-Za-z0-9_-]/g, '_');
  if (clean.length <= MAX_TOOL_NAME && !forceHash) return clean;
  const tail = `_${hash(tool)}`;
  return `${clean.slice(0, MAX_TOOL_NAME - tail.length)}${tail}`;
}

/** Names for one server's tools, in its order: unique, each as close to the plain form as it can be. */
export function namespacedNames(server: string, tools: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  const taken = new Set<string>();
  for (const tool of tools) {
    if (out.has(tool)) continue; // the same tool twice: the server's list is broken; keep the first
    let name = namespacedName(server, tool);
    if (taken.has(name)) name = namespacedName(server, tool, true);
    if (taken.has(name)) continue;
    taken.add(name);
    out.set(tool, name);
  }
  return out;
}
