/** shell_exec's code (its definition is in catalog.ts): the policy check, then the runner. */
import type { CommandResult, CommandRunner } from '@oxydra/sandbox/detect';
import type { ToolRun } from '../define.js';
import { commandEnvironment } from '../shell/env.js';
import { checkCommand } from '../shell/policy.js';
import { DEFAULT_SHELL_OUTPUT_BYTES, type ShellExecArgs, type ShellExecOptions } from './parameters.js';

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

export function shellExec(options: ShellExecOptions & { killGraceMs: number }): ToolRun<ShellExecArgs> {
  const { shell, killGraceMs } = options;
  // The direct runner (no OS sandbox) loads at the first command that uses it.
  const run: CommandRunner =
    options.runCommand ??
    (async (command, runOptions) =>
      (await import('../process/run-command.js')).runCommand(command, runOptions));
  const timeoutMs = shell.command_timeout_secs * 1000;
  return async ({ command }, context) => {
    if (options.unavailable !== undefined) throw new Error(options.unavailable);
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
      // max_concurrent_commands is per session: one user's batch never waits on another's.
      ...(context.sessionId !== undefined ? { slot: context.sessionId } : {}),
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
  };
}
