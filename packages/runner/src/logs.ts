/**
 * Reading a user's guest logs (`<ws>/logs/{role}.{stream}.log`) for `runner logs` and the
 * control socket's `logs` op: the last N lines of each file asked for, within the 128 KiB
 * response limit, reaching into the rotated `<name>.1` when the current file has fewer. Also used
 * directly when no runner is running: logs outlive the guest. The files are read with
 * `tailLines` (`@oxydra/config`), never through a link planted in the folder.
 */
import { tailLines, UnsafeLogFile } from '@oxydra/config/admin';
import {
  LOG_RESPONSE_MAX_BYTES,
  LOG_TAIL_DEFAULT,
  LOG_TAIL_MAX,
  type LogEntry,
  type LogsRequest,
  type LogsResponse,
} from './control-protocol.js';
import { logFilePath } from './guest-launch.js';

export { tailLines };

export async function readLogs(logDir: string, request: LogsRequest): Promise<LogsResponse> {
  const tail = Math.min(request.tail ?? LOG_TAIL_DEFAULT, LOG_TAIL_MAX);
  const roles = request.role === 'all' ? ['runtime', 'sidecar'] : [request.role];
  const streams = request.stream === 'both' ? (['stdout', 'stderr'] as const) : [request.stream];
  const warnings: string[] = [];
  if (request.since !== undefined) {
    warnings.push('--since is ignored: process log files carry no timestamps to filter on');
  }
  if (request.tail !== undefined && request.tail > LOG_TAIL_MAX) {
    warnings.push(`--tail ${request.tail} is capped at ${LOG_TAIL_MAX}`);
  }
  const entries: LogEntry[] = [];
  let found = false;
  const read = (path: string, count: number) =>
    tailLines(path, count).catch((error: unknown) => {
      if (!(error instanceof UnsafeLogFile)) throw error;
      warnings.push(error.message);
      return undefined;
    });
  for (const role of roles) {
    for (const stream of streams) {
      const path = logFilePath(logDir, role, stream);
      const current = await read(path, tail);
      // A file just rotated (log-sink.ts) holds few lines: the rest of the tail is in `.1`.
      const older =
        (current?.length ?? 0) < tail ? await read(`${path}.1`, tail - (current?.length ?? 0)) : undefined;
      if (current === undefined && older === undefined) continue;
      found = true;
      for (const message of [...(older ?? []), ...(current ?? [])]) {
        entries.push({ source: 'process_file', role, stream, message });
      }
    }
  }
  if (!found) warnings.push(`no ${request.role} logs yet in ${logDir}`);
  // Within the response limit, the newest lines win.
  let bytes = 0;
  let keepFrom = entries.length;
  while (keepFrom > 0) {
    const size = Buffer.byteLength(entries[keepFrom - 1]!.message) + 64;
    if (bytes + size > LOG_RESPONSE_MAX_BYTES - 1024) break;
    bytes += size;
    keepFrom -= 1;
  }
  return { entries: entries.slice(keepFrom), truncated: keepFrom > 0, warnings };
}

/** Oxydra's text line: `TS [source][role][stream] message` (`-` when there is no timestamp). */
export function formatLogEntry(entry: LogEntry): string {
  return `${entry.timestamp ?? '-'} [${entry.source}][${entry.role}][${entry.stream}] ${entry.message}`;
}
