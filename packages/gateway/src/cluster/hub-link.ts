/**
 * What the other gateway processes' messages do to this one's hub: their session frames go to
 * this process's clients of those sessions; cancels and approval answers reach the runs held
 * here; a dead process's run reaped here is reported interrupted to its session's clients
 * (here and, through the bus, everywhere) and its turn record says how it ended.
 */

import { interruptedTurnFrame } from '@oxydra/kernel/deployment';
import type { SessionStore } from '@oxydra/memory';
import type { LiveSession, SessionRegistry } from '../live-sessions.js';
import type { ApprovalRoutes } from '../turn-approvals.js';
import type { GatewayLogger } from '../types.js';
import type { ClusterHost, GatewayCluster } from './gateway-cluster.js';
import { parseRelayedFrame } from './relayed-frame.js';

/** What of the hub the other processes' messages act on (the hub is one). */
export interface LinkedHub {
  readonly registry: SessionRegistry;
  readonly approvals: ApprovalRoutes;
  readonly store: SessionStore;
  readonly cluster: GatewayCluster | undefined;
  readonly options: { readonly log: GatewayLogger };
  cancelLocalTurn(live: LiveSession): boolean;
  cancelLocalTurns(userId: string): number;
}

export function clusterHost(hub: LinkedHub): ClusterHost {
  return {
    deliver(message) {
      const live = hub.registry.get(message.session_id);
      if (!live) return undefined;
      // Checked only here, once a client of the session is attached: frames nobody here watches cost nothing.
      const read = parseRelayedFrame(message.frame);
      if (!('message' in read)) return read;
      live.deliver(message.frame, message.approvers_only === true);
      if (message.approvers_only) hub.approvals.noteRemote(read.message, live.userId);
      return undefined;
    },
    control(message) {
      switch (message.kind) {
        case 'cancel': {
          const live = hub.registry.get(message.session_id);
          if (live) hub.cancelLocalTurn(live);
          return;
        }
        case 'cancel_all':
          hub.cancelLocalTurns(message.user_id);
          return;
        case 'approval':
          try {
            hub.approvals.respondHere(message.user_id, message.approval_id, message.allow);
          } catch {
            // Not this process's question (or not that user's): another process's, or nobody's.
          }
      }
    },
    async interrupted(run) {
      const text = await interruptedTurnFrame(hub.store, run);
      if (text === undefined) return;
      hub.registry.get(run.sessionId)?.deliver(text, false);
      hub.cluster?.publishFrame(run.sessionId, text, false);
    },
  };
}
