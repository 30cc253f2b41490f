/**
 * The fix line under commander's own one-line usage errors (an unknown option, a missing
 * argument): where the usage is, for the command the user was typing. Commander's "Did you
 * mean" already is a fix, so a line that carries one gets nothing more.
 */
import type { Command, CommanderError } from 'commander';

/** The command the words name, as far as they name one: `--trust config get` is `config get`. */
function commandPath(program: Command, argv: readonly string[]): string[] {
  const path: string[] = [];
  let command = program;
  for (const word of argv) {
    if (word.startsWith('-')) continue;
    const sub = command.commands.find((c) => c.name() === word || c.aliases().includes(word));
    if (!sub) break;
    path.push(sub.name());
    command = sub;
  }
  return path;
}

export function usageHint(
  error: CommanderError,
  program: Command,
  argv: readonly string[],
): string | undefined {
  // A group named alone (`oxydra sessions`) has already printed its whole help.
  if (error.exitCode === 0 || error.code === 'commander.help' || /did you mean/i.test(error.message)) {
    return undefined;
  }
  const usage = ['oxydra', ...commandPath(program, argv), '--help'].join(' ');
  return `  hint: \`${usage}\` shows its usage\n`;
}
