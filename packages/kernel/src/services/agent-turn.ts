/**
 * One turn of an agent: open its session (first turn), start the run with its budgets, shared
 * ledger and approver (a kill cancels the run), publish every event in an envelope, and settle
 * the record when the run ends: stop any sub-agent still running, then idle (keepAlive) or exit.
 */
import { addCost } from '@oxydra/provider/core';
import { type AgentRun, type AgentRunOptions, type Clock, startAgentRun } from '@oxydra/runtime';
import {
  type ContentPart,
  type Message,
  OxydraError,
  type RunEndEvent,
  type StreamEvent,
  type TurnEndWrites,
  type Usage,
} from '@oxydra/types';
import type { AgentAssembly } from '../assemble/agent.js';
import { type OpenedSession, openSession } from '../assemble/agent.js';
import type { KernelBase } from '../assemble/base.js';
import { promptProvenance, recallUnderPolicy } from '../assemble/permissions.js';
import type {
  AgentInfo,
  AgentLimits,
  AgentResult,
  LifecycleEvent,
  SpawnSpec,
  Subscription,
  TurnHandle,
} from '../types.js';
import { BudgetAccount, type SpendingCaps, type UsageMeter } from './budgets/accounts.js';
import type { EventBus } from './event-bus.js';
import type { RunCheckpoints, RunSession } from './history/run-checkpoints.js';
import type { WorkspaceHistory } from './history/workspace-history.js';

export function startTurn(
  services: KernelServices,
  record: AgentRecord,
  prompt: string | ContentPart[],
  // Subscribed before anything of the turn is published, so its stream misses nothing.
  events: Subscription = services.bus.subscribe({ tree: record.info.id }),
): TurnHandle {
  const result = runTurn(services, record, prompt).finally(() => events.close());
  record.turn = result;
  return { events, result };
}

