/**
 * replaySession: re-runs a stored session against its recorded model replies, offline, to
 * reproduce what happened (a bug) deterministically. The recording's replies become a testkit
 * cassette, the only model the replay's kernel has; its prompts are sent again, turn by turn,
 * to an agent of the same name and user; the tools that work on files run for real and the
 * others answer from the recording (recorded-tools.ts). Then what the replay did is compared
 * with the recording (compare.ts).
 *
 * Where the tools run: by default a scratch copy of the workspace (without Oxydra's databases
 * and checkpoints) whose files are put back as they were when the session started (the "before"
 * checkpoint of its first run that changed files, session-start.ts; the files as they are now
 * when there is none, or with `from: 'now'`), removed afterwards, with approval questions
 * answered yes (nobody is there to answer; nothing but the copy can change) and sandboxed
 * commands without network. `inPlace` runs them in the workspace itself, its files as they are
 * now, with the configuration's approval policy and checkpoints (so `oxydra undo` reverts it).
 * Either way memory, MCP servers, plugins, the scheduler, delegation and telemetry are off, and
 * nothing is stored or entered in the usage log.
 */
import { rm, stat } from 'node:fs/promises';
import { openMemory } from '@oxydra/memory';
import { type Scenario, scriptedAdapters } from '@oxydra/testkit';
import {
  type AgentConfig,
  type Message,
  type SessionStore,
  sessionIdProblem,
  UsageError,
  warnOnStderr,
} from '@oxydra/types';
import { knownSecrets } from '../assemble/secrets.js';
import { openKernel } from '../kernel.js';
import type { Kernel } from '../kernel-api.js';
import { claimMemory, memoryLocation } from '../store/state-origin.js';
import type { AgentResult } from '../types.js';
import { cassetteProvider } from './cassette.js';
import { divergences, type ReplayDivergence, type ReplayTurnReport, turnReport } from './compare.js';
import { recordedTools } from './recorded-tools.js';
import { cassetteOf, type Recording, recordingOf } from './recording.js';
import { type Scratch, scratchCopy } from './scratch.js';
import { planStart, type ReplayStart, restoreStart } from './session-start.js';

export interface ReplayOptions {
  workspace: string;
  config: AgentConfig;
  /** The session: full id, short id or unique prefix. */
  session: string;
  /** Run the tools in the workspace itself (its files as they are now) instead of a scratch copy. */
  inPlace?: boolean;
  /**
   * The files a scratch copy starts with: the session's start (default; the files as they are
   * now when no checkpoint holds it) or the workspace's files as they are now.
   */
  from?: 'start' | 'now';
  /** Keep the scratch copy (its path is in the report). */
  keep?: boolean;
  env?: NodeJS.ProcessEnv;
  warn?: (message: string) => void;
  /**
   * Where the session is kept when not in the workspace's memory file ([store] backend =
   * "postgres"): its recording is read from there. The replay itself runs on the scratch copy's
   * own files either way, so nothing is written back to it.
   */
  sessions?: SessionStore;
}

export interface ReplayReport {
  sessionId: string;
  agent: string;
  userId?: string;
  /** Where the tools ran: the scratch copy's path, or the workspace. */
  workspace: string;
  inPlace: boolean;
  /** The files the tools started from: the session's start checkpoint, or the workspace's now. */
  start: ReplayStart;
  /** The scratch copy was kept. */
  kept: boolean;
  /** True when every turn's tool calls, results, final text and outcome match the recording. */
  identical: boolean;
  modelCalls: { recorded: number; replayed: number };
  /** Tools answered from the recording instead of run. */
  fromRecording: string[];
  turns: ReplayTurnReport[];
  divergences: ReplayDivergence[];
  /**
   * Where the files started when not from the session's start (and why), what changed outside
   * the session between its runs, and what the replay could not reproduce (steering messages).
   */
  notes: string[];
  /** The recording's model replies as a testkit scenario (`oxydra mock-llm --scenario`). */
  cassette: Scenario;
}

/** A key no cassette needs, so configured providers open without the user's credentials. */
const NO_KEY = 'oxydra-replay-needs-no-key';

