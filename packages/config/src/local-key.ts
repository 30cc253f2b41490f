/**
 * This user's local secret key: 32 random bytes in `~/.config/oxydra/local.key` (mode 0600),
 * made on first use. It authenticates what Oxydra writes for itself in places a sandboxed
 * command or a cloned repository could also write: which workspace state this user created on
 * this machine, and the V8 code cache. The folder is one of oxydraSecretDirectories(), hidden
 * from commands and refused to the file tools, so nothing an agent runs can read or replace it.
 *
 * The default folder is used even when XDG_CONFIG_HOME moves the user layer, so the launcher
 * (bin/oxydra.js, which cannot import this module) finds the same file by the same rule:
 * `$HOME/.config/oxydra/local.key`, with OXYDRA_LOCAL_KEY_FILE overriding it for tests.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { closeSync, constants, fsyncSync, linkSync, mkdirSync, openSync, rmSync, writeSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { ConfigError, OXYDRA_HOME_FOLDERS } from '@oxydra/types';
import { readSmallFile } from '@oxydra/types/fs';

export const LOCAL_KEY_BYTES = 32;

export function localKeyPath(env: NodeJS.ProcessEnv = process.env): string {
  return env.OXYDRA_LOCAL_KEY_FILE || join(env.HOME || homedir(), ...OXYDRA_HOME_FOLDERS.config, 'local.key');
}

const cache = new Map<string, Buffer>();

/**
 * The key, created (0600, in a 0700 folder) when missing. Refuses, with the fix, a key file that
 * is not a regular file of this user's, is readable by others, or has the wrong size: a key
 * someone else can read or plant authenticates nothing.
 */
export function localSecretKey(env: NodeJS.ProcessEnv = process.env): Buffer {
  const path = localKeyPath(env);
  const known = cache.get(path);
  if (known) return known;
  const key = readKey(path) ?? createKey(path);
  cache.set(path, key);
  return key;
}

/**
 * HMAC-SHA256 of `parts` (joined unambiguously) under this user's local key, as hex. A part may
 * be bytes (a file's, hashed where they lie): the same MAC as the string they encode.
 */
export function localMac(
  parts: readonly (string | Uint8Array)[],
  env: NodeJS.ProcessEnv = process.env,
): string {
  const mac = createHmac('sha256', localSecretKey(env));
  for (const part of parts) {
    if (typeof part === 'string') mac.update(`${Buffer.byteLength(part)}:${part};`);
    else mac.update(`${part.byteLength}:`).update(part).update(';');
  }
  return mac.digest('hex');
}

function readKey(path: string): Buffer | undefined {
  const file = readSmallFile(path, {
    maxBytes: LOCAL_KEY_BYTES,
    oversize: 'truncate',
    ownedByMe: true,
    refuseModeBits: 0o077,
  });
  if (file.ok) {
    if (file.size !== LOCAL_KEY_BYTES) throw keyError(path, `has ${file.size} bytes, not ${LOCAL_KEY_BYTES}`);
    return file.bytes;
  }
  if (file.problem === 'missing') return undefined;
  throw keyError(path, file.problem === 'shared-mode' ? 'is readable by other users' : file.detail);
}

/**
 * Written whole to a private temporary file, then hard-linked into place: the link fails if the
 * key exists, so two processes starting at once never see half a key, and the later one uses
 * the key the first one made.
 */
function createKey(path: string): Buffer {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const key = randomBytes(LOCAL_KEY_BYTES);
  const temporary = temporaryBeside(path);
  try {
    writePrivateFile(temporary, key);
    linkSync(temporary, path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') {
      const theirs = readKey(path);
      if (theirs) return theirs;
    }
    throw keyError(path, `cannot be created (${code})`);
  } finally {
    rmSync(temporary, { force: true });
  }
  return key;
}

/** A fresh name beside `path` for a file to be linked or renamed into place. */
export function temporaryBeside(path: string): string {
  return `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
}

/**
 * Writes `bytes` to a new file readable by this user alone, on disk before it returns. Refuses
 * an existing file or a link at `path` (O_EXCL, O_NOFOLLOW): meant for a fresh temporary name.
 */
export function writePrivateFile(path: string, bytes: string | Uint8Array): void {
  const fd = openSync(
    path,
    constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW,
    0o600,
  );
  try {
    writeSync(fd, typeof bytes === 'string' ? Buffer.from(bytes) : bytes);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function keyError(path: string, problem: string): ConfigError {
  return new ConfigError(
    `Oxydra's local key ${path} ${problem}`,
    { source: path },
    { hint: `remove it (Oxydra makes a new one, and asks again to trust workspaces): rm ${path}` },
  );
}
