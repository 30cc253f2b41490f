/**
 * One gateway per workspace. Two gateways on one workspace's state (its kernel.db, memory,
 * schedules) used to start side by side on two ports without a word, each firing the same
 * schedules and each holding its own sessions. The first to start writes
 * `.oxydra/gateway.json` (created exclusively, never through a link): its pid, the pid's start
 * time, and once it listens, its URL. A second one finds that process alive and refuses, naming
 * it. A record whose process is gone (killed outright) is stale and taken over; the start time
 * tells a reused pid from the gateway that wrote it.
 */
import {
  closeSync,
  constants,
  fstatSync,
  openSync,
  readFileSync,
  readSync,
  renameSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { processAlive } from '@oxydra/sandbox';
import { UsageError } from '@oxydra/types';

export interface GatewayRecord {
  pid: number;
  /** The process's start time in clock ticks since boot (Linux), to tell a reused pid apart. */
  started: number | null;
  /** Where it listens, once it does. */
  url?: string;
}

export interface GatewayLease {
  /** Adds the address, once the gateway listens (for the next one's message, and `status`). */
  listening(url: string): void;
  /** Removes the record, if it is still this process's. */
  release(): void;
}

const MAX_RECORD_BYTES = 4096;

export function gatewayRecordPath(workspace: string): string {
  return join(workspace, '.oxydra', 'gateway.json');
}

/** Field 22 of /proc/<pid>/stat; null where there is no /proc (macOS) or it cannot be read. */
function processStartTime(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may hold spaces: count after its end.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[19]);
    return Number.isFinite(ticks) ? ticks : null;
  } catch {
    return null;
  }
}

/** The record at `path`, read without following a link, or undefined when absent or not one. */
export function readGatewayRecord(path: string): GatewayRecord | undefined {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch {
    return undefined;
  }
  try {
    if (!fstatSync(fd).isFile()) return undefined;
    const buffer = Buffer.alloc(MAX_RECORD_BYTES);
    const length = readSync(fd, buffer, 0, MAX_RECORD_BYTES, 0);
    const parsed = JSON.parse(buffer.subarray(0, length).toString('utf8')) as Partial<GatewayRecord>;
    if (!Number.isInteger(parsed.pid) || (parsed.pid as number) <= 0) return undefined;
    return {
      pid: parsed.pid as number,
      started: typeof parsed.started === 'number' ? parsed.started : null,
      ...(typeof parsed.url === 'string' ? { url: parsed.url } : {}),
    };
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
}

/** Whether the gateway that wrote `record` is still running. */
export function gatewayAlive(record: GatewayRecord): boolean {
  if (record.pid === process.pid || !processAlive(record.pid)) return false;
  const started = processStartTime(record.pid);
  return record.started === null || started === null || started === record.started;
}

function writeRecord(path: string, record: GatewayRecord, flags: number): void {
  const fd = openSync(path, flags | constants.O_WRONLY | constants.O_NOFOLLOW, 0o600);
  try {
    writeSync(fd, `${JSON.stringify(record)}\n`);
  } finally {
    closeSync(fd);
  }
}

/** Claims the workspace for this gateway, or refuses (exit 2) while another one serves it. */
export function claimGatewayLease(workspace: string): GatewayLease {
  const path = gatewayRecordPath(workspace);
  const own: GatewayRecord = { pid: process.pid, started: processStartTime(process.pid) };
  for (let attempt = 0; ; attempt++) {
    try {
      writeRecord(path, own, constants.O_CREAT | constants.O_EXCL);
      break;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') throw error; // no .oxydra/: the kernel makes it; callers claim after
      if (code !== 'EEXIST' || attempt > 0) throw error;
      const other = readGatewayRecord(path);
      if (other && gatewayAlive(other)) {
        throw new UsageError(
          `another oxydra gateway (pid ${other.pid}${other.url ? `, ${other.url}` : ''}) already serves this workspace`,
          {
            hint: `stop it first (kill ${other.pid}); one workspace's sessions and schedules belong to one gateway`,
          },
        );
      }
      // Stale (its gateway was killed outright), unreadable or not a file: take it over.
      rmSync(path, { force: true, recursive: false });
    }
  }
  let record = own;
  return {
    listening(url) {
      record = { ...own, url };
      const temporary = `${path}.${process.pid}.tmp`;
      try {
        writeRecord(temporary, record, constants.O_CREAT | constants.O_TRUNC);
        renameSync(temporary, path);
      } catch {
        rmSync(temporary, { force: true });
      }
    },
    release() {
      if (readGatewayRecord(path)?.pid === process.pid) rmSync(path, { force: true });
    },
  };
}
