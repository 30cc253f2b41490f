/**
 * Unix socket files for local daemons (the runner's control socket, the shell daemon): a
 * socket left behind by a crashed daemon is removed, a live one is never stolen, and a new
 * one is readable and writable by its owner only.
 */
import { chmod, lstat, unlink } from 'node:fs/promises';
import { createConnection, type Server } from 'node:net';

/** True when something accepts connections on `path` now. */
export function socketAnswers(path: string, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection(path);
    const done = (answers: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(answers);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/**
 * Makes `path` free for a new socket: a stale socket file goes; a socket something still
 * listens on, or a file that is not a socket, is an error naming `owner` ("a shell daemon").
 */
export async function removeStaleSocket(path: string, owner: string): Promise<void> {
  let stats: Awaited<ReturnType<typeof lstat>>;
  try {
    stats = await lstat(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  if (!stats.isSocket())
    throw new Error(`${path} exists and is not a socket; remove it or choose another path`);
  if (await socketAnswers(path)) throw new Error(`${owner} is already listening on ${path}`);
  await unlink(path);
}

/** Listens on `path` and makes the socket file owner-only (0600). */
export async function listenOnUnixSocket(server: Server, path: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => {
      server.off('error', reject);
      resolve();
    });
  });
  await chmod(path, 0o600);
}
