/** The configuration flags several commands share: --provider, --model, --base-url, --set. */
import type { CliConfigOverrides } from '@oxydra/config';
import type { Command } from 'commander';

export interface ConfigFlagValues {
  provider?: string;
  model?: string;
  baseUrl?: string;
  set?: string[];
}

export function addConfigFlags(command: Command): Command {
  return command
    .option('--provider <name>', 'provider registry entry to use (overrides [selection] provider)')
    .option('--model <id>', 'model to use (overrides [selection] model)')
    .option('--base-url <url>', "base URL of the selected provider's API (e.g. http://localhost:11434/v1)")
    .option(
      '--set <key=value>',
      'override any config key, e.g. --set runtime.max_turns=12 (repeatable)',
      collect,
      [],
    );
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** Turn parsed flags into loader overrides. Imports the config package lazily to keep --help fast. */
export async function toCliOverrides(flags: ConfigFlagValues): Promise<CliConfigOverrides> {
  const { parseSetFlag } = await import('@oxydra/config');
  const overrides: CliConfigOverrides = { set: (flags.set ?? []).map(parseSetFlag) };
  if (flags.provider !== undefined) overrides.provider = flags.provider;
  if (flags.model !== undefined) overrides.model = flags.model;
  if (flags.baseUrl !== undefined) overrides.baseUrl = flags.baseUrl;
  return overrides;
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
      'shell_exec isolation: auto (default), bubblewrap (required) or none (with a warning)',
    );
}
