/**
 * The kernel's agents: spawn (synchronous: validate, assemble from cache, record, start the first
 * turn), kill (the agent and all its descendants, awaited until every run ended and so every
 * sandboxed command was killed), wait, list and get. Exited agents stay listed for a while (the
 * newest MAX_EXITED), so a host can still read how one ended: their info and their last result,
 * without what they were given or the messages they ended with (forgetInputs).
 */
import { randomBytes } from 'node:crypto';
import { isFree } from '@oxydra/provider/core';
import type { AgentRunOptions } from '@oxydra/runtime';
import { unenforceableCostLimit } from '@oxydra/runtime';
import { addUsage, ConfigError, type StreamEvent, UsageError } from '@oxydra/types';
import { type AgentAssembly, checkSessionName, DEFAULT_AGENT } from '../assemble/agent.js';
import type { KernelBase } from '../assemble/base.js';
import type { Kernel } from '../kernel-api.js';
import type {
  AgentHandle,
  AgentInfo,
  AgentLimits,
  AgentResult,
  AgentStatus,
  HostKind,
  KernelEvent,
  LifecycleEvent,
  SpawnSpec,
  TurnHandle,
} from '../types.js';
import type { KernelServices } from './agent-turn.js';
import { type AgentRecord, isLive, killSignal, startTurn } from './agent-turn.js';
import type { Approvals } from './approvals.js';
import type { SpendingCaps, UsageMeter } from './budgets/accounts.js';
import { agentScope, capsFor, keptCapsFor, userScope } from './budgets/caps.js';
import type { EventBus } from './event-bus.js';

const MAX_EXITED = 1000;

/** Tools that do not change workspace files, though they have side effects elsewhere. */
const OUTSIDE_WORKSPACE = /^(memory_|scratchpad_|delegate_to_agent$|web_)/;

/** Whether a call of this tool may change the workspace (its run's "before" checkpoint comes first). */
function changesWorkspace(tool: { name: string; safety: string }): boolean {
  return tool.safety !== 'read_only' && !OUTSIDE_WORKSPACE.test(tool.name);
}

export interface AgentTableOptions {
  base: KernelBase;
  bus: EventBus;
  /** How long an approval question waits for an answer before it counts as "deny". */
  approvalTimeoutMs: number;
  clock?: KernelServices['clock'];
  host: HostKind;
  assemble: (spec: SpawnSpec, parent: AgentRecord | undefined) => AgentAssembly;
}

export class AgentTable implements KernelServices {
  readonly #records = new Map<string, AgentRecord>();
  /** Exited agents, oldest first (a Set keeps insertion order and drops its first in O(1)). */
  readonly #exited = new Set<string>();
  readonly #idPrefix = `ag-${randomBytes(2).toString('hex')}-`;
  #counter = 0;
  readonly base: KernelBase;
  readonly bus: EventBus;
  readonly clock: KernelServices['clock'];
  readonly addUsage = addUsage;

  /**
   * Approval questions, asked by this table's agents (approver) and answered through the kernel's
   * `approvals`. The queue and its code (approvals.ts) are made at the first question, which most
   * runs never ask: until then there is nothing to answer or list.
   */
  #questions: Approvals | undefined;
  readonly approvals: Kernel['approvals'] = {
    respond: (id, allow) => this.#questions?.respond(id, allow) ?? false,
    pending: () => this.#questions?.pending() ?? [],
  };

  constructor(private readonly options: AgentTableOptions) {
    this.base = options.base;
    this.bus = options.bus;
    this.clock = options.clock;
  }

  /** The kernel's `agents` system calls over this table; spawn refuses once `closed()`. */
  calls(closed: () => boolean): Kernel['agents'] {
    return {
      spawn: (spec) => {
        if (closed()) throw new Error('the kernel is closed');
        return this.spawn(spec);
      },
      wait: (id) => this.wait(id),
      kill: (id, reason) => this.kill(id, reason),
      list: (filter) => this.list(filter),
      get: (id) => this.get(id),
    };
  }

