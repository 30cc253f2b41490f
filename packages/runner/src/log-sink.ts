/**
 * A guest's output into its log file, bounded. A guest runs a model's commands, and in the
 * container and micro-VM tiers those commands share its uid or are root: they can write to the
 * guest's own stdout (/proc/1/fd/1, the VM's console) as fast as the disk takes it. Handing the
 * child the log file's descriptor let that fill the host's disk; the runner copies the output
 * itself instead, and when a file would pass its cap it is renamed to `<name>.1` (replacing the
 * previous one) and a fresh file started: at most two caps a stream, the newest output kept.
 * `runner logs -f` follows across the rename. The file is @oxydra/config's RotatingLogFile (never
 * written through a link or a hard link, reopened when another writer rotated it).
 */
import { appendFileSync, statSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { RotatingLogFile } from '@oxydra/config/admin';

/** Each runtime log file's cap: 32 MiB, so at most 64 MiB a stream with the one rotated file. */
export const RUNTIME_LOG_MAX_BYTES = 32 * 1024 * 1024;

/** Appends `stream` to `path`, rotating at `maxBytes`; resolves once the stream has ended. */
export function pipeToCappedLog(stream: Readable, path: string, maxBytes: number): Promise<void> {
  const log = RotatingLogFile.open(path, {
    maxBytes,
    keep: 1,
    rotated: () =>
      `=== ${new Date().toISOString()} runner: the previous ${maxBytes} bytes are in ${path}.1 ===\n`,
  });
  // Pieces of a quarter of the cap: one never fits a file only by passing the cap, even after the
  // line a rotation starts it with, so no file holds more than the cap.
  const piece = Math.max(1, Math.floor(maxBytes / 4));
  stream.on('data', (chunk: Buffer) => {
    try {
      for (let at = 0; at < chunk.length; at += piece) log.write(chunk.subarray(at, at + piece));
    } catch {
      // A full disk or a log folder gone: the guest runs on, its output dropped.
    }
  });
  // A read error ends the stream like its end does ('close' follows).
  stream.on('error', () => {});
  return new Promise((resolve) => {
    stream.once('close', () => {
      log.close();
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
