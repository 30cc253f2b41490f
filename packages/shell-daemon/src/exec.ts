/**
 * Runs one command of a session to completion: `<shell> -lc <command>` in its own process
 * group (runProcessGroup), so a timeout or a kill_session stops everything the command
 * started. runProcessGroup captures one merged stream; the protocol keeps stdout and stderr
 * apart, so a tiny wrapper shell sends the command's stderr to a file we read back afterwards.
 */
import { open, rm } from 'node:fs/promises';
import { runProcessGroup } from '@oxydra/sandbox';

/** No timeout asked for: the longest a Node timer can wait (about 24.8 days). */
const NO_TIMEOUT_MS = 2 ** 31 - 1;

export interface SessionShell {
  shell: string;
  cwd?: string;
  env: Record<string, string>;
}

export interface ExecOutcome {
  stdout: Buffer;
  stderr: Buffer;
  timedOut: boolean;
  cancelled: boolean;
}

export interface ExecOptions {
  timeoutSecs?: number;
  signal?: AbortSignal;
  /** Output kept per stream (the session's budget). */
  maxOutputBytes: number;
  /** Where the stderr file goes (the daemon's private temp dir). */
  stderrPath: string;
}

/** `$0` is the session's shell, `$1` the command, `$2` the stderr file: nothing is interpolated. */
const STDERR_TO_FILE = 'exec "$0" -lc "$1" 2>"$2"';

export async function execInSession(
  session: SessionShell,
  command: string,
  options: ExecOptions,
): Promise<ExecOutcome> {
  try {
    const result = await runProcessGroup(
      ['/bin/sh', '-c', STDERR_TO_FILE, session.shell, command, options.stderrPath],
      {
        cwd: session.cwd ?? process.cwd(),
        env: { ...stringEnv(process.env), ...session.env },
        timeoutMs: options.timeoutSecs === undefined ? NO_TIMEOUT_MS : options.timeoutSecs * 1000,
        maxOutputBytes: options.maxOutputBytes,
        ...(options.signal ? { signal: options.signal } : {}),
      },
    );
    return {
      // The wrapper's own stderr (it could not open the file) goes to the same merged capture.
      stdout: Buffer.from(result.output, 'utf8'),
      stderr: await readHead(options.stderrPath, options.maxOutputBytes),
      timedOut: result.timedOut,
      cancelled: result.cancelled,
    };
  } finally {
    await rm(options.stderrPath, { force: true });
  }
}

/** The first `maxBytes` of a file (empty when the command never created it). */
async function readHead(path: string, maxBytes: number): Promise<Buffer> {
  let handle: Awaited<ReturnType<typeof open>> | undefined;
  try {
    handle = await open(path, 'r');
    const buffer = Buffer.alloc(maxBytes);
    const { bytesRead } = await handle.read(buffer, 0, maxBytes, 0);
    return buffer.subarray(0, bytesRead);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return Buffer.alloc(0);
    throw error;
  } finally {
    await handle?.close();
  }
}

function stringEnv(env: NodeJS.ProcessEnv): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) if (value !== undefined) result[key] = value;
  return result;
}
