/**
 * The command groups and the top-level commands each declares, so a command line that names one
 * (`oxydra run ...`) builds only that group's declarations: the other groups are not even
 * imported. Anything else (no command, `--help`, `help`, a mistyped command that wants a
 * suggestion, `completion`, which prints the whole tree) builds them all, in this order, which
 * is the order of `oxydra --help`. test/program-groups.test.ts checks each list against what
 * its group declares.
 */
import type { Command } from 'commander';

export interface CommandGroup {
  commands: readonly string[];
  declare: () => Promise<(program: Command) => void>;
}

export const COMMAND_GROUPS: readonly CommandGroup[] = [
  {
    commands: ['config', 'trust', 'init', 'doctor', 'run', 'chat', 'demo'],
    declare: async () => (await import('./setup-commands.js')).declareSetupCommands,
  },
  {
    commands: ['sessions', 'audit', 'budget', 'costs', 'undo', 'checkpoints', 'token', 'approvals'],
    declare: async () => (await import('./workspace-commands.js')).declareWorkspaceCommands,
  },
  {
    commands: ['store'],
    declare: async () => (await import('../commands/store.js')).declareStoreCommands,
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
    declare: async () => (await import('./extension-commands.js')).declareExtensionCommands,
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
    declare: async () => (await import('./service-commands.js')).declareServiceCommands,
  },
];

/** Commands that read the whole program tree, so every group is declared for them. */
const WHOLE_TREE = new Set(['completion']);

/**
 * The groups to declare for this command line: the one that holds the command it names, or all.
 * The root's own options take no value, so the command is the first word that is not an option.
 */
export function groupsFor(argv: readonly string[]): readonly CommandGroup[] {
  const name = argv.find((word) => !word.startsWith('-'));
  if (name === undefined || WHOLE_TREE.has(name)) return COMMAND_GROUPS;
  const group = COMMAND_GROUPS.find((candidate) => candidate.commands.includes(name));
  return group ? [group] : COMMAND_GROUPS;
}