export async function replaySession(options: ReplayOptions): Promise<ReplayReport> {
  const { config, workspace } = options;
  const recording = await readRecording(options);
  if (recording.turns.length === 0) {
    throw new UsageError(`session ${recording.sessionId} has no recorded turn to replay`);
  }
  const inPlace = options.inPlace === true;
  if (inPlace && options.from === 'start') {
    throw new UsageError(
      "--in-place replays on the workspace's files as they are now, not the session's start",
      {
        hint: 'drop --in-place to replay from the start in a scratch copy, or drop --from start',
      },
    );
  }
  const { scratch, start, notes: startNotes } = await prepare(options, recording);
  const target = scratch?.workspace ?? workspace;
  const env = options.env ?? process.env;
  const cassette = cassetteProvider(recording);
  const warn = options.warn ?? warnOnStderr;
  let kernel: Kernel | undefined;
  try {
    kernel = await openKernel({
      workspace: target,
      config: replayConfig(config, inPlace),
      host: 'cli',
      env,
      adapters: scriptedAdapters(cassette.provider),
      secrets: knownSecrets(config, env, []),
      warn,
      replay: { tools: recordedTools(recording) },
    });
    // In a scratch copy nothing but the copy can change and nobody is there to answer: yes.
    const approval = !inPlace && config.tools.approval === 'ask' ? 'auto' : undefined;
    const turns = await replayTurns(kernel, recording, cassette.startTurn, approval);
    const found = turns.flatMap(divergences);
    const notes = [
      ...startNotes,
      ...recording.turns.flatMap((turn) =>
        turn.steering > 0
          ? [`turn ${turn.turn}: ${turn.steering} message(s) sent while it ran (steering) are not replayed`]
          : [],
      ),
    ];
    return {
      sessionId: recording.sessionId,
      agent: recording.agent ?? 'default',
      ...(recording.userId !== undefined ? { userId: recording.userId } : {}),
      workspace: target,
      inPlace,
      start,
      kept: scratch !== undefined && options.keep === true,
      identical: found.length === 0,
      modelCalls: {
        recorded: recording.turns.reduce((sum, turn) => sum + turn.steps.length, 0),
        replayed: cassette.provider.calls.length,
      },
      fromRecording: [
        ...new Set(
          turns.flatMap((turn) => turn.recorded.calls.filter((c) => c.fromRecording).map((c) => c.name)),
        ),
      ],
      turns,
      divergences: found,
      notes,
      cassette: cassetteOf(recording),
    };
  } finally {
    await kernel?.close();
    if (scratch && options.keep !== true) await rm(scratch.root, { recursive: true, force: true });
  }
}

/**
 * Where the tools will run: the workspace itself (in place), or a scratch copy put back to the
 * session's start when a checkpoint holds it (else the files as they are now, said in a note).
 */
async function prepare(
  options: ReplayOptions,
  recording: Recording,
): Promise<{ scratch?: Scratch; start: ReplayStart; notes: string[] }> {
  const { config, workspace } = options;
  const runAs = config.tools.sandbox.run_as;
  if (options.inPlace) return { start: { from: 'now', why: 'in place (--in-place)' }, notes: [] };
  if (options.from === 'now') {
    return {
      scratch: await scratchCopy(workspace, runAs),
      start: { from: 'now', why: 'asked for (--from now)' },
      notes: [],
    };
  }
  const plan = await planStart(workspace, config, recording);
  let start: ReplayStart = { from: 'now', why: plan.found ? '' : plan.why };
  let notes: string[] = [];
  const scratch = await scratchCopy(
    workspace,
    runAs,
    plan.found
      ? async (copy) => {
          ({ start, notes } = await restoreStart(plan, copy, config));
        }
      : undefined,
  );
  if (start.from === 'now') notes = [`replayed in the workspace as it is now: ${start.why}`, ...notes];
  return { scratch, start, notes };
}

