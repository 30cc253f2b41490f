/**
 * Splitting a spec run's work across sub-agents (Oxios's Ouroboros splits a directive with three
 * or more criteria). With at least SPLIT_MIN_CRITERIA criteria of which at least two are marked
 * independent, each independent criterion's work runs in a sub-agent of its own, spawned under
 * the attempt's parent agent (kernel.agents.spawn with parentId, as delegate_to_agent does), told
 * the goal, the constraints and only its criterion; the parent does the other criteria as an
 * unsplit attempt would. A retry runs again only what failed: the parent when one of its criteria
 * failed, and the sub-agent of each failed independent criterion.
 *
 * The sub-agents run one after another, after the parent's turn, never at once: they share one
 * workspace (and its checkpoints), and nothing proves two criteria's work touches disjoint files
 * (the independence mark is a model's or a user's claim, not a sandbox), so two at once could
 * overwrite each other's edits. Each is given the limit services/budgets/spec-run-budget.ts decides (what is left of
 * the run's dollar limit), and a spent limit stops the attempt before the next one.
 */

import type { RunBudget } from '../services/budgets/spec-run-budget.js';
import type { AgentHandle, AgentResult, SpawnSpec } from '../types.js';
import type { DirectiveInput } from './crystallize.js';
import type { Criterion, Directive } from './directive.js';
import type { CriterionResult } from './mechanical.js';
import { attemptPrompt, failureLines } from './prompts.js';
import type { SubAgentRecord } from './record.js';
import type { SpecKernel } from './spec-kernel.js';

/** Fewer criteria than this are one agent's work (Oxios splits at three). */
const SPLIT_MIN_CRITERIA = 3;

export interface SplitPlan {
  /** The parent's criteria (not independent; the first one when every criterion is). */
  parent: Criterion[];
  /** One sub-agent each. */
  split: Criterion[];
}

/**
 * The plan for a directive, or undefined when its work stays one agent's: too few criteria, fewer
 * than two independent ones, or delegation turned off ([runtime] max_delegation_depth = 0).
 * When every criterion is independent the parent keeps the first: it has to run (it is the
 * sub-agents' parent), so it does real work rather than a turn that only hands out tasks.
 */
export function splitPlan(directive: Directive, maxDelegationDepth: number): SplitPlan | undefined {
  const { criteria } = directive;
  if (maxDelegationDepth < 1 || criteria.length < SPLIT_MIN_CRITERIA) return undefined;
  let split = criteria.filter((c) => c.independent);
  if (split.length === criteria.length) split = split.slice(1);
  if (split.length < 2) return undefined;
  return { parent: criteria.filter((c) => !split.includes(c)), split };
}

export type AttemptStatus = SubAgentRecord['status'];

export function attemptStatus(result: AgentResult): AttemptStatus {
  return result.status === 'completed' ? 'completed' : result.status === 'cancelled' ? 'killed' : 'failed';
}

/** What one attempt's work did, split or not, for the runner to evaluate and record. */
export interface AttemptWork {
  agentId: string;
  status: AttemptStatus;
  /** The answers the judges see as the agent's answer. */
  answer: string;
  costUsd: number | null;
  sessionId?: string;
  subAgents?: SubAgentRecord[];
  /** Set when the run must stop after this attempt (cancelled, budget). */
  stopped?: string;
}

/** What the runner lends a split attempt: its spending and its hosts' hooks. */
export interface SplitContext {
  kernel: SpecKernel;
  directive: Directive;
  input: DirectiveInput;
  preamble: string | undefined;
  spawn: Omit<SpawnSpec, 'prompt'>;
  /** The run's dollar limit: what each agent of the split is given, and when nothing is left. */
  budget: Pick<RunBudget, 'limit' | 'subAgentLimits' | 'spentReason'>;
  onAttempt?(agent: AgentHandle, attempt: number): Promise<void>;
  onSubAgent?(agent: AgentHandle, attempt: number, criterion: Criterion): Promise<void>;
}

/** Why a finished run stops the spec run (cancelled, budget), if it does. */
export function stopReason(result: AgentResult, signal: AbortSignal | undefined): string | undefined {
  if (signal?.aborted || result.status === 'cancelled') return 'cancelled';
  if (result.error?.code === 'budget_exceeded') return `budget: ${result.error.message}`;
  return undefined;
}

const addCost = (a: number | null, b: number | null) => (a === null || b === null ? null : a + b);

/**
 * The split work of a spec run across its attempts: the parent stays alive (idle) between its
 * turns so a retry that only re-runs sub-agents has a parent to spawn them under; each
 * criterion's sub-agent continues its own session on a retry, so it sees what it did before.
 */
export class SplitRun {
  #parent: AgentHandle | undefined;
  readonly #sessions = new Map<string, string>();

  constructor(
    private readonly context: SplitContext,
    private readonly plan: SplitPlan,
  ) {}

