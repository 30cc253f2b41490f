/**
 * Spec-first execution (Oxios's Ouroboros, RFC-027's assess → crystallize → execute → review →
 * retry): the directive is crystallized (or taken as written), each attempt is one agent run
 * through kernel.agents.spawn in one session, a checkpoint is taken before it, every criterion
 * is evaluated after it, and the failures are fed back into the next attempt until all pass or
 * the attempts (or the run's dollar limit) run out. The outcome carries per-criterion results.
 * A directive with enough independent criteria has its work split across sub-agents (split.ts).
 */

import { RunBudget } from '../services/budgets/spec-run-budget.js';
import type { AgentHandle, SpawnSpec } from '../types.js';
import { crystallize, type DirectiveInput } from './crystallize.js';
import type { Criterion, Directive } from './directive.js';
import { evaluateAttempt } from './evaluate.js';
import type { CallBase } from './model-call.js';
import { attemptPrompt, failureLines } from './prompts.js';
import type { AttemptRecord, SpecRecord } from './record.js';
import type { SpecKernel } from './spec-kernel.js';
import { type AttemptWork, attemptStatus, SplitRun, splitPlan, stopReason } from './split.js';

export const DEFAULT_MAX_ATTEMPTS = 3;

export interface SpecRunOptions {
  input: DirectiveInput;
  /** The attempts' spawn fields (agent, session, tools, limits, approvals...), as a plain run's. */
  spawn: Omit<SpawnSpec, 'prompt'>;
  maxAttempts?: number;
  /** Put before the first attempt's prompt (the scheduler's "Scheduled task ..." lines). */
  preamble?: string;
  /**
   * Shown the directive before anything runs; answers the directive to run (the same, or as the
   * user edited it) or undefined to cancel (the outcome then has no attempts, stopped "cancelled").
   */
  confirmDirective?(directive: Directive): Promise<Directive | undefined>;
  /** Told the directive before anything runs (the CLI shows it on stderr). */
  onDirective?(directive: Directive): void;
  /** Given each attempt's agent; the host drains its events (rendering them) before the result is read. */
  onAttempt?(agent: AgentHandle, attempt: number): Promise<void>;
  /**
   * Given each sub-agent of a split attempt (split.ts) before its result is read, as onAttempt is
   * given the attempt's (parent) agent; the host may drain its events.
   */
  onSubAgent?(agent: AgentHandle, attempt: number, criterion: Criterion): Promise<void>;
  onEvaluated?(attempt: AttemptRecord): void;
}

export interface SpecOutcome {
  passed: boolean;
  directive: Directive;
  attempts: AttemptRecord[];
  sessionId?: string;
  /** null when any call's cost was unknown. */
  costUsd: number | null;
  /** Why attempts stopped before passing (attempts ran out, budget, cancelled). */
  stopped?: string;
}

/** Model calls a spec run makes for itself share the attempts' agent, model and user. */
function callBase(spawn: Omit<SpawnSpec, 'prompt'>): CallBase {
  return {
    ...(spawn.agent !== undefined ? { agent: spawn.agent } : {}),
    ...(spawn.selection ? { selection: spawn.selection } : {}),
    ...(spawn.userId !== undefined ? { userId: spawn.userId } : {}),
    ...(spawn.signal ? { signal: spawn.signal } : {}),
  };
}

