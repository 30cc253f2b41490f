/**
 * An A2A task is one kernel agent run, acting as the token's user: the message's text is the
 * prompt, `metadata.agent` (a skill id of the card) picks the agent, and the task's contextId
 * names the session, so a client that reuses a contextId continues the same conversation (and
 * a contextId of another user's session is refused by the kernel). While the agent works the
 * client gets working-status updates with the same progress lines as MCP's run_agent; the
 * answer comes as the artifact "answer", and the final status carries the run's turns, tokens
 * and cost in `metadata.oxydra`, sub-agents' and remote delegations' included (a delegating
 * Oxydra charges that cost to its own budgets).
 * Cancelling the task kills the agent. A task that carries a spec (spec-task.ts) runs through the
 * kernel's spec runner instead, and its final status carries the per-criterion results.
 */
import type { Part, TaskState } from '@a2a-js/sdk';
import type {
  AgentEvent as AgentEventFactory,
  AgentExecutor,
  ExecutionEventBus,
  RequestContext,
} from '@a2a-js/sdk/server';
import {
  Admission,
  type AgentHandle,
  type AgentResult,
  type Kernel,
  type Release,
  type SpawnSpec,
} from '@oxydra/kernel';
import type { Principal } from '@oxydra/kernel/admin';
import { runSpecRequest, type SpecRequest, type SpecRequestOutcome } from '@oxydra/kernel/spec';
import { runHolder } from '../auth.js';
import { publicFailure, publicRunError } from '../errors.js';
import { RunProgress } from '../run-progress.js';
import { type HoldRun, TOKEN_REVOKED } from '../token-holds.js';
import type { GatewayLogger } from '../types.js';
import { agentSkills, DEFAULT_SKILL } from './agent-card.js';
import { promptParts, taskSpec } from './spec-task.js';
import { TaskUpdates } from './task-updates.js';

/** The key under which the route puts the caller's principal in the call context's state. */
export const PRINCIPAL_KEY = 'oxydra.principal';

const STATE = {
  working: 2,
  completed: 3,
  failed: 4,
  canceled: 5,
  rejected: 7,
} as const satisfies Record<string, TaskState>;
const MAX_PROMPT_CHARS = 200_000;
const CONTEXT_ID = /^[A-Za-z0-9._:-]{1,100}$/;

interface Running {
  /** The agent running now (a spec task's current attempt); unset before the first. */
  handle?: AgentHandle;
  release: Release;
  /** A spec task's: stops the attempts still to come. */
  stop?: AbortController;
}

export interface ExecutorOptions {
  /** The SDK's event factory (the SDK is loaded lazily, so it is passed in). */
  events: typeof AgentEventFactory;
  /**
   * Stops a task when the token that sent it is revoked: a task runs on after its request (for
   * tasks/get), so cutting the request's socket alone left a revoked token's agent running.
   */
  hold: HoldRun;
  /** Where a failed run's internal error goes: its message may hold anything (publicRunError). */
  log: GatewayLogger;
}

export class OxydraAgentExecutor implements AgentExecutor {
  readonly #running = new Map<string, Running>();
  readonly #skills: Set<string>;

  constructor(
    readonly kernel: Kernel,
    readonly options: ExecutorOptions,
  ) {
    this.#skills = new Set(agentSkills(kernel.config).map((skill) => skill.id));
  }

  /** Tasks running now (all tokens). */
  get running(): number {
    return this.#running.size;
  }

