/**
 * Where a workspace's gateway keeps its log: `.oxydra/logs/gateway.log`, JSON lines (the
 * `--log-format json` lines, whatever the terminal gets), private to its owner, rotated at
 * 5 MiB with two older files kept (`gateway.log.1`, `.2`), so at most 15 MiB. Every gateway on
 * the workspace appends to it; `oxydra logs` reads it. A path that is unsafe to write (a link
 * planted there) or a failing write costs the file, never the gateway: it says so once and goes
 * on logging to its output.
 */
import { join } from 'node:path';
import { RotatingLogFile, rotatedLogPaths, tailLines } from '@oxydra/config/admin';

const GATEWAY_LOG_MAX_BYTES = 5 * 1024 * 1024;
const GATEWAY_LOG_KEEP = 2;

export function gatewayLogPath(workspace: string): string {
  return join(workspace, '.oxydra', 'logs', 'gateway.log');
}

/** The rotated copies, newest first. */
function gatewayLogBackups(workspace: string): string[] {
  return rotatedLogPaths(gatewayLogPath(workspace), GATEWAY_LOG_KEEP);
}

/**
 * A sink appending lines to the workspace's gateway log, or undefined (after `warn`) when the
 * file cannot be opened. After a failed write it stops, saying so once.
 */
export function gatewayLogFile(
  workspace: string,
  warn: (message: string) => void,
  limits = { maxBytes: GATEWAY_LOG_MAX_BYTES, keep: GATEWAY_LOG_KEEP },
): ((line: string) => void) | undefined {
  const path = gatewayLogPath(workspace);
  let file: RotatingLogFile | undefined;
  try {
    file = RotatingLogFile.open(path, limits);
  } catch (error) {
    warn(`not writing the log file: ${(error as Error).message}`);
    return undefined;
  }
  return (line) => {
    if (file === undefined) return;
    try {
      file.write(line);
    } catch (error) {
      file.close();
      file = undefined;
      warn(`stopped writing the log file ${path}: ${(error as Error).message}`);
    }
  };
}

/** The last `count` lines of the log and its rotated copies (oldest first); undefined: none. */
export async function lastGatewayLogLines(workspace: string, count: number): Promise<string[] | undefined> {
  let found = false;
  const lines: string[] = [];
  for (const path of [gatewayLogPath(workspace), ...gatewayLogBackups(workspace)]) {
    if (lines.length >= count) break;
    const some = await tailLines(path, count - lines.length);
    if (some === undefined) continue;
    found = true;
    lines.unshift(...some);
  }
  return found ? lines : undefined;
}
