/**
 * replaySession: re-runs a stored session against its recorded model replies, offline, to
 * reproduce what happened (a bug) deterministically. The recording's replies become a testkit
 * cassette, the only model the replay's kernel has; its prompts are sent again, turn by turn,
 * to an agent of the same name and user; the tools that work on files run for real and the
 * others answer from the recording (recorded-tools.ts). Then what the replay did is compared
 * with the recording (compare.ts).
 *
 * Where the tools run: by default a scratch copy of the workspace (its files as they are now,
 * without Oxydra's databases and checkpoints), removed afterwards, with approval questions
 * answered yes (nobody is there to answer; nothing but the copy can change) and sandboxed
 * commands without network. `inPlace` runs them in the workspace itself, with the
 * configuration's approval policy and checkpoints (so `oxydra undo` reverts the replay).
 * Either way memory, MCP servers, plugins, the scheduler, delegation and telemetry are off, and
 * nothing is stored or entered in the usage log.
 */
import { chown, cp, lchown, lstat, mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import { openMemory } from '@oxydra/memory';
import { sandboxIdentity } from '@oxydra/sandbox';
import { type Scenario, scriptedAdapters } from '@oxydra/testkit';
import { type AgentConfig, type Message, sessionIdProblem, UsageError } from '@oxydra/types';
import { claimMemory, memoryLocation } from '../assemble/memory.js';
import { knownSecrets } from '../assemble/secrets.js';
import { type Kernel, openKernel } from '../kernel.js';
import type { AgentResult } from '../types.js';
import { cassetteProvider } from './cassette.js';
import { divergences, type ReplayDivergence, type ReplayTurnReport, turnReport } from './compare.js';
import { recordedTools } from './recorded-tools.js';
import { cassetteOf, type Recording, recordingOf } from './recording.js';

export interface ReplayOptions {
  workspace: string;
  config: AgentConfig;
  /** The session: full id, short id or unique prefix. */
  session: string;
  /** Run the tools in the workspace itself instead of a scratch copy. */
  inPlace?: boolean;
  /** Keep the scratch copy (its path is in the report). */
  keep?: boolean;
  env?: NodeJS.ProcessEnv;
  warn?: (message: string) => void;
}

export interface ReplayReport {
  sessionId: string;
  agent: string;
  userId?: string;
  /** Where the tools ran: the scratch copy's path, or the workspace. */
  workspace: string;
  inPlace: boolean;
  /** The scratch copy was kept. */
  kept: boolean;
  /** True when every turn's tool calls, results, final text and outcome match the recording. */
  identical: boolean;
  modelCalls: { recorded: number; replayed: number };
  /** Tools answered from the recording instead of run. */
  fromRecording: string[];
  turns: ReplayTurnReport[];
  divergences: ReplayDivergence[];
  /** What the replay could not reproduce (steering messages, attachments' bytes). */
  notes: string[];
  /** The recording's model replies as a testkit scenario (`oxydra mock-llm --scenario`). */
  cassette: Scenario;
}

/** A key no cassette needs, so configured providers open without the user's credentials. */
const NO_KEY = 'oxydra-replay-needs-no-key';
/** What an Oxydra workspace copy leaves out: the databases and snapshots, not the user's files. */
const NOT_COPIED = /^\.oxydra\/(kernel\.db|memory\.db|checkpoints\.git|audit\.jsonl|audit-head\.json)/;

export async function replaySession(options: ReplayOptions): Promise<ReplayReport> {
  const { config, workspace } = options;
  const recording = await readRecording(options);
  if (recording.turns.length === 0) {
    throw new UsageError(`session ${recording.sessionId} has no recorded turn to replay`);
  }
  const inPlace = options.inPlace === true;
  const scratch = inPlace ? undefined : await scratchCopy(workspace, config.tools.sandbox.run_as);
  const target = scratch?.workspace ?? workspace;
  const env = options.env ?? process.env;
  const cassette = cassetteProvider(recording);
  const warn = options.warn ?? ((message: string) => process.stderr.write(`warning: ${message}\n`));
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
    const notes = recording.turns.flatMap((turn) =>
      turn.steering > 0
        ? [`turn ${turn.turn}: ${turn.steering} message(s) sent while it ran (steering) are not replayed`]
        : [],
    );
    return {
      sessionId: recording.sessionId,
      agent: recording.agent ?? 'default',
      ...(recording.userId !== undefined ? { userId: recording.userId } : {}),
      workspace: target,
      inPlace,
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

async function readRecording(options: ReplayOptions): Promise<Recording> {
  const { config, workspace } = options;
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
    const ids = await memory.sessions.lookup(options.session);
    if (ids.length !== 1) {
      throw new UsageError(sessionIdProblem(options.session, ids), {
        ...(ids.length === 0 ? { hint: 'list them with `oxydra sessions list`' } : {}),
      });
    }
    const session = (await memory.sessions.get(ids[0]!))!;
    return recordingOf(
      {
        id: session.id,
        ...(session.agent ? { agent: session.agent } : {}),
        ...(session.userId ? { userId: session.userId } : {}),
      },
      await memory.sessions.loadEvents(session.id),
    );
  } finally {
    await memory.close();
  }
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

/**
 * A copy of the workspace in a new private temporary folder: every file and folder (symlinks as
 * they are), except Oxydra's databases and checkpoints and what cannot be copied (sockets,
 * devices). As root, the private folder belongs to the user sandboxed commands run as (so they
 * reach the copy, and nobody else does), and in a workspace someone else owns the copy is given
 * to that owner: commands run as the same user, with the same access, as in the workspace.
 */
async function scratchCopy(workspace: string, runAs: string): Promise<{ root: string; workspace: string }> {
  const root = await mkdtemp(join(tmpdir(), 'oxydra-replay-'));
  const copy = join(root, 'workspace');
  try {
    await cp(workspace, copy, {
      recursive: true,
      verbatimSymlinks: true,
      preserveTimestamps: true,
      filter: async (source) => {
        const path = relative(workspace, source).split(sep).join('/');
        if (NOT_COPIED.test(path)) return false;
        const info = await lstat(source);
        return info.isFile() || info.isDirectory() || info.isSymbolicLink();
      },
    });
    const owner = await stat(workspace);
    if (owner.uid !== 0 && process.geteuid?.() === 0) await giveTree(copy, owner.uid, owner.gid);
    const identity = sandboxIdentity(copy, runAs);
    if (identity) await chown(root, identity.uid, identity.gid);
    return { root, workspace: copy };
  } catch (error) {
    await rm(root, { recursive: true, force: true });
    throw error;
  }
}

async function giveTree(path: string, uid: number, gid: number): Promise<void> {
  await lchown(path, uid, gid);
  const info = await lstat(path);
  if (!info.isDirectory()) return;
  for (const entry of await readdir(path)) await giveTree(join(path, entry), uid, gid);
}
