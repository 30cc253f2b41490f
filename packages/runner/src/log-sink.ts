/**
 * A guest's output into its log file, bounded. A guest runs a model's commands, and in the
 * container and micro-VM tiers those commands share its uid or are root: they can write to the
 * guest's own stdout (/proc/1/fd/1, the VM's console) as fast as the disk takes it. Handing the
 * child the log file's descriptor let that fill the host's disk; the runner copies the output
 * itself instead, and when a file would pass its cap it is renamed to `<name>.1` (replacing the
 * previous one) and a fresh file started: at most two caps a stream, the newest output kept.
 * `runner logs -f` follows across the rename.
 */
import {
  appendFileSync,
  closeSync,
  constants,
  fstatSync,
  openSync,
  renameSync,
  statSync,
  writeSync,
} from 'node:fs';
import type { Readable } from 'node:stream';

/** Each runtime log file's cap: 32 MiB, so at most 64 MiB a stream with the one rotated file. */
export const RUNTIME_LOG_MAX_BYTES = 32 * 1024 * 1024;

const APPEND_FLAGS = constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW;

/** Appends `stream` to `path`, rotating at `maxBytes`; resolves once the stream has ended. */
export function pipeToCappedLog(stream: Readable, path: string, maxBytes: number): Promise<void> {
  let fd = openSync(path, APPEND_FLAGS, 0o600);
  let size = fstatSync(fd).size;
  const rotate = () => {
    closeSync(fd);
    renameSync(path, `${path}.1`);
    fd = openSync(path, APPEND_FLAGS, 0o600);
    size = writeSync(
      fd,
      `=== ${new Date().toISOString()} runner: the previous ${maxBytes} bytes are in ${path}.1 ===\n`,
    );
  };
  stream.on('data', (chunk: Buffer) => {
    try {
      let rest = chunk;
      while (rest.length > 0) {
        if (size >= maxBytes) rotate();
        const written = writeSync(fd, rest.subarray(0, Math.max(1, maxBytes - size)));
        size += written;
        rest = rest.subarray(written);
      }
    } catch {
      // A full disk or a log folder gone: the guest runs on, its output dropped.
    }
  });
  // A read error ends the stream like its end does ('close' follows).
  stream.on('error', () => {});
  return new Promise((resolve) => {
    stream.once('close', () => {
      try {
        closeSync(fd);
      } catch {
        // Already closed by a rotation that failed half-way.
      }
      resolve();
    });
  });
}

/**
 * The runner's own notes about a guest (each egress refusal, say) for the same log: the guest can
 * make them as fast as it likes, so once the file is at its cap they are dropped, with one line
 * saying so, until the output's rotation starts a fresh file.
 */
export function cappedNotes(path: string, maxBytes: number): (line: string) => void {
  let dropping = false;
  return (line) => {
    const size = (() => {
      try {
        return statSync(path).size;
      } catch {
        return 0;
      }
    })();
    const at = new Date().toISOString();
    if (size < maxBytes) {
      dropping = false;
      appendFileSync(path, `${at} runner: ${line}\n`);
    } else if (!dropping) {
      dropping = true;
      appendFileSync(
        path,
        `${at} runner: the log is at its ${maxBytes}-byte cap; further notes are dropped\n`,
      );
    }
  };
}
