/**
 * A gateway turn (WebSocket or HTTP) enters the kernel the way A2A and MCP do: one
 * `kernel.agents.spawn`, then the handle's events and its AgentResult. So a gateway turn, an
 * `oxydra run` and a delegated sub-agent are assembled by the same code, share one store and end
 * in one result shape. The turn's stream is the spawned agent's own events; its sub-agents'
 * activity and its approval questions go to the caller aside (the hub shows them as progress and
 * routes the questions to clients that said they can answer them).
 */
import {
  type AgentHandle,
  DEFAULT_AGENT,
  isLifecycleEvent,
  type Kernel,
  type KernelEvent,
  type SpawnSpec,
} from '@oxydra/kernel';
import type { ContentPart, Message, StreamEvent } from '@oxydra/types';
import { publicRunError } from './errors.js';
import type { GatewayLogger, TurnAttachment } from './types.js';

export interface TurnRequest {
  userId: string;
  /** The stored session the turn continues; unset for a stateless turn (the OpenAI-compatible API). */
  sessionId?: string;
  agentName: string;
  prompt: string;
  attachments: TurnAttachment[];
  /** Earlier conversation given by the caller (stateless turns only; sessions load their own). */
  history?: Message[];
  /** Aborted when the client cancels or the gateway shuts down. */
  signal: AbortSignal;
  /** Whether a connected client answers approval questions (it said so in hello). */
  askApprovals?: boolean;
  /** How the session's messages are written (a session turn of a deployment). */
  sessionWrites?: SpawnSpec['sessionWrites'];
}

/** What spawning needs of the kernel (the hub holds it; a unit test passes one that refuses). */
export type TurnSpawner = Pick<Kernel['agents'], 'spawn'>;

/** Spawns the turn's agent. A throw (say, the agent's setup failed) fails the turn with the error's code. */
export function spawnTurn(agents: TurnSpawner, request: TurnRequest): AgentHandle {
  return agents.spawn({
    prompt: promptOf(request),
    ...(request.agentName !== DEFAULT_AGENT ? { agent: request.agentName } : {}),
    userId: request.userId,
    // Stateless: stores nothing, and shows the audit chain's head to nobody, so the answer does
    // not wait for the turn's audit entry to commit to name it (docs/postgres.md, "Eleventh round").
    ...(request.sessionId !== undefined
      ? { sessionId: request.sessionId }
      : { persist: false, auditHead: false as const }),
    ...(request.history !== undefined ? { history: request.history } : {}),
    askApprovals: request.askApprovals ?? false,
    ...(request.sessionWrites ? { sessionWrites: request.sessionWrites } : {}),
    signal: request.signal,
  });
}

/**
 * The turn's own StreamEvents, ending with run_completed or run_failed (an internal error's
 * message replaced, see publicRunError); everything else (sub-agents, approvals) goes to `aside`.
 */
export async function* turnEvents(
  handle: AgentHandle,
  log: GatewayLogger,
  aside?: (event: KernelEvent) => void,
): AsyncIterable<StreamEvent> {
  for await (const envelope of handle.events) {
    const { event } = envelope;
    if (envelope.agentId === handle.id && event.type === 'run_failed' && event.error) {
      yield { ...event, error: publicRunError(event.error, handle.id, log) };
      continue;
    }
    const approval = event.type === 'approval_requested' || event.type === 'approval_resolved';
    if (envelope.agentId !== handle.id || approval) aside?.(envelope);
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
