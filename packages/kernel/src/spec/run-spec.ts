/**
 * Spec-first execution (Oxios's Ouroboros, RFC-027's assess → crystallize → execute → review →
 * retry): the directive is crystallized (or taken as written), each attempt is one agent run
 * through kernel.agents.spawn in one session, a checkpoint is taken before it, every criterion
 * is evaluated after it, and the failures are fed back into the next attempt until all pass or
 * the attempts (or the run's dollar limit) run out. The outcome carries per-criterion results.
 */

import type { AgentHandle, SpawnSpec } from '../types.js';
import { crystallize, type DirectiveInput } from './crystallize.js';
import type { Directive } from './directive.js';
import { evaluateAttempt } from './evaluate.js';
import type { CallBase } from './model-call.js';
import { type AttemptRecord, type SpecRecord, storeSpecRecord } from './record.js';
import type { SpecKernel } from './spec-kernel.js';

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

function addCost(a: number | null, b: number | null): number | null {
  return a === null || b === null ? null : a + b;
}

function firstPrompt(directive: Directive, input: DirectiveInput, preamble: string | undefined): string {
  const lines = preamble !== undefined ? [preamble, ''] : [];
  // A goal given apart from the request (a host's spec.goal) does not replace what was asked.
  if (input.goal !== undefined && input.goal !== input.request)
    lines.push(input.request, '', `Goal: ${directive.goal}`, '');
  else lines.push(directive.goal, '');
  if (directive.constraints.length > 0) {
    lines.push('Constraints:', ...directive.constraints.map((c) => `- ${c}`), '');
  }
  lines.push('Your work is checked against these acceptance criteria when you finish:');
  lines.push(...directive.criteria.map((c) => `- ${c.text}`));
  return lines.join('\n');
}

function retryPrompt(attempt: AttemptRecord): string {
  const failed = attempt.results.filter((r) => !r.passed);
  return [
    `Attempt ${attempt.attempt} did not meet ${failed.length} acceptance criteria:`,
    ...failed.map((r) => `- ${r.text}\n  ${r.detail.split('\n').slice(0, 20).join('\n  ')}`),
    '',
    'Fix the work so every criterion passes.',
  ].join('\n');
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
  const crystallized = await crystallize(kernel, base, options.input, approval === 'auto');
  const directive = options.confirmDirective
    ? await options.confirmDirective(crystallized.directive)
    : crystallized.directive;
  const crystalCost = crystallized.costUsd;
  if (directive === undefined) {
    return {
      passed: false,
      directive: crystallized.directive,
      attempts: [],
      costUsd: crystalCost,
      stopped: 'cancelled',
    };
  }
  options.onDirective?.(directive);
  const maxCost = options.spawn.limits?.maxCostUsd;
  const checkpoints = await kernel.service('checkpoints');
  const attempts: AttemptRecord[] = [];
  let costUsd = crystalCost;
  let sessionId = options.spawn.sessionId;
  let stopped: string | undefined;
  const record = (state: SpecRecord['state']): SpecRecord => ({
    version: 1,
    directive,
    attempts,
    maxAttempts,
    state,
  });

  for (let n = 1; n <= maxAttempts; n++) {
    // The run's dollar limit covers all attempts together, not each one.
    const left = maxCost === undefined ? undefined : maxCost - (costUsd ?? 0);
    if (left !== undefined && left <= 0) {
      stopped = `the run's dollar limit (${maxCost}) is spent`;
      break;
    }
    const before = await checkpoints
      ?.commit(`spec attempt ${n} before`, {
        kind: 'spec',
        attempt: String(n),
        ...(sessionId !== undefined ? { session: sessionId } : {}),
      })
      .catch(() => undefined);
    const previous = attempts.at(-1);
    const agent = kernel.agents.spawn({
      ...options.spawn,
      prompt: previous ? retryPrompt(previous) : firstPrompt(directive, options.input, options.preamble),
      ...(sessionId !== undefined ? { sessionId } : {}),
      ...(left !== undefined ? { limits: { ...options.spawn.limits, maxCostUsd: left } } : {}),
    });
    await options.onAttempt?.(agent, n);
    const result = await agent.result;
    sessionId = result.sessionId ?? sessionId;
    costUsd = addCost(costUsd, result.costUsd);
    const remaining = maxCost === undefined ? undefined : maxCost - (costUsd ?? 0);
    const evaluation = await evaluateAttempt(kernel, base, directive, result.text, before?.id, remaining);
    costUsd = addCost(costUsd, evaluation.costUsd);
    const attempt: AttemptRecord = {
      attempt: n,
      agentId: agent.id,
      status:
        result.status === 'completed' ? 'completed' : result.status === 'cancelled' ? 'killed' : 'failed',
      ...(before ? { checkpointBefore: before.id } : {}),
      results: evaluation.results,
      passed: evaluation.results.every((r) => r.passed),
    };
    attempts.push(attempt);
    options.onEvaluated?.(attempt);
    await storeSpecRecord(kernel.sessions, sessionId, record(attempt.passed ? 'passed' : 'running'));
    if (attempt.passed) break;
    if (options.spawn.signal?.aborted || result.status === 'cancelled') {
      stopped = 'cancelled';
      break;
    }
    if (result.error?.code === 'budget_exceeded') {
      stopped = `budget: ${result.error.message}`;
      break;
    }
  }
  const passed = attempts.at(-1)?.passed ?? false;
  if (!passed) {
    stopped ??= `${attempts.length} of ${maxAttempts} attempts did not meet every criterion`;
    await storeSpecRecord(kernel.sessions, sessionId, record('failed'));
  }
  return {
    passed,
    directive,
    attempts,
    ...(sessionId !== undefined ? { sessionId } : {}),
    costUsd,
    ...(stopped !== undefined && !passed ? { stopped } : {}),
  };
}
