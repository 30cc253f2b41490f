/** Helpers of the skills and programs tests: folders of files and local git repositories. */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** Writes `files` (relative path -> content) under `dir`. */
export function writeFiles(dir: string, files: Record<string, string>): string {
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
  return dir;
}

/** A git repository holding `files` in one commit (more with `commit`), as a file:// URL. */
export function gitRepository(dir: string, files: Record<string, string>): string {
  writeFiles(dir, files);
  commitAll(dir, 'first');
  return `file://${dir}`;
}

/** Commits everything in the repository at `dir`, by "Ada", the user's git configuration left out. */
export function commitAll(dir: string, message: string): void {
  const git = (...args: string[]) =>
    execFileSync('git', ['-c', 'safe.directory=*', ...args], {
      cwd: dir,
      env: { PATH: process.env.PATH, HOME: dir, GIT_CONFIG_NOSYSTEM: '1' },
      stdio: 'pipe',
    });
  try {
    git('rev-parse', '--git-dir');
  } catch {
    git('init', '-q', '-b', 'main');
  }
  git('add', '-A');
  git('-c', 'user.name=Ada', '-c', 'user.email=ada@example.invalid', 'commit', '-q', '-m', message);
}