async function readRecording(options: ReplayOptions): Promise<Recording> {
  const { config, workspace } = options;
  if (options.sessions) return recordingIn(options.sessions, options.session);
  if (!config.memory.enabled) {
    throw new UsageError('memory is off ([memory] enabled = false): there are no stored sessions to replay');
  }
  const location = memoryLocation(config, workspace);
  claimMemory(location, { create: false });
  if ('path' in location && !(await stat(location.path).catch(() => undefined))) {
    throw new UsageError(
      'no sessions yet: the memory database is created by the first `oxydra run` or `oxydra chat` here',
    );
  }
  const memory = await openMemory(location);
  try {
    return await recordingIn(memory.sessions, options.session);
  } finally {
    await memory.close();
  }
}

/** The session `typed` names in `store` (full id, short id or unique prefix), as a recording. */
async function recordingIn(
  store: Pick<SessionStore, 'lookup' | 'get' | 'loadEvents'>,
  typed: string,
): Promise<Recording> {
  const ids = await store.lookup(typed);
  if (ids.length !== 1) {
    throw new UsageError(sessionIdProblem(typed, ids), {
      ...(ids.length === 0 ? { hint: 'list them with `oxydra sessions list`' } : {}),
    });
  }
  const session = (await store.get(ids[0]!))!;
  return recordingOf(
    {
      id: session.id,
      ...(session.agent ? { agent: session.agent } : {}),
      ...(session.userId ? { userId: session.userId } : {}),
    },
    await store.loadEvents(session.id),
  );
}

/**
 * The configuration a replay's kernel runs with: what reaches beyond the workspace is off (its
 * tools answer from the recording), every provider entry opens without a key (the cassette
 * answers), and in a scratch copy checkpoints are off and commands have no network.
 */
function replayConfig(config: AgentConfig, inPlace: boolean): AgentConfig {
  return {
    ...config,
    providers: {
      ...config.providers,
      registry: Object.fromEntries(
        Object.entries(config.providers.registry).map(([name, entry]) => [
          name,
          { ...entry, api_key: NO_KEY },
        ]),
      ),
    },
    memory: { ...config.memory, enabled: false },
    mcp: { ...config.mcp, servers: {} },
    plugins: { ...config.plugins, load: {} },
    a2a: { ...config.a2a, remotes: {} },
    scheduler: { ...config.scheduler, enabled: false },
    // Telemetry export is a network call too.
    ...('otel' in config ? { otel: { ...config.otel, enabled: false } } : {}),
    runtime: { ...config.runtime, max_delegation_depth: 0 },
    checkpoints: { ...config.checkpoints, enabled: inPlace && config.checkpoints.enabled },
    tools: {
      ...config.tools,
      sandbox: inPlace ? config.tools.sandbox : { ...config.tools.sandbox, network: 'off', allow_hosts: [] },
    },
  };
}

/**
 * Sends the recorded prompts to one agent, turn by turn (a kept-alive agent: each turn sees the
 * replayed conversation so far).
 */
async function replayTurns(
  kernel: Kernel,
  recording: Recording,
  startTurn: (index: number) => void,
  approval: 'auto' | undefined,
): Promise<ReplayTurnReport[]> {
  const [first, ...rest] = recording.turns;
  startTurn(0);
  const handle = kernel.agents.spawn({
    prompt: first!.prompt,
    ...(recording.agent !== undefined ? { agent: recording.agent } : {}),
    ...(recording.userId !== undefined ? { userId: recording.userId } : {}),
    ...(approval ? { approval } : {}),
    persist: false,
    keepAlive: true,
  });
  const reports: ReplayTurnReport[] = [];
  let history: Message[] = [];
  const add = (turn: (typeof recording.turns)[number], result: AgentResult) => {
    const added = result.messages
      .slice(history.length)
      .filter((message, index) => index > 0 || message.role !== 'user');
    history = result.messages;
    reports.push(
      turnReport(turn, added, {
        status: result.status,
        ...(result.error ? { error: result.error.message } : {}),
      }),
    );
  };
  try {
    add(first!, await handle.result);
    for (const [index, turn] of rest.entries()) {
      if (handle.status !== 'idle') break;
      startTurn(index + 1);
      add(turn, await handle.send(turn.prompt).result);
    }
  } finally {
    if (handle.status === 'idle') handle.close();
    else await handle.cancel('the replay ended');
  }
  return reports;
}