async function runTurn(
  services: KernelServices,
  record: AgentRecord,
  prompt: string | ContentPart[],
): Promise<AgentResult> {
  const { info, spec, assembly } = record;
  const publish = (event: StreamEvent | LifecycleEvent) => services.publish(record, event);
  let result: AgentResult;
  let ending: RunEndEvent | undefined;
  try {
    // The chain opens at the first turn (assemble/base.ts HeldAudit): one that cannot fails the turn.
    if (!services.base.audit.opened) await services.base.audit.open();
    if (!record.session && spec.persist !== false && services.base.memory) {
      record.session = await openSession(services.base, services.base.memory, {
        ...(spec.sessionId !== undefined ? { id: spec.sessionId } : {}),
        ...(spec.userId !== undefined ? { userId: spec.userId } : {}),
        ...(spec.agent !== undefined ? { agent: spec.agent } : {}),
        ...(spec.sessionWrites ? { writes: spec.sessionWrites } : {}),
        ...(record.parent?.info.sessionId !== undefined
          ? { parentSessionId: record.parent.info.sessionId }
          : {}),
        payer: () => record.account,
      });
      info.sessionId = record.session.id;
      if (spec.history === undefined) record.history = record.session.history;
    }
    const history = services.base.history;
    if (!record.parent && history) record.checkpoints = turnCheckpoints(services, record, history);
    const limits = services.limitsOf(record);
    record.account = new BudgetAccount(
      `agent ${info.name}`,
      limits,
      record.parent?.account,
      services.spendingCaps(record),
      services.usageMeter(record),
    );
    // A delegated task says everything the child needs: recalling the user's other conversations
    // (its siblings' among them) would only add noise. Its memory tools still search on request.
    const { recall, ...sessionOptions } = record.session?.options ?? {};
    const fromPrompt =
      prompt === spec.prompt ? promptProvenance(assembly.taint, spec.provenance, spec.userId) : undefined;
    // One literal, then the optional fields assigned: each conditional spread allocated a
    // temporary object, on every turn (a later field still wins over the session's, as before).
    // The base's fields are named, not spread: spreading `assembly.base` here left 3.7 KB more
    // garbage per turn (measured, kernel-longrun: 62 -> 58 KB; V8's generic copy, it seems).
    const { base } = assembly;
    const options: AgentRunOptions = {
      provider: base.provider,
      model: base.model,
      tools: base.tools,
      workspace: base.workspace,
      systemPrompt: base.systemPrompt,
      contextBudget: base.contextBudget,
      ...sessionOptions,
      agentId: info.id,
      prompt,
      // Audited when it taints the run: a coding run reads many workspace files, and an entry for
      // each trusted one would bury the sources that matter.
      onProvenance: (provenance) => {
        if (assembly.taint.enabled && assembly.taint.untrusted.has(provenance.kind))
          services.base.audit.provenance(info.id, provenance, info.sessionId);
      },
      history: record.history,
      budgets: runBudgets(
        limits,
        assembly.settings.turnTimeoutMs,
        spec.limits?.maxWallMs,
        assembly.permissions.maxRunSecs,
      ),
      ledger: record.account,
      onEvent: (event) => {
        // The outcome is held until the turn's sub-agents have exited: it is the turn's last word.
        if (event.type === 'run_completed' || event.type === 'run_failed') ending = event;
        else publish(event);
      },
    };
    if (recall && !record.parent) options.recall = recallUnderPolicy(assembly.taint, recall);
    if (spec.userId !== undefined) options.userId = spec.userId;
    if (fromPrompt) options.promptProvenance = fromPrompt;
    if (spec.inheritedProvenance?.length) options.inheritedProvenance = spec.inheritedProvenance;
    const context = services.base.plugins?.contextHook(scopeOf(record));
    if (context) options.context = context;
    if (services.clock) options.clock = services.clock;
    const approve = services.approver(record);
    if (approve) options.approve = approve;
    const run = startAgentRun(options);
    record.run = run;
    info.status = 'running';
    // Killed while its session was opening: the run ends at once, as cancelled.
    if (record.killed !== undefined) run.cancel(record.killed);
    const ended = await run.result;
    // A copy then two fields, as a spread with a conditional one would make (measured: 0.8 KB
    // less garbage per turn than the spread).
    result = Object.assign({}, ended) as AgentResult;
    result.agentId = info.id;
    if (info.sessionId !== undefined) result.sessionId = info.sessionId;
  } catch (error) {
    // The run never started (its session could not be opened): end the turn like a failed run.
    const failure = failedBeforeStart(error);
    ending = failure;
    result = {
      status: 'failed',
      text: '',
      usage: {},
      costUsd: 0,
      turns: 0,
      messages: record.history,
      error: failure.error!,
      agentId: info.id,
      ...(info.sessionId !== undefined ? { sessionId: info.sessionId } : {}),
    };
  }
  record.run = undefined;
  record.account?.releaseReservation();
  info.turns += result.turns;
  info.usage = services.addUsage(info.usage, result.usage);
  info.costUsd = addCost(info.costUsd, result.costUsd);
  record.history = result.messages;
  // A turn's sub-agents do not outlive it (most turns have none: no reason text, array and
  // Promise.all made for them).
  if (record.children.size > 0)
    await services.killChildren(record, `its parent agent ${info.id} ended its turn`);
  await record.checkpoints?.finish();
  record.checkpoints = undefined;
  // Named to nobody (a stateless gateway turn): not waited for (docs/postgres.md, "Eleventh round").
  const namesHead = spec.auditHead !== false || info.sessionId !== undefined;
  if (!namesHead) services.base.audit.keepHeadFile();
  const auditHead = namesHead
    ? await anchorAudit(services, info.sessionId, spec.sessionWrites?.end)
    : undefined;
  if (auditHead) result.auditHead = auditHead;
  if (ending) publish(withOutcome(ending, info.sessionId, auditHead));
  evaluateTurn(services, record, prompt, result);
  const killed = record.killed !== undefined;
  if (spec.keepAlive && !killed) info.status = 'idle';
  else
    services.exit(
      record,
      killed ? 'killed' : result.status === 'completed' ? 'completed' : 'failed',
      result.error?.message,
    );
  return result;
}

/**
 * A root turn's checkpoints, made at its first call that can change the workspace: a turn that
 * only reads and talks loads neither the history's modules nor takes a run id.
 */
