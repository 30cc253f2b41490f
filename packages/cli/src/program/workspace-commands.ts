/**
 * What a workspace keeps, and who may use it: sessions, audit, budget, costs, undo,
 * checkpoints, token, approvals.
 * Declared here with their flags and help text only; each implementation is imported when it
 * runs (lazy), so `--help` loads no heavy module. One function per command: a command line
 * that names one declares it alone (main.ts).
 */
import { addStoreFlag } from '../config-flags.js';
import { type CommandDeclarations, lazy } from './lazy.js';

export const WORKSPACE_COMMANDS: CommandDeclarations = {
  sessions(program) {
    const sessions = program.command('sessions').description('the conversations stored in this workspace');
    sessions
      .command('list')
      .description('sessions, most recently active first')
      .option('--limit <n>', 'how many (default 50)')
      .option('--json', 'print JSON')
      .action(lazy(() => import('../commands/sessions.js'), 'runSessionsList'));
    sessions
      .command('show')
      .description("a session's transcript (Markdown; --json for JSON lines)")
      .argument('<id>', 'session id: the short id `sessions list` shows, or the full id')
      .option('--json', 'print JSON lines')
      .action(lazy(() => import('../commands/sessions.js'), 'runSessionsShow'));
    sessions
      .command('delete')
      // Every removing command takes rm, delete and remove (program-groups.test.ts): with one
      // spelling, `schedule remove` was answered "Did you mean resume?".
      .aliases(['rm', 'remove'])
      .description('delete a session and everything stored with it')
      .argument('<id>', 'session id: the short id `sessions list` shows, or the full id')
      .action(lazy(() => import('../commands/sessions.js'), 'runSessionsDelete'));
    sessions
      .command('export')
      .description('export a session as JSON lines or Markdown')
      .argument('<id>', 'session id: the short id `sessions list` shows, or the full id')
      .option('--format <format>', 'jsonl (default) or md')
      .option('--output <file>', 'write to a file instead of stdout')
      .action(lazy(() => import('../commands/sessions.js'), 'runSessionsExport'));
    sessions
      .command('replay')
      .description(
        'run a session again against its recorded model replies, offline, and compare the tool calls, results and final text (exit 1 when they differ)',
      )
      .argument('<id>', 'session id: the short id `sessions list` shows, or the full id')
      .option(
        '--in-place',
        'run the tools in the workspace itself, on its files as they are now (default: a scratch copy, removed afterwards)',
      )
      .option(
        '--from <start|now>',
        "the scratch copy's files: as they were when the session started (default, from its checkpoint) or as they are now",
      )
      .option('--keep', 'keep the scratch copy and print where it is')
      .option(
        '--cassette <file>',
        'also write the recorded replies as a testkit scenario (oxydra mock-llm --scenario)',
      )
      .option('--json', 'print the report as JSON')
      .action(lazy(() => import('../commands/sessions-replay.js'), 'runSessionsReplay'));
    // They read the store [store] names; --store picks another for one command.
    for (const command of sessions.commands) addStoreFlag(command);
  },
  audit(program) {
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
      .action(lazy(() => import('../commands/audit.js'), 'runAuditList'));
    audit
      .command('verify')
      .description('check every entry and link of the chain and that it reaches every recorded head')
      .option('--head <seq:hash>', "also check a head recorded elsewhere (a run's auditHead)")
      .option('--json', 'print the report as JSON')
      .action(lazy(() => import('../commands/audit.js'), 'runAuditVerify'));
    audit
      .command('export')
      .description('the whole chain as JSON lines (each entry verifiable on its own)')
      .option('--output <file>', 'write to a file instead of stdout')
      .action(lazy(() => import('../commands/audit.js'), 'runAuditExport'));
  },
  budget(program) {
    const budget = program
      .command('budget')
      .description('spending caps per user and agent, and what was spent against them');
    budget
      .command('show')
      .description("each user's and agent's spend today and this month, against its caps")
      .option('--json', 'print JSON')
      .action(lazy(() => import('../commands/budget.js'), 'runBudgetShow'));
    budget
      .command('set')
      .description('set caps for a user or an agent ("none" removes one: the configuration applies)')
      .option('--user <id>', 'the user ("local" when running from a terminal)')
      .option('--agent <name>', 'the agent ("default" for the top-level one)')
      .option('--daily <usd>', 'dollars per UTC day')
      .option('--monthly <usd>', 'dollars per UTC month')
      .option('--tokens <n>', "model tokens per window (an agent's)")
      .option('--calls <n>', "model calls per window (an agent's)")
      .action(lazy(() => import('../commands/budget.js'), 'runBudgetSet'));
    budget
      .command('reset')
      .description("forget a user's or agent's spend in the current day, month and window")
      .option('--user <id>', 'the user')
      .option('--agent <name>', 'the agent')
      .action(lazy(() => import('../commands/budget.js'), 'runBudgetReset'));
  },
  costs(program) {
    program
      .command('costs')
      .description('what the agents spent, from the usage log: by UTC day, agent, model, user or session')
      .option('--by <group>', 'day (default, UTC), agent, model, user or session')
      .option('--since <when>', 'only calls since an ISO date/time or a duration ago (24h, 7d)')
      .option('--until <when>', 'only calls before an ISO date/time or a duration ago')
      .option('--user <id>', 'only this user\'s calls ("local" from a terminal)')
      .option('--json', 'print JSON')
      .action(lazy(() => import('../commands/costs.js'), 'runCosts'));
  },
  undo(program) {
    program
      .command('undo')
      .description('put the files the last run (or --run ID) changed back as they were before it')
      .option('--run <id>', 'the run to undo (see `oxydra checkpoints list`)')
      .option(
        '--force',
        "undo even over the run's files changed again since (the current state is saved first)",
      )
      .option('--json', 'print JSON')
      .action(lazy(() => import('../commands/checkpoints.js'), 'runUndo'));
  },
  checkpoints(program) {
    const checkpoints = program
      .command('checkpoints')
      .description('the snapshots taken before and after each run that changed the workspace');
    checkpoints
      .command('list')
      .description('runs that changed the workspace, newest first, with their checkpoints')
      .option('--limit <n>', 'how many (default 20)')
      .option('--json', 'print JSON')
      .action(lazy(() => import('../commands/checkpoints.js'), 'runCheckpointsList'));
    checkpoints
      .command('diff')
      .description(
        'what a run changed, or what differs between two checkpoints or a checkpoint and the workspace now, as a diff',
      )
      .argument('<from>', 'a run id (its own changes), or a checkpoint id (or prefix) or tag')
      .argument('[to]', "another checkpoint; default: the run's end, or the workspace now")
      .option('--stat', 'only the changed paths and how each changed')
      .option('--json', 'print JSON (the paths, and the diff unless --stat)')
      .action(lazy(() => import('../commands/checkpoints.js'), 'runCheckpointsDiff'));
    checkpoints
      .command('restore')
      .description('put the workspace back as it was at a checkpoint (the current state is saved first)')
      .argument('<ref>', 'a checkpoint id (or prefix) or tag')
      .option('--json', 'print JSON')
      .action(lazy(() => import('../commands/checkpoints.js'), 'runCheckpointsRestore'));
    checkpoints
      .command('tag')
      .description('name a checkpoint')
      .argument('<name>', 'the tag')
      .argument('[ref]', 'the checkpoint; default the latest')
      .action(lazy(() => import('../commands/checkpoints.js'), 'runCheckpointsTag'));
  },
  token(program) {
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
      .action(lazy(() => import('../commands/token.js'), 'runTokenAdd'));
    token
      .command('list')
      .description('tokens, their users and roles (never the secrets)')
      .option('--json', 'print JSON')
      .action(lazy(() => import('../commands/token.js'), 'runTokenList'));
    token
      .command('revoke')
      .description('refuse a token from now on')
      .argument('<id>', 'the id `token list` shows')
      .action(lazy(() => import('../commands/token.js'), 'runTokenRevoke'));
  },
  approvals(program) {
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
      .action(lazy(() => import('../commands/approvals.js'), 'runApprovalsList'));
    approvals
      .command('approve')
      .description('carry a request out (audited)')
      .argument('<id>', 'the id `approvals list` shows')
      .action(lazy(() => import('../commands/approvals.js'), 'runApprovalsApprove'));
    approvals
      .command('reject')
      .description('refuse a request (a requested token is revoked; audited)')
      .argument('<id>', 'the id `approvals list` shows')
      .option('--reason <text>', 'why, for the record')
      .action(lazy(() => import('../commands/approvals.js'), 'runApprovalsReject'));
  },
};
