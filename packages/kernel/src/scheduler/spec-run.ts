/**
 * A spec schedule's run: the kernel's spec runner (the one `oxydra run --spec`, the API and A2A
 * use) with the schedule's goal, constraints and criteria, under the run's limits (the dollar
 * limit covers every attempt and the runner's own calls). The run's record says how the last
 * attempt's agent ended and carries the spec outcome; a run whose criteria did not all pass is a
 * failure (it counts toward the schedule's failures in a row), with one line per criterion in
 * its error, as its notification says.
 */
import type { SpecFields } from '../spec/request.js';
import { specSummaryText } from '../spec/request.js';
import { runSpecRequest } from '../spec/run-request.js';
import type { SpecKernel } from '../spec/spec-kernel.js';
import type { AgentHandle, AgentResult, SpawnSpec } from '../types.js';
import type { RunOutcome } from './run-claims.js';

export interface ScheduledSpec {
  kernel: SpecKernel;
  spec: SpecFields;
  /** The schedule's prompt: the request the directive is made from. */
  prompt: string;
  /** The "Scheduled task ..." lines a scheduled run's prompt starts with. */
  preamble: string;
  spawn: Omit<SpawnSpec, 'prompt'>;
  /** Told each attempt's agent (the scheduler cancels the current one when it stops). */
  onAgent(handle: AgentHandle): void;
  /** The scheduler's record of an agent's result (usage, cost, status). */
  outcomeOf(result: AgentResult): RunOutcome;
}

export async function runScheduledSpec(run: ScheduledSpec): Promise<RunOutcome> {
  const { outcome, summary, last } = await runSpecRequest(run.kernel, {
    prompt: run.prompt,
    spec: run.spec,
    spawn: run.spawn,
    preamble: run.preamble,
    onAttempt: (agent) => run.onAgent(agent),
  });
  const text = specSummaryText(summary);
  const base: RunOutcome = last ? run.outcomeOf(last) : { status: 'failed' };
  const spent = outcome.costUsd !== null ? { costUsd: outcome.costUsd } : {};
  const recorded = { ...base, ...spent, specOutcome: JSON.stringify(summary) };
  if (outcome.passed) return { ...recorded, output: base.output ? `${base.output}\n\n${text}` : text };
  return {
    ...recorded,
    status: base.status === 'completed' ? 'failed' : base.status,
    error: base.error ? `${base.error}\n${text}` : text,
  };
}
