/**
 * The `oxydra` program. Commands are declared here with their flags and help text only;
 * each one's implementation is imported when it runs, so `--help` loads no heavy modules.
 */
import { Command, CommanderError, Option } from 'commander';
import { exitQuietlyOnBrokenPipe } from './broken-pipe.js';
import { addConfigFlags, addRunFlags } from './config-flags.js';
import { EXIT_USAGE } from './exit-codes.js';
import { VERSION } from './version.js';

type Runner = (...args: never[]) => Promise<number>;

/** Zod set up for a CLI process; awaited before any module that builds schemas (see zod-mode.ts). */
const zodForCli = () => import('./zod-mode.js');

/** Wrap a lazily imported command so its exit code becomes the process's. */
function lazy<M extends Record<string, unknown>>(load: () => Promise<M>, name: keyof M) {
  return async (...args: unknown[]) => {
    await zodForCli();
    const module = await load();
    const run = module[name] as unknown as (...a: unknown[]) => ReturnType<Runner>;
    process.exitCode = await run(...args);
  };
}

export function buildProgram(): Command {
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

  const config = program.command('config').description('inspect, check and change the configuration');
  addConfigFlags(
    config
      .command('show')
      .description('print the effective merged configuration, every secret masked')
      .option('--json', 'print JSON instead of TOML')
      .option('--sources', 'annotate each key with the file or variable that set it'),
  ).action(lazy(() => import('./commands/config-show.js'), 'runConfigShow'));
  addConfigFlags(
    config
      .command('validate')
      .description('check the configuration (or one file) and report every problem')
      .option(
        '--file <path>',
        'validate this file alone (agent.toml, providers.toml, runner.toml or users/<id>.toml)',
      ),
  ).action(lazy(() => import('./commands/config-validate.js'), 'runConfigValidate'));
  config
    .command('get')
    .description('print one key of the effective configuration (secrets masked)')
    .argument('<key>', 'a dotted key path, e.g. runtime.max_turns or selection')
    .option('--json', 'print JSON')
    .action(lazy(() => import('./commands/config-edit.js'), 'runConfigGet'));
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
    .action(lazy(() => import('./commands/config-edit.js'), 'runConfigSet'));
  config
    .command('unset')
    .description(
      "remove one key from the workspace's .oxydra/agent.toml (--user: the user's), keeping the rest",
    )
    .argument('<key>', 'a dotted key path')
    .option('--user', "edit the user's configuration instead of the workspace's")
    .action(lazy(() => import('./commands/config-edit.js'), 'runConfigUnset'));
  config
    .command('path')
    .description('list the configuration files Oxydra reads, in precedence order, and which exist')
    .option('--json', 'print JSON')
    .action(lazy(() => import('./commands/config-path.js'), 'runConfigPath'));

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
    .action(lazy(() => import('./commands/trust.js'), 'runTrust'));

  program
    .command('init')
    .description('write a commented .oxydra/agent.toml in the current directory')
    .addOption(new Option('--provider <name>', 'provider to select').default('openai'))
    .option('--model <id>', 'model to select (default: a small model of the provider)')
    .option(
      '--base-url <url>',
      'use a local OpenAI-compatible server (Ollama, vLLM, LM Studio...) at this URL',
    )
    .option('--force', 'overwrite an existing .oxydra/agent.toml')
    .action(lazy(() => import('./commands/init.js'), 'runInit'));

  addConfigFlags(
    program
      .command('doctor')
      .description(
        'check Node, configuration, credentials, that the model servers answer, write access and the sandbox; never prints a secret',
      )
      .option('--json', 'print JSON'),
  ).action(lazy(() => import('./commands/doctor.js'), 'runDoctor'));

  addRunFlags(
    program
      .command('run')
      .description('run one agent in the current directory (its workspace) until the task is done')
      .argument('<prompt...>', 'what to do; "-" reads it from stdin'),
  )
    .option('--json', 'print every event as a JSON line; the last is run_completed or run_failed')
    .action(lazy(() => import('./commands/run.js'), 'runRun'));

  addRunFlags(
    program.command('chat').description('talk with an agent in the terminal (multi-turn, streamed)'),
  ).action(lazy(() => import('./commands/chat.js'), 'runChat'));

  program
    .command('demo')
    .description('watch the agent loop do a real multi-step task with a scripted model: no API key needed')
    .option('--keep', 'keep the temporary workspace afterwards')
    .option('--json', 'print the event stream as JSON lines')
    .action(lazy(() => import('./commands/demo.js'), 'runDemo'));

  const sessions = program.command('sessions').description('the conversations stored in this workspace');
  sessions
    .command('list')
    .description('sessions, most recently active first')
    .option('--limit <n>', 'how many (default 50)')
    .option('--json', 'print JSON')
    .action(lazy(() => import('./commands/sessions.js'), 'runSessionsList'));
  sessions
    .command('show')
    .description("a session's transcript (Markdown; --json for JSON lines)")
    .argument('<id>', 'session id: the short id `sessions list` shows, or the full id')
    .option('--json', 'print JSON lines')
    .action(lazy(() => import('./commands/sessions.js'), 'runSessionsShow'));
  sessions
    .command('delete')
    .description('delete a session and everything stored with it')
    .argument('<id>', 'session id: the short id `sessions list` shows, or the full id')
    .action(lazy(() => import('./commands/sessions.js'), 'runSessionsDelete'));
  sessions
    .command('export')
    .description('export a session as JSON lines or Markdown')
    .argument('<id>', 'session id: the short id `sessions list` shows, or the full id')
    .option('--format <format>', 'jsonl (default) or md')
    .option('--output <file>', 'write to a file instead of stdout')
    .action(lazy(() => import('./commands/sessions.js'), 'runSessionsExport'));
  sessions
    .command('replay')
    .description(
      'run a session again against its recorded model replies, offline, and compare the tool calls, results and final text (exit 1 when they differ)',
    )
    .argument('<id>', 'session id: the short id `sessions list` shows, or the full id')
    .option(
      '--in-place',
      'run the tools in the workspace itself (default: a scratch copy, removed afterwards)',
    )
    .option('--keep', 'keep the scratch copy and print where it is')
    .option(
      '--cassette <file>',
      'also write the recorded replies as a testkit scenario (oxydra mock-llm --scenario)',
    )
    .option('--json', 'print the report as JSON')
    .action(lazy(() => import('./commands/sessions-replay.js'), 'runSessionsReplay'));

  const audit = program
    .command('audit')
    .description('the tamper-evident record of what agents did here (a BLAKE3 hash chain)');
  audit
    .command('list')
    .description('audit entries, oldest first (the newest 100 unless --limit or --json)')
    .option('--agent <id>', "only this agent's entries")
    .option('--since <when>', 'only entries since an ISO time or a duration ago (90m, 24h, 7d)')
    .option(
      '--type <type>',
      'only this action type (tool_call, tool_result, approval, egress, agent_spawn, ...)',
    )
    .option('--limit <n>', 'the newest n entries')
    .option('--json', 'print JSON')
    .action(lazy(() => import('./commands/audit.js'), 'runAuditList'));
  audit
    .command('verify')
    .description('check every entry and link of the chain and that it reaches every recorded head')
    .option('--head <seq:hash>', "also check a head recorded elsewhere (a run's audit_head)")
    .option('--json', 'print the report as JSON')
    .action(lazy(() => import('./commands/audit.js'), 'runAuditVerify'));
  audit
    .command('export')
    .description('the whole chain as JSON lines (each entry verifiable on its own)')
    .option('--output <file>', 'write to a file instead of stdout')
    .action(lazy(() => import('./commands/audit.js'), 'runAuditExport'));

  const budget = program
    .command('budget')
    .description('spending caps per user and agent, and what was spent against them');
  budget
    .command('show')
    .description("each user's and agent's spend today and this month, against its caps")
    .option('--json', 'print JSON')
    .action(lazy(() => import('./commands/budget.js'), 'runBudgetShow'));
  budget
    .command('set')
    .description('set caps for a user or an agent ("none" removes one: the configuration applies)')
    .option('--user <id>', 'the user ("local" when running from a terminal)')
    .option('--agent <name>', 'the agent ("default" for the top-level one)')
    .option('--daily <usd>', 'dollars per UTC day')
    .option('--monthly <usd>', 'dollars per UTC month')
    .option('--tokens <n>', "model tokens per window (an agent's)")
    .option('--calls <n>', "model calls per window (an agent's)")
    .action(lazy(() => import('./commands/budget.js'), 'runBudgetSet'));
  budget
    .command('reset')
    .description("forget a user's or agent's spend in the current day, month and window")
    .option('--user <id>', 'the user')
    .option('--agent <name>', 'the agent')
    .action(lazy(() => import('./commands/budget.js'), 'runBudgetReset'));

  program
    .command('costs')
    .description('what the agents spent, from the usage log: by UTC day, agent, model, user or session')
    .option('--by <group>', 'day (default, UTC), agent, model, user or session')
    .option('--since <when>', 'only calls since an ISO date/time or a duration ago (24h, 7d)')
    .option('--until <when>', 'only calls before an ISO date/time or a duration ago')
    .option('--user <id>', 'only this user\'s calls ("local" from a terminal)')
    .option('--json', 'print JSON')
    .action(lazy(() => import('./commands/costs.js'), 'runCosts'));

  program
    .command('undo')
    .description('put the files the last run (or --run ID) changed back as they were before it')
    .option('--run <id>', 'the run to undo (see `oxydra checkpoints list`)')
    .option(
      '--force',
      "undo even over the run's files changed again since (the current state is saved first)",
    )
    .option('--json', 'print JSON')
    .action(lazy(() => import('./commands/checkpoints.js'), 'runUndo'));
  const checkpoints = program
    .command('checkpoints')
    .description('the snapshots taken before and after each run that changed the workspace');
  checkpoints
    .command('list')
    .description('runs that changed the workspace, newest first, with their checkpoints')
    .option('--limit <n>', 'how many (default 20)')
    .option('--json', 'print JSON')
    .action(lazy(() => import('./commands/checkpoints.js'), 'runCheckpointsList'));
  checkpoints
    .command('diff')
    .description(
      'what a run changed, or what differs between two checkpoints or a checkpoint and the workspace now, as a diff',
    )
    .argument('<from>', 'a run id (its own changes), or a checkpoint id (or prefix) or tag')
    .argument('[to]', "another checkpoint; default: the run's end, or the workspace now")
    .option('--stat', 'only the changed paths and how each changed')
    .option('--json', 'print JSON (the paths, and the diff unless --stat)')
    .action(lazy(() => import('./commands/checkpoints.js'), 'runCheckpointsDiff'));
  checkpoints
    .command('restore')
    .description('put the workspace back as it was at a checkpoint (the current state is saved first)')
    .argument('<ref>', 'a checkpoint id (or prefix) or tag')
    .option('--json', 'print JSON')
    .action(lazy(() => import('./commands/checkpoints.js'), 'runCheckpointsRestore'));
  checkpoints
    .command('tag')
    .description('name a checkpoint')
    .argument('<name>', 'the tag')
    .argument('[ref]', 'the checkpoint; default the latest')
    .action(lazy(() => import('./commands/checkpoints.js'), 'runCheckpointsTag'));

  const token = program
    .command('token')
    .description('gateway tokens bound to a user and a role (user, operator, admin)');
  token
    .command('add')
    .description('make a token (printed once)')
    .option('--user <id>', 'the user it acts as')
    .option(
      '--role <role>',
      'user (default): only its user; operator: any user; admin: also budgets and audit',
    )
    .option('--label <text>', 'what it is for')
    .action(lazy(() => import('./commands/token.js'), 'runTokenAdd'));
  token
    .command('list')
    .description('tokens, their users and roles (never the secrets)')
    .option('--json', 'print JSON')
    .action(lazy(() => import('./commands/token.js'), 'runTokenList'));
  token
    .command('revoke')
    .description('refuse a token from now on')
    .argument('<id>', 'the id `token list` shows')
    .action(lazy(() => import('./commands/token.js'), 'runTokenRevoke'));

  const approvals = program
    .command('approvals')
    .description(
      'admin operations asked for over the gateway that wait for you (raising a spending cap, an admin token)',
    );
  approvals
    .command('list')
    .description('requests waiting for a decision')
    .option('--all', 'every request, decided and expired ones too')
    .option('--json', 'print JSON')
    .action(lazy(() => import('./commands/approvals.js'), 'runApprovalsList'));
  approvals
    .command('approve')
    .description('carry a request out (audited)')
    .argument('<id>', 'the id `approvals list` shows')
    .action(lazy(() => import('./commands/approvals.js'), 'runApprovalsApprove'));
  approvals
    .command('reject')
    .description('refuse a request (a requested token is revoked; audited)')
    .argument('<id>', 'the id `approvals list` shows')
    .option('--reason <text>', 'why, for the record')
    .action(lazy(() => import('./commands/approvals.js'), 'runApprovalsReject'));

  const persona = program
    .command('persona')
    .description("personas: character files (JSON or TOML) that shape an agent's system prompt");
  const many = (value: string, previous: string[] = []) => [...previous, value];
  const personaFields = (command: Command) =>
    command
      .option('--from <file>', 'a character file (.json or .toml: ZoeyOS or ElizaOS format)')
      .option('--display-name <text>', "the character's name (default: the persona name)")
      .option('--username <text>', 'its handle')
      .option('--system <text>', 'its own instructions, placed in the persona text')
      .option('--bio <text>', 'a line of its bio (repeatable; replaces the list)', many)
      .option('--lore <text>', 'a line of its background (repeatable)', many)
      .option('--knowledge <text>', 'a fact it knows (repeatable)', many)
      .option('--topic <text>', 'a topic it knows well (repeatable)', many)
      .option('--adjective <text>', 'a word describing it (repeatable)', many)
      .option('--style <text>', 'a style rule for everything it writes (repeatable)', many)
      .option('--chat-style <text>', 'a style rule for conversations (repeatable)', many);
  persona
    .command('list')
    .description('the personas of this workspace and of your user folder (* the active one)')
    .option('--json', 'print JSON')
    .action(lazy(() => import('./commands/persona.js'), 'runPersonaList'));
  persona
    .command('show')
    .description('a persona: its file and the text it puts in the system prompt')
    .argument('<name>', 'the persona')
    .option('--json', 'print JSON')
    .action(lazy(() => import('./commands/persona.js'), 'runPersonaShow'));
  personaFields(
    persona
      .command('create')
      .description('store a persona, from a character file or from the flags')
      .argument('<name>', 'its name: lower-case letters, digits, - and _')
      .option('--user', 'in your user folder (every workspace) instead of this workspace'),
  ).action(lazy(() => import('./commands/persona.js'), 'runPersonaCreate'));
  personaFields(
    persona
      .command('update')
      .description('replace a persona with --from <file>, or set the fields the flags give')
      .argument('<name>', 'the persona'),
  ).action(lazy(() => import('./commands/persona.js'), 'runPersonaUpdate'));
  persona
    .command('delete')
    .description("remove a persona's file (the workspace's when both folders have one)")
    .argument('<name>', 'the persona')
    .option('--user', 'remove the one in your user folder')
    .action(lazy(() => import('./commands/persona.js'), 'runPersonaDelete'));
  persona
    .command('use')
    .description("make a persona the default agent's (unless the configuration sets persona)")
    .argument('[name]', 'the persona')
    .option('--none', 'no active persona')
    .action(lazy(() => import('./commands/persona.js'), 'runPersonaUse'));

  const plugins = program
    .command('plugins')
    .description('plugins ([plugins.load]): tools, context providers, evaluators, services, event handlers');
  addConfigFlags(
    plugins
      .command('list')
      .description('the loaded plugins, in load order, with their health')
      .option('--json', 'print JSON'),
  ).action(lazy(() => import('./commands/plugins.js'), 'runPluginsList'));
  addConfigFlags(
    plugins
      .command('info')
      .description("one plugin's parts, dependencies, file and health")
      .argument('<name>', 'the plugin')
      .option('--json', 'print JSON'),
  ).action(lazy(() => import('./commands/plugins.js'), 'runPluginsInfo'));

  const mcp = program
    .command('mcp')
    .description('MCP: the servers of [mcp.servers] whose tools agents use (<server>__<tool>)');
  addConfigFlags(
    mcp
      .command('list')
      .description('the configured MCP servers: transport, connection state, tool counts')
      .option('--json', 'print JSON'),
  ).action(lazy(() => import('./commands/mcp.js'), 'runMcpList'));
  addConfigFlags(
    mcp
      .command('tools')
      .description("the servers' tools as agents see them: name, safety tier, description")
      .argument('[server]', 'only this server')
      .option('--json', "print JSON (with each tool's parameters schema)"),
  ).action(lazy(() => import('./commands/mcp.js'), 'runMcpTools'));
  addConfigFlags(
    mcp
      .command('call')
      .description('run one tool of a server directly, for debugging (no agent, no approval)')
      .argument('<server>', 'the [mcp.servers] name')
      .argument('<tool>', "the tool: the server's name for it, or <server>__<tool>")
      .argument('[json-args]', 'its arguments as a JSON object (default {})')
      .option('--json', 'print the result as one line of JSON'),
  ).action(lazy(() => import('./commands/mcp.js'), 'runMcpCall'));
  addConfigFlags(
    mcp
      .command('serve')
      .description(
        'Oxydra as an MCP server on stdio (run_agent, memory_search, memory_save, sessions_list, session_transcript)',
      )
      .option(
        '--workspace <dir>',
        'the project folder to serve (default: the current one), for clients that start servers elsewhere',
      ),
  ).action(lazy(() => import('./commands/mcp-serve.js'), 'runMcpServe'));

  const schedule = program
    .command('schedule')
    .description('agents that run on their own: cron, interval and one-time schedules ([scheduler])');
  schedule
    .command('add')
    .description('schedule a prompt; exactly one of --cron, --every, --at')
    .argument('<prompt...>', 'what the agent does at each run')
    .option('--cron <expr>', 'cron expression, e.g. "0 9 * * 1-5" (minute hour day month weekday)')
    .option('--every <duration>', 'an interval, e.g. 30m, 2h, 1d')
    .option('--at <time>', 'one time, e.g. 2026-12-01T09:00 (in --tz)')
    .option('--tz <zone>', "IANA time zone (default: [scheduler] default_timezone, else this machine's)")
    .option('--name <name>', 'a name to refer to it by')
    .option('--agent <name>', 'the [agents.<name>] that runs it (default: the default agent)')
    .option('--user <id>', 'the user it runs as: their budgets, sessions, notifications (default "default")')
    .option('--json', 'print JSON')
    .action(lazy(() => import('./commands/schedule.js'), 'runScheduleAdd'));
  schedule
    .command('list')
    .description('schedules, their timing and next run')
    .option('--user <id>', "only this user's")
    .option('--json', 'print JSON')
    .action(lazy(() => import('./commands/schedule.js'), 'runScheduleList'));
  schedule
    .command('show')
    .description('one schedule in full, with its last run')
    .argument('<schedule>', 'id or name')
    .option('--json', 'print JSON')
    .action(lazy(() => import('./commands/schedule.js'), 'runScheduleShow'));
  schedule
    .command('pause')
    .description('stop firing it (kept, with its history)')
    .argument('<schedule>', 'id or name')
    .action(lazy(() => import('./commands/schedule.js'), 'runSchedulePause'));
  schedule
    .command('resume')
    .description('fire it again, from now (clears its failure count)')
    .argument('<schedule>', 'id or name')
    .action(lazy(() => import('./commands/schedule.js'), 'runScheduleResume'));
  schedule
    .command('rm')
    .alias('delete')
    .description('delete it and its run history')
    .argument('<schedule>', 'id or name')
    .action(lazy(() => import('./commands/schedule.js'), 'runScheduleRemove'));
  schedule
    .command('history')
    .description('its runs, newest first: status, duration, turns, cost')
    .argument('<schedule>', 'id or name')
    .option('--limit <n>', 'runs to show (default 20)')
    .option('--output', "print each run's answer")
    .option('--json', 'print JSON')
    .action(lazy(() => import('./commands/schedule.js'), 'runScheduleHistory'));
  addConfigFlags(
    schedule
      .command('run-now')
      .description('run it now, here, recorded as a manual run (the answer on stdout)')
      .argument('<schedule>', 'id or name'),
  ).action(lazy(() => import('./commands/schedule.js'), 'runScheduleRunNow'));
  const scheduler = program.command('scheduler').description('the service that fires schedules');
  addConfigFlags(
    scheduler
      .command('run')
      .description(
        'fire due schedules in the foreground until Ctrl+C (what `oxydra gateway` does with [scheduler] enabled)',
      ),
  ).action(lazy(() => import('./commands/scheduler-run.js'), 'runSchedulerRun'));

  const skills = program
    .command('skills')
    .description(
      'Agent Skills (SKILL.md folders) agents load by name: workspace, user, [skills] dirs, programs, bundled',
    );
  addConfigFlags(
    skills
      .command('list')
      .description('every skill agents may be offered, where it comes from, its description')
      .option('--json', 'print JSON'),
  ).action(lazy(() => import('./commands/skills.js'), 'runSkillsList'));
  addConfigFlags(
    skills
      .command('show')
      .description('one skill: where it comes from, its files and its instructions')
      .argument('<name>', 'the skill')
      .option('--json', 'print JSON'),
  ).action(lazy(() => import('./commands/skills.js'), 'runSkillsShow'));
  skills
    .command('install')
    .description("copy a skill folder (or a git URL's) into your skills folder")
    .argument('<source>', 'a folder holding SKILL.md, or a git URL')
    .option('--workspace', "into this workspace's .oxydra/skills/ instead of your own folder")
    .option('--path <folder>', 'the skill folder inside the source (a repository of several skills)')
    .option('--branch <name>', 'the branch or tag to clone (git URL)')
    .option('--force', 'replace an installed skill of the same name')
    .action(lazy(() => import('./commands/skills.js'), 'runSkillsInstall'));
  skills
    .command('remove')
    .description("delete an installed skill (yours, else the workspace's)")
    .argument('<name>', 'the skill')
    .option('--workspace', "only from this workspace's .oxydra/skills/")
    .action(lazy(() => import('./commands/skills.js'), 'runSkillsRemove'));

  const programs = program
    .command('programs')
    .description('programs (program.toml + SKILL.md): a skill with the tools and host executables it needs');
  programs
    .command('install')
    .description(
      'install or upgrade a program from a folder or a git URL (atomic; host requirements checked)',
    )
    .argument('<source>', 'a folder holding program.toml and SKILL.md, or a git URL')
    .option('--branch <name>', 'the branch or tag to clone (git URL)')
    .action(lazy(() => import('./commands/programs.js'), 'runProgramsInstall'));
  programs
    .command('list')
    .description('installed programs: version, enabled or not, missing optional host tools')
    .option('--json', 'print JSON')
    .action(lazy(() => import('./commands/programs.js'), 'runProgramsList'));
  programs
    .command('enable')
    .description("offer a program's skill to agents again")
    .argument('<name>', 'the program')
    .action(lazy(() => import('./commands/programs.js'), 'runProgramsEnable'));
  programs
    .command('disable')
    .description("stop offering a program's skill (it stays installed)")
    .argument('<name>', 'the program')
    .action(lazy(() => import('./commands/programs.js'), 'runProgramsDisable'));
  programs
    .command('remove')
    .description('uninstall a program')
    .argument('<name>', 'the program')
    .action(lazy(() => import('./commands/programs.js'), 'runProgramsRemove'));

  const memory = program
    .command('memory')
    .description('notes agents keep across sessions, and the search index');
  memory
    .command('search')
    .description('hybrid (meaning + keyword) search over notes and conversations')
    .argument('<query...>', 'what to look for')
    .option('--top-k <n>', 'results (default 8)')
    .option('--tags <a,b>', 'only notes with all these tags')
    .option('--notes-only', 'leave conversations out')
    .option('--json', 'print JSON')
    .action(lazy(() => import('./commands/memory.js'), 'runMemorySearch'));
  memory
    .command('add')
    .description('save a note')
    .argument('<content...>', 'the note')
    .option('--tags <a,b>', 'labels to find it by')
    .action(lazy(() => import('./commands/memory.js'), 'runMemoryAdd'));
  memory
    .command('list')
    .description('notes, most recently updated first')
    .option('--tags <a,b>', 'only notes with all these tags')
    .option('--limit <n>', 'how many (default 50)')
    .option('--json', 'print JSON')
    .action(lazy(() => import('./commands/memory.js'), 'runMemoryList'));
  memory
    .command('delete')
    .description('delete a note')
    .argument('<note-id>', 'as printed by list, add or search')
    .action(lazy(() => import('./commands/memory.js'), 'runMemoryDelete'));
  memory
    .command('reindex')
    .description(
      're-embed what was indexed with another embedding model (after changing [memory] embedding_backend)',
    )
    .action(lazy(() => import('./commands/memory.js'), 'runMemoryReindex'));

  const models = program
    .command('models')
    .description('the model catalog: context windows, capabilities, prices');
  models
    .command('list')
    .description('list known models (prices in US$ per million tokens)')
    .option('--provider <name>', 'a catalog namespace (openai, anthropic, google) or a registry entry')
    .option('--json', 'print JSON')
    .action(lazy(() => import('./commands/models.js'), 'runModelsList'));
  models
    .command('show')
    .description('everything the catalog knows about one model')
    .argument('<id>', 'model id, e.g. gpt-4o-mini')
    .option('--provider <name>', 'look only in this namespace or registry entry')
    .option('--json', 'print JSON')
    .action(lazy(() => import('./commands/models.js'), 'runModelsShow'));

  addConfigFlags(
    program
      .command('gateway')
      .description(
        'serve this workspace over WebSocket and HTTP (sessions, OpenAI-compatible API) in the foreground',
      )
      .option('--bind <host:port>', 'listen address (overrides [gateway] bind, default 127.0.0.1:7700)')
      .option('--log-format <format>', 'pretty (default) or json (one JSON object per line)'),
  ).action(lazy(() => import('./commands/gateway.js'), 'runGateway'));

  program
    .command('dashboard')
    .description(
      "open the running gateway's web dashboard signed in (a one-time link; the token is never in a URL)",
    )
    .option('--print', 'only print the link')
    .option('--gateway <url>', "the gateway's address (default: the one running on this workspace)")
    .action(lazy(() => import('./commands/dashboard.js'), 'runDashboard'));

  program
    .command('completion')
    .description(
      'print the shell completion script: eval "$(oxydra completion bash)", zsh alike; fish: > ~/.config/fish/completions/oxydra.fish',
    )
    .argument('<shell>', 'bash, zsh or fish')
    .action(lazy(() => import('./commands/completion.js'), 'runCompletion'));

  program
    .command('status')
    .description('the gateways running on this workspace, and whether each is ready (exit 1: none is)')
    .option('--json', 'print JSON')
    .action(lazy(() => import('./commands/status.js'), 'runStatus'));

  program
    .command('tui')
    .description('the terminal UI: chat through a running gateway (`oxydra gateway`)')
    .option('--gateway <url>', 'the gateway WebSocket URL (default ws://127.0.0.1:7700/ws)')
    .option('--session <id>', 'resume this session instead of starting a new one')
    .option('--user <name>', 'act as this gateway user')
    .action(lazy(() => import('./commands/tui.js'), 'runTuiCommand'));

  program
    .command('mock-llm')
    .description(
      'run a mock LLM server (OpenAI Chat/Responses, Anthropic, Gemini wire protocols) from a scenario file',
    )
    .usage('--api openai-chat|openai-responses|anthropic|gemini --scenario FILE [--fixture FILE] [--port N]')
    .helpOption(false)
    .allowUnknownOption()
    .allowExcessArguments()
    .argument('[args...]')
    .action(async (_args: string[], _options: unknown, command: Command) => {
      const { runMockLlm } = await import('./commands/mock-llm.js');
      process.exitCode = await runMockLlm(command.args);
    });

  // Runner: one user's guest behind a detached daemon (`runner daemon` and `guest` are internal).
  const runner = program
    .command('runner')
    .description("run a user's agent guest in an isolation tier, behind a daemon (see runner.toml)");
  const runnerFlags = (command: Command, insecure = false) => {
    command
      .option('-c, --config <path>', 'the runner configuration', '.oxydra/runner.toml')
      .option('-u, --user <id>', 'the user (default: the only one in runner.toml)');
    if (insecure) {
      command.option('--insecure', 'process tier with NO sandbox for shell commands (development only)');
    }
    return command;
  };
  runnerFlags(
    runner
      .command('start')
      .description("launch the user's guest and a daemon that owns it; returns once it is healthy")
      .option('--tui', 'start nothing: open the terminal UI on the running guest (as `runner tui`)')
      .option('--wait <seconds>', 'how long to wait for the guest to become healthy (default 30)'),
    true,
  ).action(lazy(() => import('./commands/runner.js'), 'runRunnerStart'));
  runnerFlags(runner.command('stop').description("stop the user's guest and its daemon")).action(
    lazy(() => import('./commands/runner.js'), 'runRunnerStop'),
  );
  runnerFlags(
    runner
      .command('status')
      .description("is the user's guest healthy? (exit 0 only when it is)")
      .option('--json', 'print the health status as JSON'),
  ).action(lazy(() => import('./commands/runner.js'), 'runRunnerStatus'));
  runnerFlags(
    runner
      .command('logs')
      .description("the guest's output (<workspace>/logs/{role}.{stream}.log)")
      .option('-f, --follow', 'keep printing new lines until interrupted')
      .option('--tail <n>', 'lines per file (default 200, at most 1000)')
      .option('--role <role>', 'runtime (default), sidecar or all')
      .option('--stream <stream>', 'stdout, stderr or both (default)')
      .option('--format <format>', 'text (default) or json'),
  ).action(lazy(() => import('./commands/runner-logs.js'), 'runRunnerLogs'));
  runnerFlags(
    runner.command('tui').description("open the terminal UI on the user's running guest (never starts one)"),
  ).action(lazy(() => import('./commands/runner.js'), 'runRunnerTui'));
  runnerFlags(runner.command('daemon', { hidden: true }), true).action(
    lazy(() => import('./commands/runner.js'), 'runRunnerDaemon'),
  );
  program
    .command('guest', { hidden: true })
    .description("a runner's guest (started by `oxydra runner start`)")
    .option('--bootstrap-stdin', 'read the bootstrap envelope frame from stdin')
    .option('--bootstrap-file <path>', 'read the bootstrap envelope from this JSON file')
    .option('--exit-on-stdin-close', 'stop when stdin closes (the runner is gone)')
    .option('--gateway-bind <host:port>', 'where the gateway listens (default 127.0.0.1:0)')
    .action(lazy(() => import('./commands/guest.js'), 'runGuest'));
  program
    .command('shell-daemon', { hidden: true })
    .description('the shell RPC of a guest sidecar, on a Unix socket (commands run unsandboxed)')
    .option('--socket <path>', 'the Unix socket to listen on')
    .action(lazy(() => import('./commands/guest-shell-daemon.js'), 'runShellDaemon'));

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
  const program = buildProgram();
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
