/**
 * A spec request from a host (the HTTP API, an A2A task, a scheduled run) run through the
 * runner: the request checked and turned into the runner's input (specInput), the attempts run,
 * and what hosts report: the outcome, its summary, and the last attempt's agent result (its
 * answer and status). One home for what every host would otherwise repeat.
 */
import type { AgentHandle, AgentResult, SpawnSpec } from '../types.js';
import { type SpecRequest, type SpecSummary, specInput, specSummary } from './request.js';
import { runSpec, type SpecOutcome } from './run-spec.js';
import type { SpecKernel } from './spec-kernel.js';

export interface SpecRequestRun {
  prompt: string;
  spec: SpecRequest;
  spawn: Omit<SpawnSpec, 'prompt'>;
  /** Put before the first attempt's prompt (a scheduled run's lines). */
  preamble?: string;
  /** Given each attempt's agent before its result is read (to show progress, to cancel it). */
  onAttempt?(agent: AgentHandle): Promise<void> | void;
}

export interface SpecRequestOutcome {
  outcome: SpecOutcome;
  summary: SpecSummary;
  /** The last attempt's result; undefined when no attempt ran. */
  last: AgentResult | undefined;
}

export async function runSpecRequest(kernel: SpecKernel, run: SpecRequestRun): Promise<SpecRequestOutcome> {
  const { input, maxAttempts } = specInput(run.prompt, run.spec, kernel.config.tools.approval);
  let last: AgentResult | undefined;
  const outcome = await runSpec(kernel, {
    input,
    spawn: run.spawn,
    ...(run.preamble !== undefined ? { preamble: run.preamble } : {}),
    ...(maxAttempts !== undefined ? { maxAttempts } : {}),
    onAttempt: async (agent) => {
      await run.onAttempt?.(agent);
      last = await agent.result;
    },
  });
  return { outcome, summary: specSummary(outcome), last };
}
