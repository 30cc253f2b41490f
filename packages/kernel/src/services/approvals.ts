/**
 * Approvals as an event and a reply (codex's ExecApprovalRequest/ExecApproval, opencode's
 * permission.asked/permission.reply): a privileged call under approval = "ask" publishes
 * approval_requested and waits for approvals.respond(id, allow). Nobody answering in time, or the
 * agent being stopped first, counts as "deny". Each decision is also in the audit log (the tool
 * registry records it) and published as approval_resolved.
 */
import { randomBytes } from 'node:crypto';
import type { ApprovalRequest } from '@oxydra/types';
import type { ApprovalResolver, LifecycleEvent } from '../types.js';

export const DEFAULT_APPROVAL_TIMEOUT_MS = 5 * 60 * 1000;

interface Pending {
  agentId: string;
  settle: (allow: boolean, by: ApprovalResolver) => void;
}

export interface ApprovalsOptions {
  timeoutMs: number;
  publish: (agentId: string, event: LifecycleEvent) => void;
}

export class Approvals {
  readonly #pending = new Map<string, Pending>();

  constructor(private readonly options: ApprovalsOptions) {}

  /** The approver a run of `agentId` gets: asks through events; `signal` ends the question as denied. */
  approverFor(agentId: string, signal: AbortSignal): (request: ApprovalRequest) => Promise<boolean> {
    return (request) => this.#ask(agentId, request, signal);
  }

  /** Answers a pending question; false when there is none with that id (answered, expired, unknown). */
  respond(id: string, allow: boolean): boolean {
    const pending = this.#pending.get(id);
    if (!pending) return false;
    pending.settle(allow, 'respond');
    return true;
  }

  /** The questions waiting for an answer. */
  pending(): { id: string; agentId: string }[] {
    return [...this.#pending].map(([id, { agentId }]) => ({ id, agentId }));
  }

  #ask(agentId: string, request: ApprovalRequest, signal: AbortSignal): Promise<boolean> {
    const id = `ap_${randomBytes(6).toString('hex')}`;
    const expiresAt = new Date(Date.now() + this.options.timeoutMs).toISOString();
    return new Promise<boolean>((resolve) => {
      const settle = (allow: boolean, by: ApprovalResolver) => {
        if (!this.#pending.delete(id)) return;
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        call?.removeEventListener('abort', onAbort);
        this.options.publish(agentId, { type: 'approval_resolved', id, agentId, allow, by });
        resolve(allow);
      };
      const onAbort = () => settle(false, 'cancelled');
      // The call itself was given up (its deadline passed, its run was cancelled): the question closes too.
      const call = request.signal;
      const timer = setTimeout(() => settle(false, 'timeout'), this.options.timeoutMs);
      timer.unref?.();
      this.#pending.set(id, { agentId, settle });
      signal.addEventListener('abort', onAbort, { once: true });
      call?.addEventListener('abort', onAbort, { once: true });
      this.options.publish(agentId, {
        type: 'approval_requested',
        id,
        agentId,
        tool: request.toolName,
        summary: request.summary,
        ...(request.reason !== undefined ? { reason: request.reason } : {}),
        expiresAt,
      });
      if (signal.aborted || call?.aborted) onAbort();
    });
  }
}
