/**
 * What the CheckpointStore's files share (checkpoints-restore.test.ts,
 * checkpoints-history.test.ts): workspaces of their own with a bit of everything in them, the
 * tree read back to compare, and the user's own git.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { type TempWorkspace, tempWorkspace } from '@oxydra/testkit/helpers';
import { afterEach } from 'vitest';

export type Node = { type: 'file' | 'dir' | 'symlink'; mode: number; content: string };

/** path → {type, mode & 0o7777, sha256 or link target}; skips our own `.oxydra/` unless asked. */
export function listTree(root: string, options: { skip?: string[] } = {}): Record<string, Node> {
  const skip = new Set(options.skip ?? ['.oxydra']);
  const out: Record<string, Node> = {};
  const walk = (rel: string) => {
    for (const name of readdirSync(join(root, rel)).sort()) {
      const path = rel === '' ? name : `${rel}/${name}`;
      if (skip.has(path)) continue;
      const full = join(root, path);
      const info = lstatSync(full);
      const mode = info.mode & 0o7777;
      if (info.isSymbolicLink()) out[path] = { type: 'symlink', mode: 0, content: readlinkSync(full) };
      else if (info.isDirectory()) {
        out[path] = { type: 'dir', mode, content: '' };
        walk(path);
      } else {
        const sha = createHash('sha256').update(readFileSync(full)).digest('hex');
        out[path] = { type: 'file', mode, content: sha };
      }
    }
  };
  walk('');
  return out;
}

/** The user's own git, with none of the test's GIT_* variables leaking in. */
export function userGit(cwd: string, args: string[]): string {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) if (!key.startsWith('GIT_')) env[key] = value;
  Object.assign(env, {
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_AUTHOR_NAME: 'User',
    GIT_AUTHOR_EMAIL: 'user@example.invalid',
    GIT_COMMITTER_NAME: 'User',
    GIT_COMMITTER_EMAIL: 'user@example.invalid',
  });
  return execFileSync('git', args, { cwd, env, encoding: 'utf8' });
}

/**
 * For the calling describe: `workspace()` makes a folder removed after each test (process.env
 * put back too), `write` puts a file with its mode, `seed` a tree with a bit of everything.
 */
export function useWorkspaces(): {
  workspace(): string;
  write(root: string, path: string, content: string | Buffer, mode?: number): void;
  seed(root: string): void;
} {
  const dirs: TempWorkspace[] = [];
  const savedEnv = { ...process.env };
  afterEach(() => {
    for (const key of Object.keys(process.env)) if (!(key in savedEnv)) delete process.env[key];
    Object.assign(process.env, savedEnv);
    for (const dir of dirs.splice(0)) dir.cleanup();
  });

  const workspace = (): string => {
    const dir = tempWorkspace({ prefix: 'oxydra-checkpoints-' });
    dirs.push(dir);
    return dir.dir;
  };
  const write = (root: string, path: string, content: string | Buffer, mode = 0o644) => {
    mkdirSync(join(root, path, '..'), { recursive: true });
    writeFileSync(join(root, path), content);
    chmodSync(join(root, path), mode);
  };

  /** A tree with a bit of everything restore must get right. */
  const seed = (root: string) => {
    write(root, 'README.md', '# hello\n');
    write(root, 'src/main.ts', 'export const a = 1;\n');
    write(root, 'src/deep/nested/leaf.txt', 'leaf\n');
    write(root, 'bin/run.sh', '#!/bin/sh\necho run\n', 0o755);
    write(root, 'secrets/key.pem', 'private\n', 0o600);
    mkdirSync(join(root, 'empty/inner'), { recursive: true });
    chmodSync(join(root, 'empty'), 0o750);
    symlinkSync('src/main.ts', join(root, 'link-to-main'));
    symlinkSync('../nowhere', join(root, 'dangling'));
  };

  return { workspace, write, seed };
}
