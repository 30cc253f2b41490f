/**
 * Turns as kernel agents: each turn a client sends is `kernel.agents.spawn`, so a gateway turn,
 * an `oxydra run` and a delegated sub-agent are assembled by the same code and share one store.
 * The turn's stream is the spawned agent's own events (its sub-agents' activity is shown by the
 * hub as progress); approvals reach clients that said they can answer them.
 */
import { DEFAULT_AGENT, isLifecycleEvent, type Kernel, type KernelEvent } from '@oxydra/kernel';
import type { ContentPart, StreamEvent } from '@oxydra/types';
import type { GatewayLogger, TurnHandle, TurnRequest, TurnRunner } from './types.js';

/** What clients are told of a bug's failure: its message may hold anything, so it goes to the log only. */
const INTERNAL = 'internal error in the agent loop (details are in the gateway log)';

export function kernelTurnRunner(kernel: Kernel, log: GatewayLogger): TurnRunner {
  /** The run's error as clients may see it. */
  const publicError = <E extends { code: string; message: string }>(error: E, agentId: string): E => {
    if (error.code !== 'internal_error') return error;
    log('error', 'a turn failed with an internal error', { agent_id: agentId, error: error.message });
    return { ...error, message: INTERNAL };
  };
  return {
    async start(request: TurnRequest): Promise<TurnHandle> {
      const agent = kernel.agents.spawn({
        prompt: promptOf(request),
        ...(request.agentName !== DEFAULT_AGENT ? { agent: request.agentName } : {}),
        userId: request.userId,
        ...(request.sessionId !== undefined ? { sessionId: request.sessionId } : { persist: false }),
        ...(request.history !== undefined ? { history: request.history } : {}),
        askApprovals: request.askApprovals ?? false,
        signal: request.signal,
      });
      return {
        agentId: agent.id,
        events: ownEvents(agent.events, agent.id, request.onKernelEvent, (error) =>
          publicError(error, agent.id),
        ),
        result: agent.result.then((result) => ({
          status: result.status,
          text: result.text,
          usage: result.usage,
          costUsd: result.costUsd,
          ...(result.error
            ? { error: publicError({ code: result.error.code, message: result.error.message }, agent.id) }
            : {}),
        })),
      };
    },
  };
}

/** The turn's own StreamEvents; everything else (sub-agents, approvals) goes to `other`. */
async function* ownEvents(
  events: AsyncIterable<KernelEvent>,
  agentId: string,
  other: ((event: KernelEvent) => void) | undefined,
  publicError: <E extends { code: string; message: string }>(error: E) => E,
): AsyncIterable<StreamEvent> {
  for await (const envelope of events) {
    const { event } = envelope;
    if (envelope.agentId === agentId && event.type === 'run_failed' && event.error) {
      yield { ...event, error: publicError(event.error) };
      continue;
    }
    const approval = event.type === 'approval_requested' || event.type === 'approval_resolved';
    if (envelope.agentId !== agentId || approval) other?.(envelope);
    else if (!isLifecycleEvent(event)) yield event;
  }
}

function promptOf(request: TurnRequest): string | ContentPart[] {
  if (request.attachments.length === 0) return request.prompt;
  return [
    ...(request.prompt ? [{ type: 'text' as const, text: request.prompt }] : []),
    ...request.attachments.map((a) => ({ type: 'attachment' as const, mimeType: a.mimeType, data: a.data })),
  ];
}
