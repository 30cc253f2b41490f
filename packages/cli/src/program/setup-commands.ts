/**
 * Configuration, trust and the first commands a user runs: config, trust, init, doctor, run,
 * chat, demo.
 * Declared here with their flags and help text only; each implementation is imported when it
 * runs (lazy), so `--help` loads no heavy module. One function per command: a command line
 * that names one declares it alone (main.ts).
 */
import { addConfigFlags, addRunFlags } from '../config-flags.js';
import { type CommandDeclarations, lazy } from './lazy.js';
import { many } from './repeat.js';

export const SETUP_COMMANDS: CommandDeclarations = {
  config(program) {
    const config = program.command('config').description('inspect, check and change the configuration');
    addConfigFlags(
      config
        .command('show')
        .description('print the effective merged configuration, every secret masked')
        .option('--json', 'print JSON instead of TOML')
        .option('--sources', 'annotate each key with the file or variable that set it'),
    ).action(lazy(() => import('../commands/config-show.js'), 'runConfigShow'));
    addConfigFlags(
      config
        .command('validate')
        .description('check the configuration (or one file) and report every problem')
        .option(
          '--file <path>',
          'validate this file alone (agent.toml, providers.toml, runner.toml or users/<id>.toml)',
        ),
    ).action(lazy(() => import('../commands/config-validate.js'), 'runConfigValidate'));
    config
      .command('get')
      .description('print one key of the effective configuration (secrets masked)')
      .argument('<key>', 'a dotted key path, e.g. runtime.max_turns or selection')
      .option('--json', 'print JSON')
      .action(lazy(() => import('../commands/config-edit.js'), 'runConfigGet'));
    config
      .command('set')
      .description(
        "set one key in the workspace's .oxydra/agent.toml (--user: ~/.config/oxydra/agent.toml), keeping its comments; checked before it is written",
      )
      .argument('<key>', 'a dotted key path, e.g. runtime.max_turns')
      .argument(
        '<value>',
        'the value, as for --set (a number, true/false, a string, or TOML such as ["a", "b"])',
      )
      .option('--user', "write the user's configuration instead of the workspace's")
      .action(lazy(() => import('../commands/config-edit.js'), 'runConfigSet'));
    config
      .command('unset')
      .description(
        "remove one key from the workspace's .oxydra/agent.toml (--user: the user's), keeping the rest",
      )
      .argument('<key>', 'a dotted key path')
      .option('--user', "edit the user's configuration instead of the workspace's")
      .action(lazy(() => import('../commands/config-edit.js'), 'runConfigUnset'));
    config
      .command('path')
      .description('list the configuration files Oxydra reads, in precedence order, and which exist')
      .option('--json', 'print JSON')
      .action(lazy(() => import('../commands/config-path.js'), 'runConfigPath'));
  },
  trust(program) {
    program
      .command('trust')
      .description(
        "review the settings of a workspace's .oxydra/ that run code, route keys or weaken isolation, and trust them",
      )
      .argument('[path]', 'the workspace (default: the one this folder belongs to)')
      .option('--yes', 'trust without asking (shows what is trusted)')
      .option('--revoke', 'take the trust back: those settings are held back again')
      .option('--list', 'list every workspace you trusted or declined')
      .option(
        '--adopt-state',
        "record the workspace's kernel.db, memory.db and checkpoints.git as yours (made by an earlier Oxydra, or moved back after being set aside)",
      )
      .option('--json', 'with --list: print JSON')
      .action(lazy(() => import('../commands/trust.js'), 'runTrust'));
  },
  init(program) {
    program
      .command('init')
      .description(
        'write a commented .oxydra/agent.toml in the current directory; in a terminal without flags it asks for provider, model and key',
      )
      .option('--provider <name>', 'provider to select (default: openai)')
      .option('--model <id>', 'model to select (default: a small model of the provider)')
      .option(
        '--base-url <url>',
        'use a local OpenAI-compatible server (Ollama, vLLM, LM Studio...) at this URL',
      )
      .option(
        '--api-key-env <name>',
        "the environment variable holding the provider's key (needed for a --base-url server that wants one)",
      )
      .option('--force', 'overwrite an existing .oxydra/agent.toml')
      .option('-y, --yes', 'ask nothing: write what the flags and defaults say')
      .option('--no-input', 'ask nothing (as --yes)')
      .action(lazy(() => import('../commands/init.js'), 'runInit'));
  },
  doctor(program) {
    addConfigFlags(
      program
        .command('doctor')
        .description(
          'check Node, configuration, credentials, that the model servers answer, write access and the sandbox; never prints a secret',
        )
        .option('--json', 'print JSON'),
    ).action(lazy(() => import('../commands/doctor.js'), 'runDoctor'));
  },
  run(program) {
    addRunFlags(
      program
        .command('run')
        .description('run one agent in the current directory (its workspace) until the task is done')
        .argument('<prompt...>', 'what to do; "-" reads it from stdin'),
    )
      .option('--json', 'print every event as a JSON line; the last is run_completed or run_failed')
      .option(
        '--spec',
        'spec-first: crystallize goal, constraints and acceptance criteria, run, check each, retry (docs/spec-runs.md)',
      )
      .option(
        '--criterion <criterion>',
        'an acceptance criterion ("test: <command>", "file: <path> exists", "json-schema: <file> <schema>", or text); repeatable, implies --spec',
        many,
      )
      .option('--constraint <text>', 'a constraint the work must keep; repeatable, implies --spec', many)
      .option(
        '--split',
        'spec run: each criterion is independent work; with 3 or more, they run in sub-agents one by one; implies --spec',
      )
      .option('--max-attempts <n>', 'spec run: attempts before giving up (default 3)')
      .option('--exit-code', 'spec run: exit 0 only when every criterion passed, 1 when the attempts ran out')
      .action(lazy(() => import('../commands/run.js'), 'runRun'));
  },
  chat(program) {
    addRunFlags(
      program.command('chat').description('talk with an agent in the terminal (multi-turn, streamed)'),
    ).action(lazy(() => import('../commands/chat.js'), 'runChat'));
  },
  demo(program) {
    program
      .command('demo')
      .description('watch the agent loop do a real multi-step task with a scripted model: no API key needed')
      .option('--keep', 'keep the temporary workspace afterwards')
      .option('--json', 'print the event stream as JSON lines')
      .action(lazy(() => import('../commands/demo.js'), 'runDemo'));
  },
};
