/**
 * What a session turn's kernel events other than its own stream mean to clients: approval
 * questions go to the session's clients that said they answer them ("approvals" in hello) and
 * are answered by the user who owns the session, only; a question no such client can see is
 * denied at once; sub-agents show as turn_progress lines ("[researcher] started: ...").
 */
import type { Kernel, KernelEvent, SessionAccess } from '@oxydra/kernel';
import type { ServerFrame } from '@oxydra/types/gateway';
import type { ControlMessage } from './cluster/messages.js';
import { GatewayError } from './errors.js';
import type { TurnFrames } from './frames.js';
import type { LiveSession } from './live-sessions.js';

interface Route {
  userId: string;
  live: LiveSession;
}

const BY: Record<string, 'client' | 'timeout' | 'cancelled'> = {
  respond: 'client',
  timeout: 'timeout',
  cancelled: 'cancelled',
};

/** Open questions by id: who may answer each, and where its frames go. */
export class ApprovalRoutes {
  readonly #open = new Map<string, Route>();
  /** Questions of turns running on other gateway processes, seen in their relayed frames. */
  readonly #remote = new Map<string, string>();

  constructor(
    private readonly approvals: Kernel['approvals'],
    private readonly access: Pick<SessionAccess, 'mayUse'>,
    /** One of several processes: sends an answer to the process whose turn asked. */
    private readonly forward?: (message: ControlMessage) => void,
  ) {}

  /**
   * A client's answer; refused unless the question is open and belongs to this user's session.
   * A question of a turn on another process is answered there (that process checks it again).
   */
  respond(userId: string, approvalId: string, allow: boolean): void {
    const owner = this.#remote.get(approvalId);
    if (owner !== undefined && this.forward && this.access.mayUse(owner, { userId })) {
      this.forward({ kind: 'approval', user_id: userId, approval_id: approvalId, allow });
      return;
    }
    this.respondHere(userId, approvalId, allow);
  }

  /** An answer for a question of this process's turns only. */
  respondHere(userId: string, approvalId: string, allow: boolean): void {
    const route = this.#open.get(approvalId);
    if (
      !route ||
      !this.access.mayUse(route.userId, { userId }) ||
      !this.approvals.respond(approvalId, allow)
    ) {
      throw new GatewayError('unknown_approval', `no open approval ${approvalId} for this user`);
    }
  }

  /** A relayed approval frame of another process's turn: its question may be answered from here. */
  noteRemote(frame: ServerFrame, ownerId: string): void {
    if (frame.type === 'approval_requested') this.#remote.set(frame.payload.approval_id, ownerId);
    else if (frame.type === 'approval_resolved') this.#remote.delete(frame.payload.approval_id);
  }

  /** Refuses the session's open questions: no client that answers them is attached any more. */
  nobodyLeft(live: LiveSession): void {
    for (const [id, route] of this.#open) {
      if (route.live === live) {
        this.#open.delete(id);
        this.approvals.respond(id, false);
      }
    }
  }

  /** Handles one of a turn's other kernel events (approvals, sub-agents). */
  handle(live: LiveSession, frames: TurnFrames, names: Map<string, string>, envelope: KernelEvent): void {
    const { event } = envelope;
    switch (event.type) {
      case 'approval_requested': {
        if (!live.hasApprover()) {
          // Nobody who can answer is watching: say no now rather than after the timeout.
          this.approvals.respond(event.id, false);
          return;
        }
        this.#open.set(event.id, { userId: live.userId, live });
        live.broadcastToApprovers({
          type: 'approval_requested',
          payload: {
            session: live.ref,
            turn: frames.context.turn,
            approval_id: event.id,
            agent_id: event.agentId,
            tool: event.tool,
            summary: event.summary,
            expires_at: event.expiresAt,
          },
        });
        return;
      }
      case 'approval_resolved': {
        const route = this.#open.get(event.id);
        this.#open.delete(event.id);
        (route?.live ?? live).broadcastToApprovers({
          type: 'approval_resolved',
          payload: {
            session: live.ref,
            approval_id: event.id,
            allow: event.allow,
            by: route ? (BY[event.by] ?? 'client') : 'policy',
          },
        });
        return;
      }
      default: {
        const frame = subAgentProgress(frames, names, envelope);
        if (frame) live.broadcast(frame);
      }
    }
  }
}

/** A sub-agent's start, tool runs and end as turn_progress frames of the turn that delegated. */
function subAgentProgress(
  frames: TurnFrames,
  names: Map<string, string>,
  envelope: KernelEvent,
): ServerFrame | undefined {
  const { event } = envelope;
  const who = names.get(envelope.agentId) ?? envelope.agentId;
  switch (event.type) {
    case 'agent_spawned':
      names.set(event.agentId, event.name);
      return frames.progress('subagent_started', `[${event.name}] started: ${oneLine(event.task)}`);
    case 'agent_exited':
      return frames.progress('subagent_finished', `[${who}] ${event.status}`);
    case 'tool_execution_start':
      return frames.progress('subagent_tool', `[${who}] running ${event.name}`);
    default:
      return undefined;
  }
}

function oneLine(text: string): string {
  const flat = text.replace(/\s+/g, ' ');
  return flat.length > 80 ? `${flat.slice(0, 77)}...` : flat;
}
