/**
 * Copies a skill or program folder that may come from anywhere (a clone of a stranger's
 * repository): regular files and folders only, a link copied as the file it leads to only when
 * that file is inside the folder, `.git` left behind, and bounded in files, depth and bytes.
 * Permissions are kept but for write access by others; an executable stays executable.
 */
import { lstatSync, mkdirSync, readdirSync, realpathSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isInside } from '@oxydra/types/fs';
import { readRegularBytes } from './safe-fs.js';

const COPY_LIMITS = { files: 1000, depth: 10, bytes: 50 * 1024 * 1024 } as const;

export interface CopyReport {
  files: number;
  bytes: number;
  /** Entries left out (links leading out, FIFOs, sockets, devices), relative paths. */
  skipped: string[];
}

/** Copies `from` into `to` (created). Throws an Error (one line) past a limit. */
export function copyTree(from: string, to: string): CopyReport {
  const root = realpathSync(from);
  const report: CopyReport = { files: 0, bytes: 0, skipped: [] };
  const walk = (dir: string, target: string, rel: string, depth: number) => {
    mkdirSync(target, { recursive: true, mode: 0o755 });
    for (const name of readdirSync(dir).sort()) {
      if (name === '.git') continue;
      const source = join(dir, name);
      const path = rel === '' ? name : `${rel}/${name}`;
      let real = source;
      let stat = lstatSync(source);
      if (stat.isSymbolicLink()) {
        try {
          real = realpathSync(source);
          stat = statSync(real);
        } catch {
          report.skipped.push(path);
          continue;
        }
        if (!isInside(root, real) || !stat.isFile()) {
          report.skipped.push(path);
          continue;
        }
      }
      if (stat.isDirectory()) {
        if (depth >= COPY_LIMITS.depth)
          throw new Error(`folders nest deeper than ${COPY_LIMITS.depth} levels (${path})`);
        walk(source, join(target, name), path, depth + 1);
      } else if (stat.isFile()) {
        if (++report.files > COPY_LIMITS.files)
          throw new Error(`it has more than ${COPY_LIMITS.files} files`);
        const left = COPY_LIMITS.bytes - report.bytes;
        const { bytes, size } = readRegularBytes(real, left, path);
        if (size > left) throw new Error(`it holds more than ${COPY_LIMITS.bytes / 1024 / 1024} MiB`);
        writeFileSync(join(target, name), bytes, { mode: (stat.mode & 0o755) | 0o400, flag: 'wx' });
        report.bytes += bytes.length;
      } else {
        report.skipped.push(path);
      }
    }
  };
  walk(root, to, '', 1);
  return report;
}