  execute = async (request: RequestContext, bus: ExecutionEventBus): Promise<void> => {
    const { taskId, contextId } = request;
    const principal = request.context.state.get(PRINCIPAL_KEY) as Principal | undefined;
    if (!principal) throw new Error('an A2A task reached the executor without a caller');
    const updates = new TaskUpdates(this.options.events, bus, taskId, contextId);
    updates.submitted(request.userMessage);
    const { spec, refusal: specRefusal } = taskSpec(request);
    const refusal = this.#refusal(request) ?? specRefusal;
    if (refusal !== undefined) {
      updates.status(STATE.rejected, refusal);
      bus.finished();
      return;
    }
    let slot: Awaited<ReturnType<Admission['tryAcquire']>>;
    try {
      // In a deployment of several processes, the user's slot across all of them (a store call).
      slot = await (await this.kernel.service('admission')).tryAcquire(runHolder(principal));
    } catch (error) {
      updates.status(STATE.failed, publicFailure(error, this.options.log, 'an A2A task'));
      bus.finished();
      return;
    }
    if ('refusal' in slot) {
      updates.status(STATE.rejected, slot.refusal);
      bus.finished();
      return;
    }
    const agent = requestedAgent(request) ?? DEFAULT_SKILL;
    const spawn: Omit<SpawnSpec, 'prompt'> = {
      ...(agent !== DEFAULT_SKILL ? { agent } : {}),
      sessionId: `a2a-${contextId}`,
      ...(principal.user !== undefined ? { userId: principal.user } : {}),
    };
    const prompt = promptOf(request.userMessage.parts);
    if (spec !== undefined) {
      await this.#audit(principal, { task: taskId, context: contextId, agent, spec: true });
      await this.#executeSpec(taskId, updates, { prompt, spec, spawn, release: slot.release, principal });
      bus.finished();
      return;
    }
    let handle: AgentHandle;
    try {
      handle = this.kernel.agents.spawn({ ...spawn, prompt });
    } catch (error) {
      void slot.release();
      updates.status(STATE.failed, publicFailure(error, this.options.log, 'an A2A task'));
      bus.finished();
      return;
    }
    const running: Running = { handle, release: slot.release };
    this.#running.set(taskId, running);
    const unhook = this.#stopping(running, slot.release, principal);
    await this.#audit(principal, { task: taskId, context: contextId, agent, agent_id: handle.id });
    try {
      updates.status(STATE.working);
      await progress(handle, updates);
      const result = await handle.result;
      // The slot is given back before the task's end is told (as a session turn's final frame
      // waits for its release), so the caller may send its next task the moment it sees it.
      await slot.release();
      this.#finish(updates, result);
    } finally {
      unhook();
      this.#running.delete(taskId);
      await slot.release();
      bus.finished();
    }
  };

  cancelTask = async (taskId: string, bus: ExecutionEventBus): Promise<void> => {
    const running = this.#running.get(taskId);
    // The run's own loop publishes the canceled status when the agent has stopped.
    if (running) {
      await stopTask(running, 'cancelled by the A2A client');
      return;
    }
    new TaskUpdates(this.options.events, bus, taskId, '').status(STATE.canceled);
    bus.finished();
  };

  /** Cancels every running task (the gateway is closing). */
  async cancelAll(reason: string): Promise<void> {
    await Promise.allSettled([...this.#running.values()].map((entry) => stopTask(entry, reason)));
  }

  /**
   * Stops a running task when this process is cut off from the deployment (the others report
   * its claim interrupted) or its token is revoked; returns what stops watching.
   */
  #stopping(running: Running, release: Release, principal: Principal): () => void {
    const unhook = Admission.stopOnCutOff(release, (why) => void stopTask(running, why.message));
    const unhold = this.options.hold(principal, () => void stopTask(running, TOKEN_REVOKED));
    return () => {
      unhook();
      unhold();
    };
  }

  async #audit(principal: Principal, data: Record<string, unknown>): Promise<void> {
    await (await this.kernel.service('audit')).record(`token:${principal.tokenId}`, 'a2a_task', data);
  }

