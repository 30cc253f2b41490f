/**
 * What a session turn's kernel events other than its own stream mean to clients: approval
 * questions go to the session's clients that said they answer them ("approvals" in hello) and
 * are answered by the user who owns the session, only; a question no such client can see is
 * denied at once; sub-agents show as turn_progress lines ("[researcher] started: ...").
 */
import type { Kernel, KernelEvent, SessionAccess } from '@oxydra/kernel';
import type { ServerFrame } from '@oxydra/types/gateway';
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

  constructor(
    private readonly approvals: Kernel['approvals'],
    private readonly access: Pick<SessionAccess, 'mayUse'>,
  ) {}

  /** A client's answer; refused unless the question is open and belongs to this user's session. */
  respond(userId: string, approvalId: string, allow: boolean): void {
    const route = this.#open.get(approvalId);
    if (
      !route ||
      !this.access.mayUse(route.userId, { userId }) ||
      !this.approvals.respond(approvalId, allow)
    ) {
      throw new GatewayError('unknown_approval', `no open approval ${approvalId} for this user`);
    }
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