function turnCheckpoints(
  services: KernelServices,
  record: AgentRecord,
  history: () => Promise<WorkspaceHistory>,
): TurnCheckpoints {
  const { base } = services;
  let opened: Promise<RunCheckpoints | undefined> | undefined;
  const open = () =>
    (opened ??= Promise.all([history(), import('./history/run-checkpoints.js')]).then(
      ([history, { RunCheckpoints }]) =>
        new RunCheckpoints(
          history,
          record.assembly.name,
          base.warn,
          runSession(services, record.info.sessionId),
        ),
      (error: unknown) => {
        base.warn(
          `could not checkpoint the workspace, so this run cannot be undone: ${(error as Error).message}`,
        );
        return undefined;
      },
    ));
  return {
    ensureBefore: async () => (await open())?.ensureBefore(),
    finish: async () => (await opened)?.finish(),
  };
}

/** The run's session, named in its "before" checkpoint (so a replay can start from it). */
function runSession(services: KernelServices, sessionId: string | undefined): RunSession | undefined {
  const memory = services.base.memory;
  if (sessionId === undefined || !memory) return undefined;
  return {
    id: sessionId,
    lastSeq: async () => (await memory.db.sessions.stamp(sessionId))?.lastSeq,
  };
}

/**
 * The outcome line names the session (a script continues it with --session) and the audit
 * chain's head (so truncating the chain's tail afterwards is detected).
 */
function withOutcome(
  event: StreamEvent,
  sessionId: string | undefined,
  auditHead: { seq: number; hash: string } | undefined,
): StreamEvent {
  if (event.type !== 'run_completed' && event.type !== 'run_failed') return event;
  // Copied then completed, as the result is (runTurn): no temporary per conditional field.
  const outcome = Object.assign({}, event);
  if (sessionId !== undefined) outcome.sessionId = sessionId;
  if (auditHead) outcome.auditHead = auditHead;
  return outcome;
}

/** The run's budgets; its wall-clock limit is the tighter of the spawn's and the agent's max_run_secs. */
function runBudgets(
  limits: AgentLimits,
  turnTimeoutMs: number,
  spawnMs: number | undefined,
  maxRunSecs: number | undefined,
): AgentRunOptions['budgets'] {
  const budgets: AgentRunOptions['budgets'] = { maxTurns: limits.maxTurns, turnTimeoutMs };
  if (limits.maxCostUsd !== undefined) budgets.maxCostUsd = limits.maxCostUsd;
  const agentMs = maxRunSecs === undefined ? undefined : maxRunSecs * 1000;
  const maxWallMs =
    spawnMs === undefined ? agentMs : agentMs === undefined ? spawnMs : Math.min(spawnMs, agentMs);
  if (maxWallMs !== undefined) budgets.maxWallMs = maxWallMs;
  return budgets;
}

/** Records the chain's head in the head file and the session; a failure is a warning, not a lost turn. */
async function anchorAudit(
  services: KernelServices,
  sessionId: string | undefined,
  end: TurnEndWrites | undefined,
): Promise<{ seq: number; hash: string } | undefined> {
  try {
    return await services.base.audit.anchor(services.base.memory?.db.sessions, sessionId, end ? { end } : {});
  } catch (error) {
    services.base.warn(
      `could not record the audit chain's head: ${error instanceof Error ? error.message : String(error)}`,
    );
    return services.base.audit.head();
  }
}

function failedBeforeStart(error: unknown): RunEndEvent {
  const code = error instanceof OxydraError ? error.code : 'internal_error';
  const message = error instanceof Error ? error.message : String(error);
  return { type: 'run_failed', text: '', usage: {}, costUsd: 0, turns: 0, error: { code, message } };
}

/** Hands the finished turn to the plugins' evaluators (in the background). */
function evaluateTurn(
  services: KernelServices,
  record: AgentRecord,
  prompt: string | ContentPart[],
  result: AgentResult,
): void {
  const plugins = services.base.plugins;
  if (!plugins) return;
  plugins.afterTurn({
    ...scopeOf(record),
    status:
      result.status === 'completed' ? 'completed' : result.status === 'cancelled' ? 'cancelled' : 'failed',
    prompt:
      typeof prompt === 'string'
        ? prompt
        : prompt.map((part) => (part.type === 'text' ? part.text : '')).join(''),
    answer: result.text,
    messages: result.messages,
  });
}

