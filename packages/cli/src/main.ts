/**
 * The `oxydra` program: the root command and its global flags, the command groups (program/*:
 * declared with their flags and help text only; each implementation is imported when it runs,
 * so `--help` loads no heavy modules), and the entry point.
 */
import { Command, CommanderError } from 'commander';
import { exitQuietlyOnBrokenPipe } from './broken-pipe.js';
import { EXIT_USAGE } from './exit-codes.js';
import { declarationsFor } from './program/groups.js';
import { zodForCli } from './program/lazy.js';
import { VERSION } from './version.js';

/**
 * The program for this command line: the root and the commands it needs (program/groups.ts: the
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
      if (root.opts().trust) (await import('./run/trust-flag.js')).setTrustFlag(true);
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

export async function main(argv: readonly string[]): Promise<void> {
  exitQuietlyOnBrokenPipe();
  if (Object.keys(process.env).some((name) => name.startsWith('OXYDRA_') && !name.startsWith('OXYDRA__'))) {
    await zodForCli();
    const { warnAboutMisnamedVariables } = await import('./env-warnings.js');
    warnAboutMisnamedVariables(process.env, process.stderr);
  }
  const program = buildProgram(argv);
  try {
    await program.parseAsync([...argv], { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version end with exit code 0; any other commander error is a usage mistake.
      process.exitCode = error.exitCode === 0 ? 0 : EXIT_USAGE;
      return;
    }
    const { reportError } = await import('./exit.js');
    process.exitCode = reportError(error);
  }
}
