/**
 * `oxydra sessions list | head -1`: when the reader goes away, the next write fails with EPIPE.
 * That is the reader's choice, not a failure: exit 0 at once and quietly, as `git log | head`
 * does, instead of an unhandled 'error' event and a stack trace.
 */
export function exitQuietlyOnBrokenPipe(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EPIPE') process.exit(0);
      throw error;
    });
  }
}
