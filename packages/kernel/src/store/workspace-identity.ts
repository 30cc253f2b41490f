/**
 * Which workspace a running kernel or gateway holds, by identity (device and inode) rather than
 * by name. The kernel keeps its databases open, so after `rm -rf .oxydra` or
 * `mv .oxydra .oxydra.old && mkdir .oxydra` it goes on writing to files nobody will open again,
 * while anything it writes by path (the audit head file) lands in a folder that does not hold
 * its chain: on the next start that head reads as a removed tail ("tampering") nobody did.
 * Recorded once at start; `problem()` is a few stats (cheap enough per request or per turn, not
 * per event) and, once it found the state moved, keeps saying so until the process restarts.
 * `writeFile` writes into the recorded `.oxydra/` itself, never into whatever now has its name.
 */
import { randomBytes } from 'node:crypto';
import { constants, existsSync, type Stats, statSync } from 'node:fs';
import { type FileHandle, open, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { kernelDbPath } from './kernel-db.js';

interface Part {
  /** How a person names it: ".oxydra/". */
  name: string;
  path: string;
  dev: number;
  ino: number;
}

/** On Linux a directory's descriptor can be named as a path that stays on that directory. */
const PROC_FD = '/proc/self/fd';

export class WorkspaceIdentity {
  #problem: string | undefined;

  private constructor(
    readonly workspace: string,
    private readonly parts: readonly Part[],
    problem: string | undefined,
  ) {
    this.#problem = problem;
  }

  /**
   * Records the workspace folder, its `.oxydra/` and `.oxydra/kernel.db` as they are now. Call
   * it after the kernel database is open: a part missing already is a problem from the start.
   */
  static capture(workspace: string): WorkspaceIdentity {
    const parts: Part[] = [];
    let problem: string | undefined;
    for (const [name, path] of [
      ['the workspace folder', workspace],
      ['.oxydra/', join(workspace, '.oxydra')],
      ['.oxydra/kernel.db', kernelDbPath(workspace)],
    ] as const) {
      const stats = statOrUndefined(path);
      if (stats) parts.push({ name, path, dev: stats.dev, ino: stats.ino });
      else problem ??= `${name} is missing`;
    }
    return new WorkspaceIdentity(workspace, parts, problem);
  }

  /**
   * Undefined while every recorded part is still the same file; else why not, naming no path
   * (".oxydra/ was removed"): /readyz, open to anyone, says it.
   */
  problem(): string | undefined {
    if (this.#problem !== undefined) return this.#problem;
    for (const part of this.parts) {
      const stats = statOrUndefined(part.path);
      if (!stats) return this.#latch(`${part.name} was removed`);
      if (stats.dev !== part.dev || stats.ino !== part.ino) {
        return this.#latch(`${part.name} was replaced by another`);
      }
    }
    return undefined;
  }

  /**
   * Writes `name` atomically into the recorded `.oxydra/` (a temporary file, fsync, rename,
   * fsync of the folder), only while the state is the one recorded. On Linux through the
   * folder's own descriptor, so a folder swapped in between the check and the rename cannot
   * receive it. False, writing nothing, when the state moved (the reason is in `problem()`).
   */
  async writeFile(name: string, content: string, mode = 0o600): Promise<boolean> {
    if (this.problem() !== undefined) return false;
    const folder = this.parts.find((part) => part.name === '.oxydra/');
    if (!folder) return false;
    let dir: FileHandle;
    try {
      dir = await open(folder.path, constants.O_RDONLY | constants.O_DIRECTORY);
    } catch (error) {
      if (this.problem() !== undefined) return false;
      throw error;
    }
    try {
      const opened = await dir.stat();
      if (opened.dev !== folder.dev || opened.ino !== folder.ino) {
        this.#latch(`${folder.name} was replaced by another`);
        return false;
      }
      const base = existsSync(PROC_FD) ? join(PROC_FD, String(dir.fd)) : folder.path;
      const temporary = join(base, `.${name}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
      try {
        // wx: a file (or a symlink) planted at the temporary name is never followed.
        const file = await open(temporary, 'wx', mode);
        try {
          await file.writeFile(content, 'utf8');
          await file.sync();
        } finally {
          await file.close();
        }
        await rename(temporary, join(base, name));
      } catch (error) {
        await rm(temporary, { force: true }).catch(() => {});
        // A folder deleted under its descriptor refuses new files (ENOENT): that is the move.
        if (this.problem() !== undefined) return false;
        throw error;
      }
      await dir.sync();
      return true;
    } finally {
      await dir.close();
    }
  }

  #latch(problem: string): string {
    this.#problem = problem;
    return problem;
  }
}

function statOrUndefined(path: string): Stats | undefined {
  try {
    return statSync(path);
  } catch {
    return undefined;
  }
}
