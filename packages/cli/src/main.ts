/**
 * The `oxydra` program: the root command and its global flags, the command groups (program/*:
 * declared with their flags and help text only; each implementation is imported when it runs,
 * so `--help` loads no heavy modules), and the entry point.
 */
import { Command, CommanderError } from 'commander';
import { declareStoreCommands } from './commands/store.js';
import { EXIT_USAGE } from './exit-codes.js';
import { EXTENSION_COMMANDS } from './program/extension-commands.js';
import { type CommandDeclarations, zodForCli } from './program/lazy.js';
import { SERVICE_COMMANDS } from './program/service-commands.js';
import { SETUP_COMMANDS } from './program/setup-commands.js';
import { WORKSPACE_COMMANDS } from './program/workspace-commands.js';
import { VERSION } from './version.js';

/**
 * The program's top-level commands, by group, in the order of `oxydra --help`. A command line
 * that names one (`oxydra run ...`) declares only that command; anything else (no command,
 * `--help`, `help`, a mistyped command that wants a suggestion, `completion`, which prints the
 * whole tree) declares them all, and `--version` alone none. The groups are imported statically:
 * their modules only define functions, and in the bundle a chunk per group would cost `--help`
 * five more files to read.
 */
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

/**
 * `oxydra sessions list | head -1`: when the reader goes away, the next write fails with EPIPE.
 * That is the reader's choice, not a failure: exit 0 at once and quietly, as `git log | head`
 * does, instead of an unhandled 'error' event and a stack trace.
 */
function exitQuietlyOnBrokenPipe(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EPIPE') process.exit(0);
      throw error;
    });
  }
}

/**
 * The program for this command line: the root and the commands it needs (declarationsFor: the
 * command it names, or all of them for help, suggestions and completion). Without argv, all.
 */
export function buildProgram(argv: readonly string[] = []): Command {
  const program = new Command('oxydra')
    .description('Oxydra: a local-first, secure-by-default AI agent orchestrator')
    .version(VERSION, '-V, --version', 'print the version')
    .helpOption('-h, --help', 'show help')
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({ outputError: (text, write) => write(text) })
    .option('--trust', "trust this workspace's .oxydra/ settings for this one command (see `oxydra trust`)")
    .hook('preAction', async (root) => {
      if (root.opts().trust) (await import('./run/load-config.js')).setTrustFlag(true);
    });

  for (const declare of declarationsFor(argv)) declare(program);

  return program;
}

/**
 * Makes the user's local key when it is missing. The launcher's code cache (bin/code-cache.cjs)
 * authenticates what it writes with that key and calls this once the command has run: loaded
 * then, so `--help` and friends load none of @oxydra/config before they are done.
 */
export async function ensureLocalKey(): Promise<void> {
  (await import('@oxydra/config')).localSecretKey();
}

/**
 * `oxydra help X` is `oxydra X --help`, and a mistyped X is named: commander's own `help`
 * printed the whole help (exit 2) without a word on what was wrong. An X that is no command is
 * left alone (`oxydra X`), so it gets "unknown command" and its "Did you mean" (exit 2).
 */
function helpAsFlag(argv: readonly string[]): readonly string[] {
  if (argv[0] !== 'help' || argv.length < 2) return argv;
  const known = COMMAND_GROUPS.some((group) => Object.hasOwn(group, argv[1]!));
  return known ? [...argv.slice(1), '--help'] : argv.slice(1);
}

export async function main(commandLine: readonly string[]): Promise<void> {
  exitQuietlyOnBrokenPipe();
  const argv = helpAsFlag(commandLine);
  commandLine[0] === 'help' && commandLine.length > 1 ? [...commandLine.slice(1), '--help'] : commandLine;
  if (Object.keys(process.env).some((name) => name.startsWith('OXYDRA_') && !name.startsWith('OXYDRA__'))) {
    await zodForCli();
    const { warnAboutMisnamedVariables } = await import('./run/load-config.js');
    warnAboutMisnamedVariables(process.env, process.stderr);
  }
  const program = buildProgram(argv);
  try {
    await program.parseAsync([...argv], { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version end with exit code 0; any other commander error is a usage mistake.
      process.exitCode = error.exitCode === 0 ? 0 : EXIT_USAGE;
      if (error.exitCode === 0) return;
      // Loaded only on a usage mistake: every command's start would pay for it otherwise.
      const { usageHint } = await import('./program/usage-hint.js');
      const hint = usageHint(error, program, argv);
      if (hint) process.stderr.write(hint);
      return;
    }
    const { reportError } = await import('./exit.js');
    process.exitCode = reportError(error);
  }
}
