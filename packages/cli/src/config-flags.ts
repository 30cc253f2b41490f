/** The configuration flags several commands share: --provider, --model, --base-url, --store, --set. */
import type { CliConfigOverrides, Override } from '@oxydra/config';
import type { Command } from 'commander';
import { many } from './program/repeat.js';

export interface ConfigFlagValues {
  provider?: string;
  model?: string;
  baseUrl?: string;
  /** `libsql`, or a postgres:// URL without a password: [store] backend (and url). */
  store?: string;
  set?: string[];
}

/** --store: which store backend, over [store] (commands that open the stores, e.g. `sessions`, take it alone). */
export function addStoreFlag(command: Command): Command {
  return command.option(
    '--store <postgres://…|libsql>',
    'where sessions, notes and kernel state live (overrides [store]); a URL with a password is refused: use OXYDRA_STORE_URL',
  );
}

export function addConfigFlags(command: Command): Command {
  command
    .option('--provider <name>', 'provider registry entry to use (overrides [selection] provider)')
    .option('--model <id>', 'model to use (overrides [selection] model)')
    .option('--base-url <url>', "base URL of the selected provider's API (e.g. http://localhost:11434/v1)");
  return addStoreFlag(command).option(
    '--set <key=value>',
    'override any config key, e.g. --set runtime.max_turns=12 (repeatable)',
    // No default: commander would print it in --help as "(default: [])".
    many,
  );
}

/** Turn parsed flags into loader overrides. Imports the config package lazily to keep --help fast. */
export async function toCliOverrides(flags: ConfigFlagValues): Promise<CliConfigOverrides> {
  const { parseSetFlag } = await import('@oxydra/config');
  const overrides: CliConfigOverrides = {
    set: [...(flags.set ?? []).map(parseSetFlag), ...(await storeFlagOverrides(flags.store))],
  };
  if (flags.provider !== undefined) overrides.provider = flags.provider;
  if (flags.model !== undefined) overrides.model = flags.model;
  if (flags.baseUrl !== undefined) overrides.baseUrl = flags.baseUrl;
  return overrides;
}

/**
 * `--store libsql` or `--store postgres://…`, as [store] overrides validated like the file's keys.
 * A value that is neither a backend nor a postgres:// URL (`--store nope`, `--store sqlite://x`) is refused here,
 * naming all three forms: taken as a URL, it was refused for not being a postgres:// one, which
 * never said that `libsql` was the word the user wanted.
 */
async function storeFlagOverrides(store: string | undefined): Promise<Override[]> {
  if (store === undefined) return [];
  const source = '--store';
  if (store === 'libsql') return [{ path: ['store', 'backend'], raw: 'libsql', source }];
  if (store === 'postgres') return [{ path: ['store', 'backend'], raw: 'postgres', source }];
  if (!/^postgres(ql)?:\/\//.test(store)) {
    const { UsageError } = await import('@oxydra/types');
    // Another scheme's URL may carry its password (mysql://me:secret@db): only the scheme is said.
    const scheme = /^([A-Za-z][\w+.-]*):\/\//.exec(store)?.[1];
    const shown = scheme === undefined ? JSON.stringify(store) : `${scheme}://…`;
    throw new UsageError(
      `--store ${shown} is not a store: use --store libsql (the embedded file, the default), --store postgres (its URL in $OXYDRA_STORE_URL) or --store postgres://user@host:5432/database`,
    );
  }
  // A URL, refused by [store] url's own rule when it holds a password.
  return [
    { path: ['store', 'backend'], raw: 'postgres', source },
    { path: ['store', 'url'], raw: store, source },
  ];
}

/** The flags of commands that run an agent (`run`, `chat`), on top of the config flags. */
export function addRunFlags(command: Command): Command {
  return addConfigFlags(command)
    .option('--agent <name>', 'use an [agents.<name>] definition (prompt, tools, model, budgets)')
    .option('--max-turns <n>', 'model calls allowed in the run (overrides runtime.max_turns)')
    .option('--max-cost <usd>', 'dollar budget for the run (overrides runtime.max_cost)')
    .option('--timeout <seconds>', 'wall-clock limit for the whole run')
    .option('--tools <names>', 'comma-separated tools the agent may use (default: all)')
    .option('--system <text|@file>', "the agent's instructions, added to the default system prompt")
    .option('--yes', 'approve privileged tools (shell_exec) for this run without asking')
    .option(
      '--session <id>',
      'continue this session (short or full id; created if new); see `oxydra sessions list`',
    )
    .option(
      '--sandbox <mode>',
      'shell_exec isolation: auto (default), bubblewrap or sandbox_exec (macOS) required, or none (with a warning)',
    );
}
