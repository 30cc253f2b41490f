/**
 * exec: a command for hosts and programs, through exactly the sandbox policy shell_exec uses
 * (same isolation, same secret paths hidden, same clean environment, same refusal when no
 * sandbox works). It does not ask for approval: the host calling it is the one deciding.
 */
import type { CommandResult } from '@oxydra/sandbox';
import { commandEnvironment } from '@oxydra/tools';
import { UsageError } from '@oxydra/types';
import type { KernelBase } from '../assemble/base.js';

export interface ExecOptions {
  /** Default: the workspace. */
  cwd?: string;
  /** Default: [tools.shell] command_timeout_secs. */
  timeoutMs?: number;
  signal?: AbortSignal;
  /** More variables offered to the command (the sandbox still keeps only the allowlisted ones). */
  env?: Record<string, string>;
}

export type Exec = (command: string, options?: ExecOptions) => Promise<CommandResult>;

export function execCall(base: KernelBase): Exec {
  return async (command, options = {}) => {
    const { isolation, config, workspace } = base;
    if (isolation.refusal !== undefined) throw new UsageError(isolation.refusal);
    if (!isolation.runCommand) {
      throw new UsageError('exec runs commands only inside a sandbox here, and the sandbox is off', {
        hint: 'set [tools.sandbox] mode to "auto" or "bubblewrap"',
      });
    }
    return isolation.runCommand(command, {
      cwd: options.cwd ?? workspace,
      env: { ...commandEnvironment(base.env, config.tools.shell.env_keys), ...options.env },
      timeoutMs: options.timeoutMs ?? config.tools.shell.command_timeout_secs * 1000,
      ...(options.signal ? { signal: options.signal } : {}),
    });
  };
}