  spawn(spec: SpawnSpec): AgentHandle {
    const parent = spec.parentId !== undefined ? this.#live(spec.parentId) : undefined;
    const depth = parent ? parent.depth + 1 : 0;
    const maxDepth = this.base.config.runtime.max_delegation_depth;
    if (depth > maxDepth) {
      throw new UsageError(`delegation is limited to ${maxDepth} levels ([runtime] max_delegation_depth)`);
    }
    checkSessionName(this.base, spec.sessionId);
    // Awaited at the run's first append, which may come after it rejected: handled from now.
    spec.sessionWrites?.after?.catch(() => {});
    const assembly = this.options.assemble(spec, parent);
    const record = this.#record(spec, parent, depth, assembly);
    this.#checkPricing(record);
    this.#records.set(record.info.id, record);
    parent?.children.add(record);
    if (spec.signal?.aborted) record.killed = 'the caller aborted';
    if (spec.signal) {
      const signal = spec.signal;
      const onAbort = () => void this.kill(record.info.id, 'the caller aborted');
      signal.addEventListener('abort', onAbort, { once: true });
      record.detach = () => signal.removeEventListener('abort', onAbort);
    }
    const events = this.bus.subscribe({ tree: record.info.id });
    this.publish(record, {
      type: 'agent_spawned',
      agentId: record.info.id,
      ...(parent ? { parentAgentId: parent.info.id } : {}),
      name: record.info.name,
      task: taskText(spec.prompt),
    });
    const turn = startTurn(this, record, spec.prompt, events);
    return this.#handle(record, turn);
  }

  /** Kills the agent and every descendant; settles once all of them have exited. */
  async kill(id: string, reason = 'killed'): Promise<void> {
    const record = this.#records.get(id);
    if (!record || !isLive(record)) return;
    if (record.killed === undefined) {
      record.killed = reason;
      record.abort?.abort(new Error(reason));
      record.run?.cancel(reason);
    }
    await this.killChildren(record, reason);
    if (record.info.status === 'idle') this.exit(record, 'killed', reason);
    await record.exited;
  }