export async function runSpec(kernel: SpecKernel, options: SpecRunOptions): Promise<SpecOutcome> {
  const maxAttempts = options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
  const base = callBase(options.spawn);
  const approval = options.spawn.approval ?? kernel.config.tools.approval;
  // One dollar limit for the whole run, its first call (the criteria) included.
  const budget = new RunBudget(options.spawn.limits?.maxCostUsd);
  const crystallized = await crystallize(kernel, base, options.input, approval === 'auto', budget);
  const directive = options.confirmDirective ? await options.confirmDirective(crystallized) : crystallized;
  if (directive === undefined) {
    return {
      passed: false,
      directive: crystallized,
      attempts: [],
      costUsd: budget.costUsd,
      stopped: 'cancelled',
    };
  }
  options.onDirective?.(directive);
  const checkpoints = await kernel.service('checkpoints');
  // The run's record is kept on the session it runs in, written as the user the attempts run for
  // (their session; nothing is written with memory off).
  const access = kernel.config.memory.enabled ? await kernel.service('sessionAccess') : undefined;
  const scope = { userId: options.spawn.userId };
  const attempts: AttemptRecord[] = [];
  let sessionId = options.spawn.sessionId;
  let stopped: string | undefined;
  const record = async (state: SpecRecord['state']): Promise<void> => {
    if (access && sessionId !== undefined)
      await access.storeSpecRecord(sessionId, { version: 1, directive, attempts, maxAttempts, state }, scope);
  };

  const plan = splitPlan(directive, kernel.config.runtime.max_delegation_depth);
  const split = plan
    ? new SplitRun(
        {
          kernel,
          directive,
          input: options.input,
          preamble: options.preamble,
          spawn: options.spawn,
          budget,
          ...(options.onAttempt ? { onAttempt: options.onAttempt } : {}),
          ...(options.onSubAgent ? { onSubAgent: options.onSubAgent } : {}),
        },
        plan,
      )
    : undefined;

  // The split's idle parent (and any sub-agent under it) ends with the run, however it ends.
  try {
    for (let n = 1; n <= maxAttempts; n++) {
      // The run's dollar limit covers all attempts together, not each one.
      stopped = budget.spentReason();
      if (stopped !== undefined) break;
      const left = budget.left();
      const before = await checkpoints
        ?.commit(`spec attempt ${n} before`, {
          kind: 'spec',
          attempt: String(n),
          ...(sessionId !== undefined ? { session: sessionId } : {}),
        })
        .catch(() => undefined);
      const previous = attempts.at(-1);
      const work = split
        ? await split.attempt(n, previous?.results, sessionId)
        : await oneAgent(kernel, options, directive, n, previous, sessionId, left);
      sessionId = work.sessionId ?? sessionId;
      budget.spend(work.costUsd);
      const evaluation = await evaluateAttempt(
        kernel,
        base,
        directive,
        work.answer,
        before?.id,
        budget.left(),
      );
      budget.spend(evaluation.costUsd);
      const attempt: AttemptRecord = {
        attempt: n,
        agentId: work.agentId,
        status: work.status,
        ...(before ? { checkpointBefore: before.id } : {}),
        ...(work.subAgents ? { subAgents: work.subAgents } : {}),
        results: evaluation.results,
        passed: evaluation.results.every((r) => r.passed),
      };
      attempts.push(attempt);
      options.onEvaluated?.(attempt);
      await record(attempt.passed ? 'passed' : 'running');
      if (attempt.passed) break;
      if (work.stopped !== undefined) {
        stopped = work.stopped;
        break;
      }
    }
  } finally {
    await split?.close();
  }
  const passed = attempts.at(-1)?.passed ?? false;
  if (!passed) {
    stopped ??= `${attempts.length} of ${maxAttempts} attempts did not meet every criterion`;
    await record('failed');
  }
  return {
    passed,
    directive,
    attempts,
    ...(sessionId !== undefined ? { sessionId } : {}),
    costUsd: budget.costUsd,
    ...(stopped !== undefined && !passed ? { stopped } : {}),
  };
}

/** An unsplit attempt: one agent run in the spec run's session, told every criterion. */
async function oneAgent(
  kernel: SpecKernel,
  options: SpecRunOptions,
  directive: Directive,
  n: number,
  previous: AttemptRecord | undefined,
  sessionId: string | undefined,
  left: number | undefined,
): Promise<AttemptWork> {
  const agent = kernel.agents.spawn({
    ...options.spawn,
    prompt: previous
      ? failureLines(previous.attempt, previous.results)
      : attemptPrompt(directive, options.input, options.preamble),
    ...(sessionId !== undefined ? { sessionId } : {}),
    ...(left !== undefined ? { limits: { ...options.spawn.limits, maxCostUsd: left } } : {}),
  });
  await options.onAttempt?.(agent, n);
  const result = await agent.result;
  const stopped = stopReason(result, options.spawn.signal);
  return {
    agentId: agent.id,
    status: attemptStatus(result),
    answer: result.text,
    costUsd: result.costUsd,
    ...(result.sessionId !== undefined ? { sessionId: result.sessionId } : {}),
    ...(stopped !== undefined ? { stopped } : {}),
  };
}
