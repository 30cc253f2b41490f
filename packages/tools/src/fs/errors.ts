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
};

/** `error` with a readable message when it is a known fs error (to throw instead); else `error` itself. */
export function describeFsError(error: unknown, path: string): Error {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const reason = code === undefined ? undefined : REASONS[code];
  return reason === undefined ? (error as Error) : new Error(`${reason}: ${path}`, { cause: error });
}
