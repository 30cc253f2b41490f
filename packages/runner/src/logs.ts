/**
 * Reading a user's guest logs (`<ws>/logs/{role}.{stream}.log`) for `runner logs` and the
 * control socket's `logs` op: the last N lines of each file asked for, within the 128 KiB
 * response limit. Also used directly when no runner is running: logs outlive the guest.
 */
import { open } from 'node:fs/promises';
import {
  LOG_RESPONSE_MAX_BYTES,
  LOG_TAIL_DEFAULT,
  LOG_TAIL_MAX,
  type LogEntry,
  type LogsRequest,
  type LogsResponse,
} from './control-protocol.js';
import { logFilePath } from './guest-launch.js';

/** How much of the end of a file is read to find its last lines (1000 long lines fit). */
const TAIL_READ_BYTES = 1024 * 1024;

/** The last lines of a file (a partial first line is dropped when the file is longer). */
export async function tailLines(path: string, count: number): Promise<string[] | undefined> {
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  try {
    const { size } = await handle.stat();
    const start = Math.max(0, size - TAIL_READ_BYTES);
    const buffer = Buffer.alloc(size - start);
    await handle.read(buffer, 0, buffer.length, start);
    const lines = buffer.toString('utf8').split('\n');
    if (lines.at(-1) === '') lines.pop();
    if (start > 0) lines.shift();
    return lines.slice(-count);
  } finally {
    await handle.close();
  }
}

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
  for (const role of roles) {
    for (const stream of streams) {
      const lines = await tailLines(logFilePath(logDir, role, stream), tail);
      if (lines === undefined) continue;
      found = true;
      for (const message of lines) entries.push({ source: 'process_file', role, stream, message });
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
