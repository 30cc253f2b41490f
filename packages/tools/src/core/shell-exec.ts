/** shell_exec: one /bin/sh command in the workspace, under the [tools.shell] policy. */
import { type CommandResult, type CommandRunner, DEFAULT_KILL_GRACE_MS } from '@oxydra/sandbox';
import type { AgentConfig } from '@oxydra/types';
import { z } from 'zod';
import { type DefinedTool, defineTool } from '../define.js';
import { commandEnvironment } from '../shell/env.js';

export type ShellConfig = AgentConfig['tools']['shell'];

export interface ShellExecOptions {
  shell: ShellConfig;
  /** Runs the command; the OS sandbox substitutes its own. Default: runCommand (process/run-command). */
  runCommand?: CommandRunner;
  /** Where the allowlisted variables come from. Default: process.env. */
  env?: Readonly<Record<string, string | undefined>>;
  /**
   * Output shown to the model, its start and end halves. Default 12 KiB: under the registry's
   * 16 KiB cap, so the end of a long build log (where the error is) is never cut away.
   */
  maxOutputBytes?: number;
  killGraceMs?: number;
  /**
   * Set when no command may run (no working sandbox, and nobody chose to go without one): every
   * call fails with this message, which names the fix. Fail closed: nothing runs on the host.
   */
  unavailable?: string;
}

export const DEFAULT_SHELL_OUTPUT_BYTES = 12 * 1024;
/** Registry timeout beyond the command's own: the command's timeout fires first and reports its output. */
const REGISTRY_SLACK_MS = 5000;

function describe(result: CommandResult, timeoutSecs: number): string {
  const status =
    result.exitCode !== null
      ? `exit code: ${result.exitCode}`
      : `exit code: none (stopped by ${result.signal ?? 'a signal'})`;
  const lines = [
    result.timedOut
      ? `timed out after ${timeoutSecs} s: the command and everything it started were stopped; ${status}`
      : status,
  ];
  lines.push(result.output === '' ? '(no output)' : result.output.replace(/\n$/, ''));
  return lines.join('\n');
}

export function shellExecTool(options: ShellExecOptions): DefinedTool {
  const { shell } = options;
  // The policy check and the direct runner load at the first command: a run that never calls
  // shell_exec (or only ever gets the refusal) does not pay for them.
  const run: CommandRunner =
    options.runCommand ??
    (async (command, runOptions) =>
      (await import('../process/run-command.js')).runCommand(command, runOptions));
  const killGraceMs = options.killGraceMs ?? DEFAULT_KILL_GRACE_MS;
  const timeoutMs = shell.command_timeout_secs * 1000;
  // Pipes and redirections are what a shell is assumed to have: only their absence is news.
  const rules = shell.allow_operators ? '' : ' Simple commands only: no pipes, &&, ;, redirections or $( ).';
  return defineTool({
    name: 'shell_exec',
    description:
      'Run a command with /bin/sh -c in the workspace root: exit code and output (stdout and ' +
      `stderr; a long one keeps its start and end). Stopped after ${shell.command_timeout_secs} s ` +
      'with all it started, so no servers stay up. No stdin (pass -y and the like), few ' +
      `environment variables.${rules} Prefer the file tools for files. May need the user's approval.`,
    parameters: z.object({
      command: z.string().min(1),
    }),
    safety: 'privileged',
    timeoutMs: timeoutMs + killGraceMs + REGISTRY_SLACK_MS,
    summarize: ({ command }) => command,
    async execute({ command }, context) {
      if (options.unavailable !== undefined) throw new Error(options.unavailable);
      const { checkCommand } = await import('../shell/policy.js');
      const refusal = checkCommand(command, {
        allow: shell.allow,
        deny: shell.deny,
        allowOperators: shell.allow_operators,
      });
      if (refusal !== undefined) throw new Error(`command refused: ${refusal}`);
      const result = await run(command, {
        cwd: context.workspace,
        env: commandEnvironment(options.env ?? process.env, shell.env_keys),
        timeoutMs,
        signal: context.signal,
        maxOutputBytes: options.maxOutputBytes ?? DEFAULT_SHELL_OUTPUT_BYTES,
        killGraceMs,
      });
      return {
        content: describe(result, shell.command_timeout_secs),
        // A non-zero exit is an answer (grep found nothing), not a tool failure; a timeout is.
        isError: result.timedOut || result.cancelled,
        data: {
          exitCode: result.exitCode,
          signal: result.signal,
          timedOut: result.timedOut,
          outputBytes: result.outputBytes,
        },
      };
    },
  });
}
