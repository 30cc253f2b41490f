/**
 * `oxydra logs [-f] [--tail N] [--json]`: the log of the gateways serving this workspace
 * (`.oxydra/logs/gateway.log`, see run/gateway-log-file.ts), the last N lines across its
 * rotated copies, pretty (with the date) or as the JSON lines stored. `-f` then prints the
 * lines appended, across rotation, until Ctrl-C. A link planted at the path is refused.
 */
import { findWorkspaceRoot } from '@oxydra/config';
import { LogFollower, UnsafeLogFile } from '@oxydra/config/admin';
import { UsageError } from '@oxydra/types';
import { EXIT_FAILURE, EXIT_OK } from '../exit-codes.js';
import { colorFor } from '../run/color.js';
import { renderLogLine } from '../run/gateway-log.js';
import { gatewayLogPath, lastGatewayLogLines } from '../run/gateway-log-file.js';
import { untilInterrupted } from '../run/until-interrupted.js';

export interface LogsFlags {
  follow?: boolean;
  tail?: string;
  json?: boolean;
}

const DEFAULT_TAIL = 100;
const MAX_TAIL = 10_000;
const FOLLOW_POLL_MS = 250;

function tailOf(raw: string | undefined): number {
  if (raw === undefined) return DEFAULT_TAIL;
  const count = Number(raw);
  if (!Number.isInteger(count) || count < 1 || count > MAX_TAIL)
    throw new UsageError(`--tail ${raw}: expected a whole number of lines from 1 to ${MAX_TAIL}`);
  return count;
}

export async function runLogs(flags: LogsFlags): Promise<number> {
  const count = tailOf(flags.tail);
  const workspace = findWorkspaceRoot();
  const path = gatewayLogPath(workspace);
  const json = flags.json ?? false;
  const color = !json && colorFor(process.stdout);
  const print = (line: string) => {
    const text = renderLogLine(line, json, color);
    if (text !== undefined) process.stdout.write(`${text}\n`);
  };
  try {
    // Following starts before the last lines are read: a line written meanwhile is then
    // printed twice (rarely, harmlessly) rather than not at all.
    const follower = flags.follow ? await LogFollower.start(path) : undefined;
    const lines = await lastGatewayLogLines(workspace, count);
    if (lines === undefined)
      process.stderr.write(
        `no gateway log yet at ${path} (a gateway writes it from its start: oxydra gateway)${follower ? '; waiting for it' : ''}\n`,
      );
    for (const line of lines ?? []) print(line);
    if (follower === undefined) return lines === undefined ? EXIT_FAILURE : EXIT_OK;
    await untilInterrupted(FOLLOW_POLL_MS, async () => {
      for (const line of await follower.poll()) print(line);
    });
    await follower.close();
    return EXIT_OK;
  } catch (error) {
    if (error instanceof UnsafeLogFile)
      throw new UsageError(error.message, {
        hint: `remove it (${error.path}); the gateway writes a plain file there`,
      });
    throw error;
  }
}