  /** A task with a spec: attempts through the kernel's spec runner, the slot held throughout. */
  async #executeSpec(
    taskId: string,
    updates: TaskUpdates,
    task: {
      prompt: string;
      spec: SpecRequest;
      spawn: Omit<SpawnSpec, 'prompt'>;
      release: Release;
      principal: Principal;
    },
  ): Promise<void> {
    const stop = new AbortController();
    const running: Running = { release: task.release, stop };
    this.#running.set(taskId, running);
    const unhook = this.#stopping(running, task.release, task.principal);
    let done: SpecRequestOutcome;
    try {
      updates.status(STATE.working);
      done = await runSpecRequest(this.kernel, {
        prompt: task.prompt,
        spec: task.spec,
        spawn: { ...task.spawn, signal: stop.signal },
        onAttempt: (agent) => {
          running.handle = agent;
          return progress(agent, updates);
        },
      });
    } catch (error) {
      updates.status(STATE.failed, publicFailure(error, this.options.log, 'an A2A task'));
      return;
    } finally {
      unhook();
      this.#running.delete(taskId);
      await task.release();
    }
    const metadata = {
      oxydra: {
        status: done.last?.status ?? 'failed',
        session_id: done.outcome.sessionId ?? null,
        agent_id: done.last?.agentId ?? null,
        cost_usd: done.outcome.costUsd,
        spec: done.summary,
      },
    };
    if (done.last?.text) updates.answer(done.last.text);
    if (done.summary.passed) updates.status(STATE.completed, undefined, metadata);
    else {
      const why = `the spec did not pass: ${done.summary.stopped ?? 'criteria failed'}`;
      updates.status(stop.signal.aborted ? STATE.canceled : STATE.failed, why, metadata);
    }
  }

  #refusal(request: RequestContext): string | undefined {
    const agent = requestedAgent(request);
    if (agent !== undefined && !this.#skills.has(agent)) {
      return `unknown agent "${agent}" in metadata.agent; this gateway's agents (the card's skills): ${[...this.#skills].join(', ')}`;
    }
    if (!CONTEXT_ID.test(request.contextId)) {
      return 'contextId must be 1-100 letters, digits, ".", "_", ":" or "-"';
    }
    const text = promptOf(request.userMessage.parts);
    if (text.trim() === '') return 'the message has no text: send the task as a text part';
    if (text.length > MAX_PROMPT_CHARS) return `the message is longer than ${MAX_PROMPT_CHARS} characters`;
    return undefined;
  }

  #finish(updates: TaskUpdates, result: AgentResult): void {
    // The agent's account holds what its sub-agents and remote delegations spent too: the
    // whole price of the task, which is what a delegating caller must charge.
    const spent = this.kernel.checkBudget(result.agentId);
    const usage = spent?.usage ?? result.usage;
    const metadata = {
      oxydra: {
        status: result.status,
        session_id: result.sessionId ?? null,
        agent_id: result.agentId,
        turns: result.turns,
        input_tokens: usage.inputTokens ?? null,
        output_tokens: usage.outputTokens ?? null,
        cost_usd: spent ? spent.costUsd.used : result.costUsd,
      },
    };
    if (result.status === 'completed') {
      updates.answer(result.text || '(no answer)');
      updates.status(STATE.completed, undefined, metadata);
      return;
    }
    const error = result.error && publicRunError(result.error, result.agentId, this.options.log);
    const why = `the agent ${result.status}${error ? `: ${error.message}` : ''}`;
    updates.status(result.status === 'cancelled' ? STATE.canceled : STATE.failed, why, metadata);
  }
}

/** Stops a task: a spec task's attempts still to come, and the agent running now. */
async function stopTask(running: Running, reason: string): Promise<void> {
  running.stop?.abort(new Error(reason));
  await running.handle?.cancel(reason);
}

/** The skill the client asked for: `metadata.agent` of the message, else of the request. */
function requestedAgent(request: RequestContext): string | undefined {
  const fromMessage = request.userMessage.metadata?.agent;
  const fromRequest = request.request.metadata?.agent;
  const agent = fromMessage ?? fromRequest;
  return typeof agent === 'string' && agent !== '' ? agent : undefined;
}

/** The agent's progress lines as working-status updates, until its events end. */
async function progress(handle: AgentHandle, updates: TaskUpdates): Promise<void> {
  const lines = new RunProgress(handle.id);
  for await (const envelope of handle.events) {
    const line = lines.line(envelope);
    if (line !== undefined) updates.status(STATE.working, line);
  }
}

/** The task as text: text parts as they are, data parts as JSON (a spec's aside); files are not taken. */
function promptOf(parts: readonly Part[]): string {
  return promptParts(parts)
    .map((part) => {
      const content = part.content;
      if (content?.$case === 'text') return content.value;
      if (content?.$case === 'data') return JSON.stringify(content.value);
      return '';
    })
    .filter((text) => text !== '')
    .join('\n\n');
}
