/**
 * Where `skills install` and `programs install` take a folder from: a local path, or a git URL
 * cloned (`git clone --depth 1`) into a temporary folder that is removed afterwards. Only
 * transports that cannot run a command are allowed (no `ext::`); the clone runs no hooks of the
 * repository (git never clones them) and never asks for a password on the terminal.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { UsageError } from '@oxydra/types';

const GIT_URL = /^(?:https?|ssh|git|file):\/\/|^[\w.-]+@[\w.-]+:[^\s]/;
const CLONE_TIMEOUT_MS = 5 * 60 * 1000;

export function isGitUrl(source: string): boolean {
  return GIT_URL.test(source);
}

export interface SourceOptions {
  env: NodeJS.ProcessEnv;
  /** A branch or tag to clone (a git URL only). */
  branch?: string;
  /** Relative paths resolve from here (default: the current folder). */
  cwd?: string;
}

/** Runs `use` on the source's folder; a clone is removed when `use` settles. */
export async function withSource<T>(
  source: string,
  options: SourceOptions,
  use: (dir: string) => Promise<T>,
): Promise<T> {
  if (!isGitUrl(source)) {
    if (options.branch !== undefined) throw new UsageError('--branch is for git URLs only');
    const dir = resolve(options.cwd ?? process.cwd(), source);
    const info = await stat(dir).catch(() => undefined);
    if (!info?.isDirectory()) {
      throw new UsageError(`no folder at ${source}`, {
        hint: 'give a folder holding the files, or a git URL',
      });
    }
    return use(dir);
  }
  const temporary = await mkdtemp(join(tmpdir(), 'oxydra-clone-'));
  try {
    const dir = join(temporary, 'repository');
    await clone(source, dir, options);
    return await use(dir);
  } finally {
    await rm(temporary, { recursive: true, force: true });
  }
}

function clone(url: string, dir: string, options: SourceOptions): Promise<void> {
  const args = [
    '-c',
    'protocol.ext.allow=never',
    'clone',
    '--quiet',
    '--depth',
    '1',
    ...(options.branch !== undefined ? ['--branch', options.branch] : []),
    '--',
    url,
    dir,
  ];
  return new Promise((done, fail) => {
    execFile(
      'git',
      args,
      { env: { ...options.env, GIT_TERMINAL_PROMPT: '0' }, timeout: CLONE_TIMEOUT_MS, encoding: 'utf8' },
      (error, _stdout, stderr) => {
        if (!error) return done();
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
          return fail(
            new UsageError('installing from a git URL needs git, which is not installed', {
              hint: 'install git, or clone the repository yourself and install from its folder',
            }),
          );
        }
        const why = stderr.trim().split('\n').filter(Boolean).at(-1) ?? error.message.split('\n')[0];
        fail(new UsageError(hideCredentials(`git clone ${url} failed: ${why}`)));
      },
    );
  });
}

/** A URL's user and password (https://user:token@host) never reach a message. */
export function hideCredentials(text: string): string {
  return text.replace(/(\/\/)[^/@\s]+@/g, '$1***@');
}
