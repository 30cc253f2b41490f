/** File-system errors in words a model can act on, naming the workspace path rather than the host's. */

const REASONS: Record<string, string> = {
  ENOENT: 'no such file or directory',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EISDIR: 'is a directory',
  ENOTDIR: 'a part of the path is not a directory',
  ENOTEMPTY: 'directory not empty',
  EEXIST: 'already exists',
  ENOSPC: 'no space left on the device',
  EROFS: 'read-only file system',
  // Opens are no-follow after the path check (fs/anchored.ts): a link there now was put there
  // by something else during the call.
  ELOOP: 'changed during the call (a symbolic link took the place of a checked file or folder); try again',
  // What opening a Unix socket gives.
  ENXIO: 'not a regular file (a socket or a device); file tools read and write regular files only',
};

/** `error` with a readable message when it is a known fs error (to throw instead); else `error` itself. */
export function describeFsError(error: unknown, path: string): Error {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const reason = code === undefined ? undefined : REASONS[code];
  return reason === undefined ? (error as Error) : new Error(`${reason}: ${path}`, { cause: error });
}