function scopeOf(record: AgentRecord) {
  const { info } = record;
  return {
    agentId: info.id,
    agent: record.assembly.name,
    ...(info.sessionId !== undefined ? { sessionId: info.sessionId } : {}),
    ...(info.userId !== undefined ? { userId: info.userId } : {}),
  };
}

/**
 * What the kernel keeps about one agent: where it sits in the tree, its assembly, its current
 * run and budget account, its conversation (for keepAlive agents) and how to stop it. Records
 * are plain data; the turn (above) drives them and agent-table.ts owns them.
 */
export interface AgentRecord {
  info: AgentInfo;
  parent: AgentRecord | undefined;
  /**
   * Its id and its ancestors', nearest first: fixed at spawn, and walked by the event bus for
   * every event it publishes (a generator walking the parents allocated at each one).
   */
  lineage: readonly string[];
  children: Set<AgentRecord>;
  /** 0 for an agent a host spawned, parent's + 1 for a delegated one. */
  depth: number;
  spec: SpawnSpec;
  assembly: AgentAssembly;
  /** Why the agent was killed, once it was: its runs are cancelled and it takes no more turns. */
  killed?: string;
  /**
   * Aborted when the agent is killed, made only for those who wait on it (an approval question):
   * AbortControllers are costly enough to matter at thousands of agents a second.
   */
  abort?: AbortController;
  /** The run of the current turn, while one runs. */
  run?: AgentRun;
  /** The current (or last) turn's account: what it and its sub-agents spent against its limits. */
  account?: BudgetAccount;
  /** A root agent's current turn's checkpoints (its sub-agents' changes are part of its run). */
  checkpoints?: TurnCheckpoints;
  /** The conversation so far, for the next turn of a keepAlive agent. */
  history: Message[];
  session?: OpenedSession;
  /** The current turn's result (also the last one's, once it ended). */
  turn?: Promise<AgentResult>;
  /** Removes the listener on the spawner's abort signal (once the agent has exited). */
  detach?: (() => void) | undefined;
  /** Settles when the agent has exited. */
  exited: Promise<void>;
  markExited: () => void;
}

export const isLive = (record: AgentRecord): boolean =>
  record.info.status === 'starting' || record.info.status === 'running' || record.info.status === 'idle';

/** A signal aborted when the agent is killed (made on first use). */
export function killSignal(record: AgentRecord): AbortSignal {
  record.abort ??= new AbortController();
  if (record.killed !== undefined && !record.abort.signal.aborted)
    record.abort.abort(new Error(record.killed));
  return record.abort.signal;
}

/** A turn's checkpoints (history/run-checkpoints.ts), made at its first change (above). */
interface TurnCheckpoints {
  /** Before a call that can change the workspace: the run's "before" checkpoint, once. */
  ensureBefore(): Promise<unknown>;
  /** When the turn ends: its "after" checkpoint, if it took a "before". */
  finish(): Promise<void>;
}

/**
 * What one agent turn needs from the kernel (the turn, above), kept as an interface so the turn
 * driver does not reach into the agent table's internals.
 */
export interface KernelServices {
  base: KernelBase;
  bus: EventBus;
  clock: Clock | undefined;
  publish(record: AgentRecord, event: StreamEvent | LifecycleEvent): void;
  /** The turn and dollar limits of the agent's runs: the spawn's over the agent's configured ones. */
  limitsOf(record: AgentRecord): AgentLimits;
  /** The persistent caps of the agent's model calls: its user's and its agent name's. */
  spendingCaps(record: AgentRecord): SpendingCaps;
  /** Where the agent's calls are entered in the usage log (undefined: no log, a replay). */
  usageMeter(record: AgentRecord): UsageMeter | undefined;
  /**
   * How this agent's approval questions are answered: through events when somebody answers
   * them (its own spawn says so, else its parent's); otherwise no approver (the registry then
   * denies, saying how to allow it), or, for hosts without a terminal, an approver that denies
   * with that host's way out.
   */
  approver(record: AgentRecord): AgentRunOptions['approve'];
  killChildren(record: AgentRecord, reason: string): Promise<void>;
  exit(record: AgentRecord, status: 'completed' | 'failed' | 'killed', reason?: string): void;
  addUsage(a: Usage, b: Usage): Usage;
}
