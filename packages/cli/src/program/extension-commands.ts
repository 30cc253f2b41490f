/**
 * What agents are given: personas, plugins, MCP, schedules and the scheduler, skills,
 * programs, memory.
 * Declared here with their flags and help text only; each implementation is imported when it
 * runs (lazy), so `--help` loads no heavy module. One function per command: a command line
 * that names one declares it alone (main.ts).
 */
import type { Command } from 'commander';
import { addConfigFlags } from '../config-flags.js';
import { type CommandDeclarations, lazy } from './lazy.js';
import { many } from './repeat.js';

export const EXTENSION_COMMANDS: CommandDeclarations = {
  persona(program) {
    const persona = program
      .command('persona')
      .description("personas: character files (JSON or TOML) that shape an agent's system prompt");
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
      .action(lazy(() => import('../commands/persona.js'), 'runPersonaList'));
    persona
      .command('show')
      .description('a persona: its file and the text it puts in the system prompt')
      .argument('<name>', 'the persona')
      .option('--json', 'print JSON')
      .action(lazy(() => import('../commands/persona.js'), 'runPersonaShow'));
    personaFields(
      persona
        .command('create')
        .description('store a persona, from a character file or from the flags')
        .argument('<name>', 'its name: lower-case letters, digits, - and _')
        .option('--user', 'in your user folder (every workspace) instead of this workspace'),
    ).action(lazy(() => import('../commands/persona.js'), 'runPersonaCreate'));
    personaFields(
      persona
        .command('update')
        .description('replace a persona with --from <file>, or set the fields the flags give')
        .argument('<name>', 'the persona'),
    ).action(lazy(() => import('../commands/persona.js'), 'runPersonaUpdate'));
    persona
      .command('delete')
      .aliases(['rm', 'remove'])
      .description("remove a persona's file (the workspace's when both folders have one)")
      .argument('<name>', 'the persona')
      .option('--user', 'remove the one in your user folder')
      .action(lazy(() => import('../commands/persona.js'), 'runPersonaDelete'));
    persona
      .command('use')
      .description("make a persona the default agent's (unless the configuration sets persona)")
      .argument('[name]', 'the persona')
      .option('--none', 'no active persona')
      .action(lazy(() => import('../commands/persona.js'), 'runPersonaUse'));
  },
  plugins(program) {
    const plugins = program
      .command('plugins')
      .description(
        'plugins ([plugins.load]): tools, context providers, evaluators, services, event handlers',
      );
    addConfigFlags(
      plugins
        .command('list')
        .description('the loaded plugins, in load order, with their health')
        .option('--json', 'print JSON'),
    ).action(lazy(() => import('../commands/plugins.js'), 'runPluginsList'));
    addConfigFlags(
      plugins
        .command('info')
        .description("one plugin's parts, dependencies, file and health")
        .argument('<name>', 'the plugin')
        .option('--json', 'print JSON'),
    ).action(lazy(() => import('../commands/plugins.js'), 'runPluginsInfo'));
  },
  mcp(program) {
    const mcp = program
      .command('mcp')
      .description('MCP: the servers of [mcp.servers] whose tools agents use (<server>__<tool>)');
    addConfigFlags(
      mcp
        .command('list')
        .description('the configured MCP servers: transport, connection state, tool counts')
        .option('--json', 'print JSON'),
    ).action(lazy(() => import('../commands/mcp.js'), 'runMcpList'));
    addConfigFlags(
      mcp
        .command('tools')
        .description("the servers' tools as agents see them: name, safety tier, description")
        .argument('[server]', 'only this server')
        .option('--json', "print JSON (with each tool's parameters schema)"),
    ).action(lazy(() => import('../commands/mcp.js'), 'runMcpTools'));
    addConfigFlags(
      mcp
        .command('call')
        .description('run one tool of a server directly, for debugging (no agent, no approval)')
        .argument('<server>', 'the [mcp.servers] name')
        .argument('<tool>', "the tool: the server's name for it, or <server>__<tool>")
        .argument('[json-args]', 'its arguments as a JSON object (default {})')
        .option('--json', 'print the result as one line of JSON'),
    ).action(lazy(() => import('../commands/mcp.js'), 'runMcpCall'));
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
    ).action(lazy(() => import('../commands/mcp-serve.js'), 'runMcpServe'));
  },
  schedule(program) {
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
      .option(
        '--user <id>',
        'the user it runs as: their budgets, sessions, notifications (default "default")',
      )
      .option(
        '--notify <channel:chat>',
        "send each run's result to this chat, e.g. telegram:123456789 (one of the user's); none: no chat, not even [scheduler] notify's",
      )
      .option(
        '--spec',
        'each run is a spec run: checked against acceptance criteria, retried (docs/spec-runs.md)',
      )
      .option('--goal <text>', 'spec: the goal, when not the prompt itself; implies --spec')
      .option(
        '--criterion <criterion>',
        'spec: an acceptance criterion ("file: <path> exists", text, or "test: <command>" under approval "auto"); repeatable, implies --spec',
        many,
      )
      .option(
        '--constraint <text>',
        'spec: a constraint the work must keep; repeatable, implies --spec',
        many,
      )
      .option('--max-attempts <n>', 'spec: attempts per run before giving up (default 3)')
      .option('--json', 'print JSON')
      .action(lazy(() => import('../commands/schedule.js'), 'runScheduleAdd'));
    schedule
      .command('list')
      .description('schedules, their timing and next run')
      .option('--user <id>', "only this user's")
      .option('--json', 'print JSON')
      .action(lazy(() => import('../commands/schedule.js'), 'runScheduleList'));
    schedule
      .command('show')
      .description('one schedule in full, with its last run')
      .argument('<schedule>', 'id or name')
      .option('--json', 'print JSON')
      .action(lazy(() => import('../commands/schedule.js'), 'runScheduleShow'));
    schedule
      .command('pause')
      .description('stop firing it (kept, with its history)')
      .argument('<schedule>', 'id or name')
      .action(lazy(() => import('../commands/schedule.js'), 'runSchedulePause'));
    schedule
      .command('resume')
      .description('fire it again, from now (clears its failure count)')
      .argument('<schedule>', 'id or name')
      .action(lazy(() => import('../commands/schedule.js'), 'runScheduleResume'));
    schedule
      .command('rm')
      // rm, delete and remove, as every removing command (workspace-commands.ts, sessions delete).
      .aliases(['delete', 'remove'])
      .description('delete it and its run history')
      .argument('<schedule>', 'id or name')
      .action(lazy(() => import('../commands/schedule.js'), 'runScheduleRemove'));
    schedule
      .command('history')
      .description('its runs, newest first: status, duration, turns, cost')
      .argument('<schedule>', 'id or name')
      .option('--limit <n>', 'runs to show (default 20)')
      .option('--output', "print each run's answer")
      .option('--json', 'print JSON')
      .action(lazy(() => import('../commands/schedule.js'), 'runScheduleHistory'));
    addConfigFlags(
      schedule
        .command('run-now')
        .description('run it now, here, recorded as a manual run (the answer on stdout)')
        .argument('<schedule>', 'id or name'),
    ).action(lazy(() => import('../commands/schedule.js'), 'runScheduleRunNow'));
  },
  scheduler(program) {
    const scheduler = program.command('scheduler').description('the service that fires schedules');
    addConfigFlags(
      scheduler
        .command('run')
        .description(
          'fire due schedules in the foreground until Ctrl+C (what `oxydra gateway` does with [scheduler] enabled)',
        ),
    ).action(lazy(() => import('../commands/scheduler-run.js'), 'runSchedulerRun'));
  },
  channels(program) {
    const channels = program
      .command('channels')
      .description('chat channels: talk to agents from Telegram ([channels.telegram], docs/channels.md)');
    addConfigFlags(
      channels
        .command('run')
        .description('answer the enabled channels in the foreground until Ctrl+C (allowlisted senders only)'),
    ).action(lazy(() => import('../commands/channels.js'), 'runChannelsRun'));
    addConfigFlags(
      channels
        .command('status')
        .description(
          'each channel: enabled, its token variable set or not, senders, health (running or not), messages, outbox and failed sends',
        )
        .option('--json', 'print JSON'),
    ).action(lazy(() => import('../commands/channels.js'), 'runChannelsStatus'));
    addConfigFlags(
      channels
        .command('list')
        .description('each channel from the configuration, one line each: enabled, senders, agent')
        .option('--json', 'print JSON'),
    ).action(lazy(() => import('../commands/channels.js'), 'runChannelsList'));
    addConfigFlags(
      channels
        .command('test')
        .argument('<channel>', 'the channel to test (telegram)')
        .description(
          "check the channel's secrets with its platform and print the bot's name; --to sends one test message",
        )
        .option('--to <chat id>', 'send one test message to this chat'),
    ).action(lazy(() => import('../commands/channels.js'), 'runChannelsTest'));
    addConfigFlags(
      channels
        .command('pair')
        .description(
          'unknown_senders = "pair": list the open pairing requests, or let a sender in by the code they were sent',
        )
        .argument('[channel]', 'the channel (telegram)')
        .argument('[code]', 'the code the sender was sent (with --revoke: the sender id)')
        .option('--user <user>', 'the kernel user the sender acts as (default "<channel>-<sender id>")')
        .option('--revoke', 'shut a paired sender out again: pair --revoke <channel> <sender id>')
        .option('--json', 'print the open requests as JSON'),
    ).action(lazy(() => import('../commands/channels.js'), 'runChannelsPair'));
  },
  skills(program) {
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
    ).action(lazy(() => import('../commands/skills.js'), 'runSkillsList'));
    addConfigFlags(
      skills
        .command('show')
        .description('one skill: where it comes from, its files and its instructions')
        .argument('<name>', 'the skill')
        .option('--json', 'print JSON'),
    ).action(lazy(() => import('../commands/skills.js'), 'runSkillsShow'));
    skills
      .command('install')
      .description("copy a skill folder (or a git URL's) into your skills folder")
      .argument('<source>', 'a folder holding SKILL.md, or a git URL')
      .option('--workspace', "into this workspace's .oxydra/skills/ instead of your own folder")
      .option('--path <folder>', 'the skill folder inside the source (a repository of several skills)')
      .option('--branch <name>', 'the branch or tag to clone (git URL)')
      .option('--force', 'replace an installed skill of the same name')
      .action(lazy(() => import('../commands/skills.js'), 'runSkillsInstall'));
    skills
      .command('remove')
      .aliases(['rm', 'delete'])
      .description("delete an installed skill (yours, else the workspace's)")
      .argument('<name>', 'the skill')
      .option('--workspace', "only from this workspace's .oxydra/skills/")
      .action(lazy(() => import('../commands/skills.js'), 'runSkillsRemove'));
  },
  programs(program) {
    const programs = program
      .command('programs')
      .description(
        'programs (program.toml + SKILL.md): a skill with the tools and host executables it needs',
      );
    programs
      .command('install')
      .description(
        'install or upgrade a program from a folder or a git URL (atomic; host requirements checked)',
      )
      .argument('<source>', 'a folder holding program.toml and SKILL.md, or a git URL')
      .option('--branch <name>', 'the branch or tag to clone (git URL)')
      .action(lazy(() => import('../commands/programs.js'), 'runProgramsInstall'));
    programs
      .command('list')
      .description('installed programs: version, enabled or not, missing optional host tools')
      .option('--json', 'print JSON')
      .action(lazy(() => import('../commands/programs.js'), 'runProgramsList'));
    programs
      .command('enable')
      .description("offer a program's skill to agents again")
      .argument('<name>', 'the program')
      .action(lazy(() => import('../commands/programs.js'), 'runProgramsEnable'));
    programs
      .command('disable')
      .description("stop offering a program's skill (it stays installed)")
      .argument('<name>', 'the program')
      .action(lazy(() => import('../commands/programs.js'), 'runProgramsDisable'));
    programs
      .command('remove')
      .aliases(['rm', 'delete'])
      .description('uninstall a program')
      .argument('<name>', 'the program')
      .action(lazy(() => import('../commands/programs.js'), 'runProgramsRemove'));
  },
  memory(program) {
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
      .action(lazy(() => import('../commands/memory.js'), 'runMemorySearch'));
    memory
      .command('add')
      .description('save a note')
      .argument('<content...>', 'the note')
      .option('--tags <a,b>', 'labels to find it by')
      .action(lazy(() => import('../commands/memory.js'), 'runMemoryAdd'));
    memory
      .command('list')
      .description('notes, most recently updated first')
      .option('--tags <a,b>', 'only notes with all these tags')
      .option('--limit <n>', 'how many (default 50)')
      .option('--json', 'print JSON')
      .action(lazy(() => import('../commands/memory.js'), 'runMemoryList'));
    memory
      .command('delete')
      .aliases(['rm', 'remove'])
      .description('delete a note')
      .argument('<note-id>', 'as printed by list, add or search')
      .action(lazy(() => import('../commands/memory.js'), 'runMemoryDelete'));
    memory
      .command('reindex')
      .description(
        're-embed what was indexed with another embedding model (after changing [memory] embedding_backend)',
      )
      .action(lazy(() => import('../commands/memory.js'), 'runMemoryReindex'));
  },
};
