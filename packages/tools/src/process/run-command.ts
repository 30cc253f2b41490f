/**
 * shell_exec's direct runner: `/bin/sh -c command` in its own process group (see
 * runProcessGroup in @oxydra/sandbox, which the bubblewrap runner shares). Replaceable as a
 * whole (CommandRunner): the OS sandbox swaps in its own.
 */
import { type CommandRunner, runProcessGroup } from '@oxydra/sandbox';

export {
  type CommandResult,
  type CommandRunner,
  DEFAULT_COMMAND_OUTPUT_BYTES,
  DEFAULT_KILL_GRACE_MS,
  type RunCommandOptions,
} from '@oxydra/sandbox';

export const runCommand: CommandRunner = (command, options) =>
  runProcessGroup(['/bin/sh', '-c', command], options);