  /** Kills every agent (the kernel is closing); settles once all of them have exited. */
  async killAll(reason: string): Promise<void> {
    const roots = [...this.#records.values()].filter((record) => record.parent === undefined);
    await Promise.all(roots.map((record) => this.kill(record.info.id, reason)));
  }

  /** Resolves when the agent is no longer starting or running, with its last turn's result. */
  async wait(id: string): Promise<AgentResult> {
    const record = this.#records.get(id);
    if (!record)
      throw new UsageError(`no agent ${id}`, { hint: 'agents.list() shows the agents the kernel knows' });
    return (await record.turn)!;
  }

  list(filter: { parentId?: string; status?: AgentStatus } = {}): AgentInfo[] {
    const infos: AgentInfo[] = [];
    for (const record of this.#records.values()) {
      if (filter.parentId !== undefined && record.parent?.info.id !== filter.parentId) continue;
      if (filter.status !== undefined && record.info.status !== filter.status) continue;
      infos.push({ ...record.info });
    }
    return infos;
  }

  get(id: string): AgentInfo | undefined {
    const record = this.#records.get(id);
    return record ? { ...record.info } : undefined;
  }

  record(id: string): AgentRecord | undefined {
    return this.#records.get(id);
  }

  /** The agent and its ancestors, nearest first. */
  lineage(agentId: string): readonly string[] {
    return this.#records.get(agentId)?.lineage ?? [];
  }

  // ---- KernelServices: what agent-turn.ts uses ----

  publish(record: AgentRecord, event: StreamEvent | LifecycleEvent): void {
    const { info, parent } = record;
    try {
      this.base.audit.observe(info.id, event);
    } catch (error) {
      // Fail closed: an agent whose actions cannot be recorded does not go on acting.
      const reason = `the audit chain cannot be written (${error instanceof Error ? error.message : String(error)})`;
      if (isLive(record) && record.killed === undefined) void this.kill(info.id, reason);
    }
    // Built field by field rather than with conditional spreads (a temporary object each): this
    // runs for every event. The fields keep their order (agentId, parentAgentId, sessionId, userId, event).
    const envelope: Omit<KernelEvent, 'seq'> = { agentId: info.id } as Omit<KernelEvent, 'seq'>;
    if (parent) envelope.parentAgentId = parent.info.id;
    if (info.sessionId !== undefined) envelope.sessionId = info.sessionId;
    if (info.userId !== undefined) envelope.userId = info.userId;
    envelope.event = event;
    this.bus.publish(envelope);
  }

  limitsOf(record: AgentRecord): AgentLimits {
    const { settings } = record.assembly;
    const limits = record.spec.limits ?? {};
    const maxCostUsd = limits.maxCostUsd ?? settings.maxCostUsd;
    const maxCostSource =
      limits.maxCostUsd !== undefined
        ? (limits.maxCostSource ?? 'the spawn limit maxCostUsd')
        : settings.maxCostSource;
    const agentLimits: AgentLimits = { maxTurns: limits.maxTurns ?? settings.maxTurns };
    if (maxCostUsd !== undefined) agentLimits.maxCostUsd = maxCostUsd;
    if (maxCostSource !== undefined) agentLimits.maxCostSource = maxCostSource;
    return agentLimits;
  }

  /** Before an agent's call that can change the workspace: its root run's "before" checkpoint. */
  async beforeChange(tool: { name: string; safety: string }, agentId: string | undefined): Promise<void> {
    if (!changesWorkspace(tool) || agentId === undefined) return;
    let record = this.#records.get(agentId);
    while (record?.parent) record = record.parent;
    await record?.checkpoints?.ensureBefore();
  }

  spendingCaps(record: AgentRecord): SpendingCaps {
    const { config, spending } = this.base;
    const who = { userId: record.info.userId, agent: record.assembly.name };
    const scopes: [string, string] = [userScope(who.userId), agentScope(who.agent)];
    return {
      ledger: spending,
      caps: () => capsFor(config, spending, who),
      keptCaps: () => keptCapsFor(config, spending, who, scopes),
      scopes,
      // A model declared free (a local server) costs nothing: reserving for it would only make
      // a small cap refuse calls that spend $0.
      minimumUsd: isFree(record.assembly.model.prices) ? 0 : config.budgets.reserve_usd,
    };
  }

  usageMeter(record: AgentRecord): UsageMeter | undefined {
    const log = this.base.usageLog;
    if (!log) return undefined;
    const { info, assembly } = record;
    return {
      log,
      source: {
        agentId: info.id,
        agentName: assembly.name,
        ...(info.userId !== undefined ? { userId: info.userId } : {}),
        ...(info.sessionId !== undefined ? { sessionId: info.sessionId } : {}),
        provider: assembly.providerName,
        model: assembly.model.id,
      },
    };
  }

  approver(record: AgentRecord): AgentRunOptions['approve'] {
    for (let at: AgentRecord | undefined = record; at; at = at.parent) {
      if (at.spec.askApprovals === true) {
        const signal = killSignal(record);
        return async (request) => (await this.#questionQueue()).approverFor(record.info.id, signal)(request);
      }
      if (at.spec.askApprovals === false) break;
    }
    return this.options.host === 'cli' ? undefined : this.#nobodyApproves;
  }

  async #questionQueue(): Promise<Approvals> {
    // Imported before the check, so two first questions at once share one queue.
    const { Approvals } = await import('./approvals.js');
    this.#questions ??= new Approvals({
      timeoutMs: this.options.approvalTimeoutMs,
      publish: (agentId, event) => {
        const record = this.record(agentId);
        if (record) this.publish(record, event);
      },
    });
    return this.#questions;
  }

  /** The approver of a host without a terminal: one for every turn, it only names the host. */
  readonly #nobodyApproves: NonNullable<AgentRunOptions['approve']> = async (request) => {
    throw new Error(
      `nobody can approve ${request.toolName} over the ${this.options.host} (no connected client answers approval questions); ` +
        `set [tools] approval = "auto" in its configuration to let agents run it, or connect a client that answers approvals`,
    );
  };

  async killChildren(record: AgentRecord, reason: string): Promise<void> {
    await Promise.all([...record.children].map((child) => this.kill(child.info.id, reason)));
  }

  exit(record: AgentRecord, status: 'completed' | 'failed' | 'killed', reason?: string): void {
    if (!isLive(record)) return;
    record.info.status = status;
    // The reason set on the event only when given (no temporary object for a spread; same fields).
    const exited: Extract<LifecycleEvent, { type: 'agent_exited' }> = {
      type: 'agent_exited',
      agentId: record.info.id,
      status,
    };
    if (reason !== undefined) exited.reason = reason;
    this.publish(record, exited);
    record.parent?.children.delete(record);
    record.session = undefined;
    record.history = [];
    forgetInputs(record);
    record.markExited();
    this.#exited.add(record.info.id);
    if (this.#exited.size > MAX_EXITED) {
      const oldest = this.#exited.values().next().value as string;
      this.#exited.delete(oldest);
      this.#records.delete(oldest);
    }
  }

  #live(id: string): AgentRecord {
    const record = this.#records.get(id);
    if (!record || !isLive(record)) throw new UsageError(`no running agent ${id} to spawn under`);
    return record;
  }

  #record(
    spec: SpawnSpec,
    parent: AgentRecord | undefined,
    depth: number,
    assembly: AgentAssembly,
  ): AgentRecord {
    let markExited: () => void = () => {};
    const exited = new Promise<void>((resolve) => {
      markExited = resolve;
    });
    const id = `${this.#idPrefix}${(++this.#counter).toString(36)}`;
    return {
      info: {
        id,
        ...(parent ? { parentId: parent.info.id } : {}),
        name: spec.agent ?? DEFAULT_AGENT,
        status: 'starting',
        ...(spec.userId !== undefined ? { userId: spec.userId } : {}),
        startedAt: Date.now(),
        turns: 0,
        usage: {},
        costUsd: 0,
      },
      parent,
      lineage: parent ? [id, ...parent.lineage] : [id],
      children: new Set(),
      depth,
      spec,
      assembly,
      history: spec.history ?? [],
      exited,
      markExited,
    };
  }

  /** A dollar limit (its own or an ancestor's) this model's unknown prices cannot enforce is refused now. */
  #checkPricing(record: AgentRecord): void {
    const { model, providerName } = record.assembly;
    for (let at: AgentRecord | undefined = record; at; at = at.parent) {
      const { maxCostUsd, maxCostSource } = this.limitsOf(at);
      const error = unenforceableCostLimit(maxCostUsd, model, providerName, maxCostSource);
      if (error) {
        throw at === record
          ? error
          : new ConfigError(
              `agent ${record.info.name}: ${error.message} (the limit is its parent agent's)`,
              { keyPath: maxCostSource ?? 'runtime.max_cost' },
              error.hint !== undefined ? { hint: error.hint } : {},
            );
      }
    }
  }

  #handle(record: AgentRecord, first: TurnHandle): AgentHandle {
    return new Handle(this, record, first);
  }
}