  async attempt(n: number, previous: CriterionResult[] | undefined, sessionId: string | undefined) {
    const failed = (c: Criterion) => !previous || previous.some((r) => r.id === c.id && !r.passed);
    const work: AttemptWork = { agentId: '', status: 'completed', answer: '', costUsd: 0 };
    const parentWork = this.plan.parent.filter(failed);
    if (parentWork.length > 0 || !this.#parentLive()) {
      await this.#runParent(n, parentWork, previous, sessionId, work);
      if (work.stopped !== undefined) return work;
    } else {
      work.agentId = this.#parent!.id;
    }
    work.subAgents = [];
    for (const criterion of this.plan.split.filter(failed)) {
      const spent = this.context.budget.spentReason();
      if (spent !== undefined) {
        work.stopped = spent;
        break;
      }
      const result = await this.#runSubAgent(n, criterion, previous, work);
      const stop = stopReason(result, this.context.spawn.signal);
      if (stop !== undefined) {
        work.stopped = stop;
        break;
      }
    }
    return work;
  }

  /** Ends the idle parent (and so any sub-agent still running under it). */
  async close(): Promise<void> {
    await this.#parent?.cancel('the spec run ended');
    this.#parent = undefined;
  }

  #parentLive(): boolean {
    const status = this.#parent?.status;
    return status === 'idle' || status === 'running' || status === 'starting';
  }

  async #runParent(
    n: number,
    criteria: Criterion[],
    previous: CriterionResult[] | undefined,
    sessionId: string | undefined,
    work: AttemptWork,
  ): Promise<void> {
    const { kernel, spawn, directive } = this.context;
    await this.close();
    const others =
      'Other agents then work on the rest of the goal in this workspace: do only what your criteria need.';
    const prompt =
      previous === undefined || criteria.length === 0
        ? `${attemptPrompt(directive, this.context.input, this.context.preamble, this.plan.parent)}\n\n${others}`
        : failureLines(
            n - 1,
            previous.filter((r) => criteria.some((c) => c.id === r.id)),
          );
    const parent = kernel.agents.spawn(
      this.context.budget.limit({
        ...spawn,
        prompt,
        keepAlive: true,
        ...(sessionId !== undefined ? { sessionId } : {}),
      }),
    );
    this.#parent = parent;
    work.agentId = parent.id;
    await this.context.onAttempt?.(parent, n);
    const result = await parent.result;
    work.status = attemptStatus(result);
    work.answer = result.text;
    work.costUsd = result.costUsd;
    if (result.sessionId !== undefined) work.sessionId = result.sessionId;
    const stop = stopReason(result, spawn.signal);
    if (stop !== undefined) work.stopped = stop;
  }

  async #runSubAgent(
    n: number,
    criterion: Criterion,
    previous: CriterionResult[] | undefined,
    work: AttemptWork,
  ): Promise<AgentResult> {
    const { kernel, spawn, directive } = this.context;
    const own = attemptPrompt(directive, this.context.input, undefined, [criterion]);
    const before = previous?.find((r) => r.id === criterion.id);
    // Self-contained even when nothing is stored (persist off): the task, then what failed.
    const prompt = before ? `${own}\n\n${failureLines(n - 1, [before])}` : own;
    const session = this.#sessions.get(criterion.id);
    const taint = [...(spawn.inheritedProvenance ?? []), ...(spawn.provenance ? [spawn.provenance] : [])];
    const limits = this.context.budget.subAgentLimits(spawn.limits);
    const child = kernel.agents.spawn({
      prompt,
      parentId: this.#parent!.id,
      ...pick(spawn),
      ...(session !== undefined ? { sessionId: session } : {}),
      ...(limits !== undefined ? { limits } : {}),
      // The directive came from the run's prompt: a child of a tainted request is tainted too.
      ...(taint.length > 0 ? { inheritedProvenance: taint } : {}),
    });
    await this.context.onSubAgent?.(child, n, criterion);
    const result = await child.result;
    if (result.sessionId !== undefined) this.#sessions.set(criterion.id, result.sessionId);
    work.costUsd = addCost(work.costUsd, result.costUsd);
    work.answer += `\n\n[sub-agent ${child.name} ${child.id}, criterion ${criterion.id}]\n${result.text}`;
    const status = attemptStatus(result);
    if (status !== 'completed' && work.status === 'completed') work.status = status;
    work.subAgents!.push({ criterionId: criterion.id, agentId: child.id, name: child.name, status });
    return result;
  }
}

/** The spawn fields a sub-agent takes from the spec run's (not its session, history or prompt's source). */
function pick(spawn: Omit<SpawnSpec, 'prompt'>): Partial<SpawnSpec> {
  const { agent, userId, selection, tools, systemPrompt, approval, askApprovals, persist, signal } = spawn;
  return Object.fromEntries(
    Object.entries({
      agent,
      userId,
      selection,
      tools,
      systemPrompt,
      approval,
      askApprovals,
      persist,
      signal,
    }).filter(([, value]) => value !== undefined),
  );
}
