/**
 * Reading skill and program folders that may come from a cloned repository: only regular files,
 * never a FIFO or a device (opening one could block or read forever), never through a link that
 * leads out of the folder, and never more than a cap. Synchronous on purpose: discovery runs
 * inside the kernel's synchronous assembly, and every read here is bounded.
 */
import { lstatSync, readdirSync, realpathSync } from 'node:fs';
import { isAbsolute, join, normalize } from 'node:path';
import { isInside, readSmallFile } from '@oxydra/types/fs';

/** SKILL.md and program.toml larger than this are refused (the Agent Skills format asks for < 5k tokens). */
export const MAX_SKILL_FILE_BYTES = 256 * 1024;
/** A resource file read through skill_load shows at most this much (said when cut). */
export const MAX_RESOURCE_BYTES = 256 * 1024;
/** How many files a skill's listing names, and how deep it looks. */
const MAX_LISTED_FILES = 200;
const MAX_LIST_DEPTH = 4;

class UnsafeFile extends Error {}

/** A relative path inside a folder, as a user or a model typed it; undefined when it leaves it. */
export function cleanRelative(path: string): string | undefined {
  if (path.includes('\0') || isAbsolute(path)) return undefined;
  const clean = normalize(path).replace(/\\/g, '/');
  if (clean === '..' || clean.startsWith('../') || clean === '.' || clean === '') return undefined;
  return clean;
}

export interface FileText {
  text: string;
  /** The file's size; larger than the text's bytes when it was cut at the cap. */
  size: number;
  truncated: boolean;
  binary: boolean;
}

/**
 * Reads `rel` inside `root` (a folder): the real path must stay inside the real root, and the
 * opened file must be a regular file. Reads at most `cap` bytes. Throws UnsafeFile (a message for
 * people) when the file is refused, the fs error when it is missing.
 */
export function readInside(root: string, rel: string, cap: number): FileText {
  const clean = cleanRelative(rel);
  if (clean === undefined) throw new UnsafeFile(`"${rel}" is not a path inside the folder`);
  const realRoot = realpathSync(root);
  const real = realpathSync(join(realRoot, clean));
  if (!isInside(realRoot, real)) throw new UnsafeFile(`"${rel}" leads out of the folder (a symbolic link)`);
  return readRegular(real, cap, rel);
}

/** Reads a file that must be a regular file (opened without following a final link). */
export function readRegular(path: string, cap: number, label = path): FileText {
  const { bytes, size } = readRegularBytes(path, cap, label);
  const binary = bytes.subarray(0, 8192).includes(0);
  return { text: binary ? '' : bytes.toString('utf8'), size, truncated: size > bytes.length, binary };
}

/** At most `cap` bytes of a regular file, and its size; throws UnsafeFile for anything else. */
export function readRegularBytes(path: string, cap: number, label = path): { bytes: Buffer; size: number } {
  const file = readSmallFile(path, { maxBytes: cap, oversize: 'truncate' });
  if (file.ok) return { bytes: file.bytes, size: file.size };
  // Missing or unreadable: the fs error, as callers expect (ENOENT means "none yet").
  if (file.code !== undefined && file.problem !== 'link') {
    throw Object.assign(new Error(`${label}: ${file.detail}`), { code: file.code });
  }
  throw new UnsafeFile(
    file.problem === 'not-regular' ? `"${label}" is not a regular file` : `"${label}" ${file.detail}`,
  );
}

export interface ListedFile {
  /** Relative to the skill folder, with forward slashes. */
  path: string;
  size: number;
}

/**
 * The regular files in a skill folder, sorted, hidden entries (.git) left out, at most
 * MAX_LISTED_FILES and MAX_LIST_DEPTH levels; a link is listed only when it leads to a regular
 * file inside the folder. `more` counts what the caps left out.
 */
export function listInside(
  root: string,
  skip: ReadonlySet<string> = new Set(),
): { files: ListedFile[]; more: number } {
  const realRoot = realpathSync(root);
  const files: ListedFile[] = [];
  let more = 0;
  const walk = (dir: string, prefix: string, depth: number) => {
    let entries: string[];
    try {
      entries = readdirSync(dir).sort();
    } catch {
      return;
    }
    for (const name of entries) {
      if (name.startsWith('.')) continue;
      const rel = prefix === '' ? name : `${prefix}/${name}`;
      if (skip.has(rel)) continue;
      const full = join(dir, name);
      let stat: ReturnType<typeof lstatSync>;
      try {
        stat = lstatSync(full);
        if (stat.isSymbolicLink()) {
          const real = realpathSync(full);
          if (!isInside(realRoot, real)) continue;
          stat = lstatSync(real);
          if (!stat.isFile()) continue;
        }
      } catch {
        continue;
      }
      if (stat.isDirectory()) {
        if (depth < MAX_LIST_DEPTH) walk(full, rel, depth + 1);
        else more++;
      } else if (stat.isFile()) {
        if (files.length < MAX_LISTED_FILES) files.push({ path: rel, size: stat.size });
        else more++;
      }
    }
  };
  walk(realRoot, '', 1);
  return { files, more };
}

/** "812 B", "2.1 KiB", "1.4 MiB". */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}