/**
 * What an exited agent stops holding while it stays listed. A stateless API request hands the
 * whole conversation in (spec.history) and gets it back with the answer (result.messages): kept
 * for the newest MAX_EXITED agents, that is 1,000 copies of whatever clients send (~4 KB an
 * agent for a one-line prompt, megabytes for long conversations). The spawner's own handle
 * keeps its full result; `wait` on an exited agent gives the result without its messages.
 */
function forgetInputs(record: AgentRecord): void {
  record.detach?.();
  record.detach = undefined;
  const { spec } = record;
  record.spec = {
    prompt: '',
    ...(spec.agent !== undefined ? { agent: spec.agent } : {}),
    ...(spec.userId !== undefined ? { userId: spec.userId } : {}),
    ...(spec.sessionId !== undefined ? { sessionId: spec.sessionId } : {}),
    ...(spec.parentId !== undefined ? { parentId: spec.parentId } : {}),
  };
  const turn = record.turn;
  if (turn) {
    record.turn = turn.then((result) => ({ ...result, messages: [] }));
    // Whoever waits sees a failure; nobody waiting is not an unhandled rejection.
    record.turn.catch(() => {});
  }
}

/** What spawn returns: a class, not an object literal with getters, since spawn is on the hot path. */
class Handle implements AgentHandle {
  readonly events: TurnHandle['events'];
  readonly result: TurnHandle['result'];

  constructor(
    private readonly table: AgentTable,
    private readonly record: AgentRecord,
    first: TurnHandle,
  ) {
    this.events = first.events;
    this.result = first.result;
  }

  get id(): string {
    return this.record.info.id;
  }
  get parentId(): string | undefined {
    return this.record.parent?.info.id;
  }
  get name(): string {
    return this.record.info.name;
  }
  get status(): AgentStatus {
    return this.record.info.status;
  }
  get sessionId(): string | undefined {
    return this.record.info.sessionId;
  }
  steer(text: string): void {
    this.record.run?.steer(text);
  }
  interrupt(reason?: string): void {
    this.record.run?.cancel(reason);
  }
  send(prompt: SpawnSpec['prompt']): TurnHandle {
    const { info } = this.record;
    if (info.status !== 'idle') {
      throw new UsageError(`agent ${info.id} is ${info.status}, not idle: it cannot take a turn now`);
    }
    info.status = 'starting';
    return startTurn(this.table, this.record, prompt);
  }
  cancel(reason?: string): Promise<void> {
    return this.table.kill(this.record.info.id, reason);
  }
  close(): void {
    if (this.record.info.status === 'idle') this.table.exit(this.record, 'completed');
  }
}

function taskText(prompt: SpawnSpec['prompt']): string {
  const text =
    typeof prompt === 'string'
      ? prompt
      : prompt.map((part) => (part.type === 'text' ? part.text : '')).join(' ');
  return text.length > 500 ? `${text.slice(0, 500)}…` : text;
}
