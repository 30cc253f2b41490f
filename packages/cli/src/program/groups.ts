/**
 * The command groups and the top-level commands each declares, so a command line that names one
 * (`oxydra run ...`) builds only that group's declarations. Anything else (no command, `--help`,
 * `help`, a mistyped command that wants a suggestion, `completion`, which prints the whole tree)
 * builds them all, in this order, which is the order of `oxydra --help`; `--version` alone builds
 * none. test/program-groups.test.ts checks each list against what its group declares. The groups
 * are imported statically: their modules only define functions, and in the bundle a chunk per
 * group would cost `--help` five more files to read.
 */
import type { Command } from 'commander';
import { declareStoreCommands } from '../commands/store.js';
import { declareExtensionCommands } from './extension-commands.js';
import { declareServiceCommands } from './service-commands.js';
import { declareSetupCommands } from './setup-commands.js';
import { declareWorkspaceCommands } from './workspace-commands.js';

export interface CommandGroup {
  commands: readonly string[];
  declare: (program: Command) => void;
}

export const COMMAND_GROUPS: readonly CommandGroup[] = [
  {
    commands: ['config', 'trust', 'init', 'doctor', 'run', 'chat', 'demo'],
    declare: declareSetupCommands,
  },
  {
    commands: ['sessions', 'audit', 'budget', 'costs', 'undo', 'checkpoints', 'token', 'approvals'],
    declare: declareWorkspaceCommands,
  },
  {
    commands: ['store'],
    declare: declareStoreCommands,
  },
  {
    commands: [
      'persona',
      'plugins',
      'mcp',
      'schedule',
      'scheduler',
      'channels',
      'skills',
      'programs',
      'memory',
    ],
    declare: declareExtensionCommands,
  },
  {
    // `completion` is here for its declaration only: it is never built alone (see below).
    commands: [
      'models',
      'gateway',
      'dashboard',
      'completion',
      'status',
      'logs',
      'service',
      'tui',
      'mock-llm',
      'runner',
      'guest',
      'shell-daemon',
    ],
    declare: declareServiceCommands,
  },
];

/** Commands that read the whole program tree, so every group is declared for them. */
const WHOLE_TREE = new Set(['completion']);
const VERSION_FLAGS = new Set(['-V', '--version']);
const HELP_FLAGS = new Set(['-h', '--help']);

/**
 * The groups to declare for this command line: the one that holds the command it names, or all.
 * The root's own options take no value, so the command is the first word that is not an option.
 * `--version` alone needs none.
 */
export function groupsFor(argv: readonly string[]): readonly CommandGroup[] {
  const name = argv.find((word) => !word.startsWith('-'));
  // `oxydra --version` prints the version and stops: no command is looked at.
  if (name === undefined && argv.some((w) => VERSION_FLAGS.has(w)) && !argv.some((w) => HELP_FLAGS.has(w))) {
    return [];
  }
  if (name === undefined || WHOLE_TREE.has(name)) return COMMAND_GROUPS;
  const group = COMMAND_GROUPS.find((candidate) => candidate.commands.includes(name));
  return group ? [group] : COMMAND_GROUPS;
}
