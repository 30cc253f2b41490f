/**
 * The program's top-level commands, by group, in the order of `oxydra --help`. A command line
 * that names one (`oxydra run ...`) declares only that command; anything else (no command,
 * `--help`, `help`, a mistyped command that wants a suggestion, `completion`, which prints the
 * whole tree) declares them all, and `--version` alone none. The groups are imported statically:
 * their modules only define functions, and in the bundle a chunk per group would cost `--help`
 * five more files to read.
 */
import type { Command } from 'commander';
import { declareStoreCommands } from '../commands/store.js';
import { EXTENSION_COMMANDS } from './extension-commands.js';
import type { CommandDeclarations } from './lazy.js';
import { SERVICE_COMMANDS } from './service-commands.js';
import { SETUP_COMMANDS } from './setup-commands.js';
import { WORKSPACE_COMMANDS } from './workspace-commands.js';

export const COMMAND_GROUPS: readonly CommandDeclarations[] = [
  SETUP_COMMANDS,
  WORKSPACE_COMMANDS,
  { store: declareStoreCommands },
  EXTENSION_COMMANDS,
  SERVICE_COMMANDS,
];

type Declare = (program: Command) => void;

/** Commands that read the whole program tree, so every command is declared for them. */
const WHOLE_TREE = new Set(['completion']);
const VERSION_FLAGS = new Set(['-V', '--version']);
const HELP_FLAGS = new Set(['-h', '--help']);

/**
 * What to declare for this command line: the command it names, or every command. The root's
 * own options take no value, so the command is the first word that is not an option.
 */
export function declarationsFor(argv: readonly string[]): Declare[] {
  const name = argv.find((word) => !word.startsWith('-'));
  // `oxydra --version` prints the version and stops: no command is looked at.
  if (name === undefined && argv.some((w) => VERSION_FLAGS.has(w)) && !argv.some((w) => HELP_FLAGS.has(w))) {
    return [];
  }
  if (name !== undefined && !WHOLE_TREE.has(name)) {
    const group = COMMAND_GROUPS.find((candidate) => Object.hasOwn(candidate, name));
    if (group) return [group[name]!];
  }
  return COMMAND_GROUPS.flatMap((group) => Object.values(group));
}
