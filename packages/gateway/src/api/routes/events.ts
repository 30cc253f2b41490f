/**
 * GET /api/v1/events: live updates as server-sent events, so the dashboard never polls. `agent`
 * events carry an agent's current record when it is spawned, starts a model call, or exits;
 * `approval` events say a tool approval was asked or answered; `admin_approval` events (admin
 * tokens only) say an admin operation joined or left the approvals queue. A user token hears
 * only its own user's agents. A comment line every keep-alive interval keeps proxies from
 * closing it. Browsers read it with fetch (EventSource cannot send the Authorization header).
 */
import type { KernelEvent } from '@oxydra/kernel';
import { z } from 'zod';
import { approvalFeed } from '../../admin-ops.js';
import { route } from '../define.js';
import { approvalJson } from '../schemas.js';
import { agentJson } from './agents.js';

const WATCHED = [
  'agent_spawned',
  'agent_exited',
  'turn_start',
  'run_completed',
  'run_failed',
  'approval_requested',
  'approval_resolved',
];

const DESCRIPTION = `A \`text/event-stream\` that stays open: each event is an \`event:\` line naming its kind and a \`data:\` line of JSON; lines starting with \`:\` are keep-alive comments. Events are not replayed: after connecting (or reconnecting), read the current state from the REST routes, then apply events to it.

- \`event: agent\` — \`{"type": "agent_spawned" | "agent_status" | "agent_exited", "agent": Agent}\`: an agent started, began a model call or finished a run, or exited. An agent already gone when it exits is \`{"type": "agent_exited", "agent_id", "status"}\`. A \`user\` token hears only its own user's agents.
- \`event: approval\` — a tool call asking to run, or its answer: \`{"type": "approval_requested", "id", "agent_id", "tool", "summary", "expires_at"}\` or \`{"type": "approval_resolved", "id", "agent_id", "allow", "by": "respond" | "timeout" | "cancelled"}\`. Chats answer these over the WebSocket.
- \`event: admin_approval\` (admin tokens only) — the approvals queue of \`GET /api/v1/approvals\` changed: \`{"type": "requested" | "approved" | "rejected" | "expired" | "failed", "approval": AdminApproval}\`. \`requested\`: a new request is waiting; any other type: the request left the queue, decided (by whom: \`approval.decided_by\`) or expired. Requests and decisions made through this gateway are sent at once; expiry as it happens; a decision made at the terminal (\`oxydra approvals approve\`) within a few seconds.`;

export function eventRoutes(keepAliveMs: number) {
  return [
    route({
      method: 'get',
      path: '/events',
      tag: 'events',
      summary: 'Live agent and approval updates (server-sent events)',
      description: DESCRIPTION,
      produces: 'text/event-stream',
      response: z
        .string()
        .describe('`event: agent` / `event: approval` / `event: admin_approval` blocks with JSON `data:`'),
      handler: async ({ kernel, user, principal, reply }) => {
        const subscription = kernel.subscribe({
          types: WATCHED,
          ...(user !== undefined ? { userId: user } : {}),
        });
        reply.hijack();
        const out = reply.raw;
        out.writeHead(200, {
          'content-type': 'text/event-stream; charset=utf-8',
          'cache-control': 'no-cache',
          connection: 'keep-alive',
          'x-accel-buffering': 'no',
        });
        out.write(': connected\n\n');
        const send = (name: string, data: unknown) => {
          if (!out.writableEnded && !out.destroyed)
            out.write(`event: ${name}\ndata: ${JSON.stringify(data)}\n\n`);
        };
        // The approvals queue is the admins' (GET /approvals needs the admin role).
        const unfollow =
          principal.role === 'admin'
            ? (await approvalFeed(kernel)).subscribe((change) =>
                send('admin_approval', { type: change.type, approval: approvalJson(change.approval) }),
              )
            : () => {};
        const timer = setInterval(() => out.write(': keep-alive\n\n'), keepAliveMs);
        timer.unref();
        const stop = () => {
          clearInterval(timer);
          unfollow();
          subscription.close();
        };
        out.on('close', stop);
        void (async () => {
          for await (const envelope of subscription) forward(envelope, send, kernel);
          if (!out.writableEnded) out.end();
        })();
        return undefined;
      },
    }),
  ];
}

function forward(
  envelope: KernelEvent,
  send: (name: string, data: unknown) => void,
  kernel: { agents: { get(id: string): Parameters<typeof agentJson>[0] | undefined } },
): void {
  const { event } = envelope;
  if (event.type === 'approval_requested') {
    send('approval', {
      type: event.type,
      id: event.id,
      agent_id: event.agentId,
      tool: event.tool,
      summary: event.summary,
      expires_at: event.expiresAt,
    });
    return;
  }
  if (event.type === 'approval_resolved') {
    send('approval', {
      type: event.type,
      id: event.id,
      agent_id: event.agentId,
      allow: event.allow,
      by: event.by,
    });
    return;
  }
  const agent = kernel.agents.get(envelope.agentId);
  const type = event.type === 'agent_spawned' || event.type === 'agent_exited' ? event.type : 'agent_status';
  if (agent) send('agent', { type, agent: agentJson(agent) });
  else if (event.type === 'agent_exited')
    send('agent', { type, agent_id: envelope.agentId, status: event.status });
}
