/**
 * The one temporary-workspace helper for tests: a fresh directory under the OS temp dir, files
 * written into it by relative path (configuration, fixtures), and a cleanup that removes it all.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

export interface TempWorkspaceOptions {
  /** The directory name's start, so a leftover says which test made it (default "oxydra-test-"). */
  prefix?: string;
  /** Files to write at once: relative path → content (parent directories are made). */
  files?: Record<string, string | Uint8Array>;
}

export interface TempWorkspace {
  /** The directory's absolute path. */
  readonly dir: string;
  /** `dir` joined with `parts`. */
  path(...parts: string[]): string;
  /** Writes `content` at `relative` (making its parent directories) and returns the absolute path. */
  write(relative: string, content: string | Uint8Array): string;
  /** Removes the directory and everything in it; calling it again does nothing. */
  cleanup(): void;
}

export function tempWorkspace(options: TempWorkspaceOptions = {}): TempWorkspace {
  const dir = mkdtempSync(join(tmpdir(), options.prefix ?? 'oxydra-test-'));
  const workspace: TempWorkspace = {
    dir,
    path: (...parts) => join(dir, ...parts),
    write(relative, content) {
      const path = join(dir, relative);
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, content);
      return path;
    },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
  for (const [relative, content] of Object.entries(options.files ?? {})) workspace.write(relative, content);
  return workspace;
}
