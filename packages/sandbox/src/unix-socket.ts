/**
 * Unix socket files for local daemons (the runner's control socket, the shell daemon): a
 * socket left behind by a crashed daemon is removed, a live one is never stolen, and a new
 * one is readable and writable by its owner only.
 */
import { chmod, lstat, unlink } from 'node:fs/promises';
import { createConnection, type Server } from 'node:net';
import { isMainThread } from 'node:worker_threads';

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

/** Whatever else the process holds, a socket file is created with no access for group or others. */
const SOCKET_UMASK = 0o177;

/**
 * Listens on `path` with the socket file owner-only (0600) from the moment it exists. Before, it
 * was created with the process's umask (0777 under umask 0) and chmod-ed after listen: between
 * the two, another local user could connect (and stay connected). The umask is process-wide, so
 * it is set only around listen(), whose bind() Node makes synchronously on this thread: no other
 * JavaScript runs meanwhile. A file another thread (the libuv pool) creates in that instant gets
 * the stricter mode too, never a looser one. A worker thread cannot set the umask (Node throws):
 * there the chmod after listen is all it gets, as before.
 */
export async function listenOnUnixSocket(server: Server, path: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    const previous = isMainThread ? process.umask(SOCKET_UMASK) : undefined;
    try {
      server.listen(path, () => {
        server.off('error', reject);
        resolve();
      });
    } finally {
      if (previous !== undefined) process.umask(previous);
    }
  });
  // Exactly 0600 whatever the umask left (a socket needs write permission to be connected to).
  await chmod(path, 0o600);
}
