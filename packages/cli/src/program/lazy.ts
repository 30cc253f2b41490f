/** How a declared command runs: its module imported only then, its exit code the process's. */
import type { Command } from 'commander';

type Runner = (...args: never[]) => Promise<number>;

/** Zod set up for a CLI process; awaited before any module that builds schemas (see zod-mode.ts). */
export const zodForCli = () => import('../zod-mode.js');

/** Wrap a lazily imported command so its exit code becomes the process's (130 after Ctrl+C: run/interrupted.ts sets it as the process exits). */
export function lazy<M extends Record<string, unknown>>(load: () => Promise<M>, name: keyof M) {
  return async (...args: unknown[]) => {
    await zodForCli();
    const module = await load();
    const run = module[name] as unknown as (...a: unknown[]) => ReturnType<Runner>;
    process.exitCode = await run(...args);
  };
}

/**
 * A group's top-level commands, each declared by its own function (with its subcommands, flags
 * and help), in the order of `oxydra --help`: main.ts runs only the one a command line
 * names.
 */
export type CommandDeclarations = Readonly<Record<string, (program: Command) => void>>;
