/**
 * The CommandRunner contract of @oxydra/tools (process/run-command.ts), restated structurally:
 * this package depends only on @oxydra/types, and TypeScript's structural typing lets
 * createBubblewrapRunner's result be passed wherever tools expects its CommandRunner.
 */
/** RunCommandOptions' defaults: output kept (head and tail), and the wait between SIGTERM and SIGKILL. */
export const DEFAULT_COMMAND_OUTPUT_BYTES = 64 * 1024;
export const DEFAULT_KILL_GRACE_MS = 2000;

export interface RunCommandOptions {
  cwd: string;
  /** The complete environment offered to the command; the sandbox keeps only the allowlisted part. */
  env: Record<string, string>;
  timeoutMs: number;
  signal?: AbortSignal;
  maxOutputBytes?: number;
  killGraceMs?: number;
  /**
   * Whose command this is (the session): max_concurrent_commands counts each one's commands
   * apart. Absent: the commands without one share a count.
   */
  slot?: string;
}

export interface CommandResult {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  output: string;
  outputBytes: number;
  timedOut: boolean;
  cancelled: boolean;
  pid: number | undefined;
}

/** The result of a command cancelled before it started: nothing ran. */
export function cancelledBeforeStart(): CommandResult {
  return {
    exitCode: null,
    signal: null,
    output: '',
    outputBytes: 0,
    timedOut: false,
    cancelled: true,
    pid: undefined,
  };
}

export type CommandRunner = (command: string, options: RunCommandOptions) => Promise<CommandResult>;
