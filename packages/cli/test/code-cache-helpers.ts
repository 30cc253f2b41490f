/**
 * Shared by the code-cache-*.test.ts files: the debug switch that makes the binary say what its
 * code cache did, where the cache of this Node lives, the user's local key, and what each test
 * started (useStarted registers the calling file's afterEach that stops it).
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach } from 'vitest';

export const DEBUG = { NODE_DEBUG: 'oxydra_code_cache' };
export const versionFolder = (cacheHome: string) =>
  join(cacheHome, 'oxydra', 'code-cache', `${process.version}-${process.arch}`);
export const wrote = (stderr: string) => /OXYDRA_CODE_CACHE \d+: wrote (\d+) of (\d+) files/.exec(stderr);

/** What each test started, stopped after it. */
export const started: (() => unknown)[] = [];
export function useStarted(): void {
  afterEach(async () => {
    for (const stop of started.splice(0)) await stop();
  });
}

/** The user's local key (as @oxydra/config makes it): the code cache is authenticated with it. */
export function giveLocalKey(home: string, key: Buffer = randomBytes(32)): Buffer {
  mkdirSync(join(home, '.config', 'oxydra'), { recursive: true, mode: 0o700 });
  writeFileSync(join(home, '.config', 'oxydra', 'local.key'), key, { mode: 0o600 });
  return key;
}
