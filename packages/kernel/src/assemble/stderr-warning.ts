/**
 * Where a kernel's warnings go when its host gives no `warn`: one `warning: ...` line on stderr.
 * A warning often quotes what others wrote (an MCP server's stderr, a plugin's error, a skill
 * file's name), so its controls and line breaks are written out (`visibleLine`): it can neither
 * drive the terminal nor add lines of its own.
 */
import { visibleLine } from '@oxydra/types';

export function warnOnStderr(message: string): void {
  process.stderr.write(`warning: ${visibleLine(message)}\n`);
}
