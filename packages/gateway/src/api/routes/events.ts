/**
 * GET /api/v1/events: live updates as server-sent events, so the dashboard never polls. `agent`
 * events carry an agent's current record when it is spawned, starts a model call, or exits;
 * `approval` events say a tool approval was asked or answered; `admin_approval` events (admin
 * tokens only) say an admin operation joined or left the approvals queue. A user token hears
 * only its own user's agents. A comment line every keep-alive interval keeps proxies from
 * closing it. Browsers read it with fetch (EventSource cannot send the Authorization header).
 */
import { z } from 'zod';
import { approvalFeed } from '../../admin-ops.js';
import { answeredAsStream } from '../../request-slots.js';
import { writeUnlessBehind } from '../../slow-readers.js';
import { StreamSlots } from '../../stream-slots.js';
import type { GatewayLogger } from '../../types.js';
import { ApiError, route } from '../define.js';
import { FEED_EVENT_TYPES, renderFeedEvent } from '../feed-render.js';
import { approvalJson } from '../schemas.js';

const DESCRIPTION = `A \`text/event-stream\` that stays open: each event is an \`event:\` line naming its kind and a \`data:\` line of JSON; lines starting with \`:\` are keep-alive comments. Events are not replayed: after connecting (or reconnecting), read the current state from the REST routes, then apply events to it.

- \`event: agent\` — \`{"type": "agent_spawned" | "agent_status" | "agent_exited", "agent": Agent}\`: an agent started, began a model call or finished a run, or exited. An agent already gone when it exits is \`{"type": "agent_exited", "agent_id", "status"}\`. A \`user\` token hears only its own user's agents.
- \`event: approval\` — a tool call asking to run, or its answer: \`{"type": "approval_requested", "id", "agent_id", "tool", "summary", "expires_at"}\` or \`{"type": "approval_resolved", "id", "agent_id", "allow", "by": "respond" | "timeout" | "cancelled"}\`. Chats answer these over the WebSocket.
- \`event: admin_approval\` (admin tokens only) — the approvals queue of \`GET /api/v1/approvals\` changed: \`{"type": "requested" | "approved" | "rejected" | "expired" | "failed", "approval": AdminApproval}\`. \`requested\`: a new request is waiting; any other type: the request left the queue, decided (by whom: \`approval.decided_by\`) or expired. Requests and decisions made through this gateway are sent at once; expiry as it happens; a decision made at the terminal (\`oxydra approvals approve\`) within a few seconds.`;

/**
 * The events other gateway processes relay (one of several on a store): subscribe, get the stop
 * once they relay to this process (they do only while it has a client of the feed).
 */
export type RemoteFeed = (
  listener: (message: { user_id?: string | undefined; name: string; data: unknown }) => void,
) => Promise<() => void>;

/**
 * Feeds a `user` token may have open at once: each is a subscription every event of its user is
 * rendered and written to, so a thousand of them cost a thousand times each event (and memory).
 * A dashboard needs one per tab. Operator and admin tokens are not capped.
 */
export const MAX_FEEDS_PER_USER_TOKEN = 8;

export function eventRoutes(keepAliveMs: number, remoteFeed?: RemoteFeed, log?: GatewayLogger) {
  const feeds = new StreamSlots(MAX_FEEDS_PER_USER_TOKEN);
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
        const release = feeds.take(principal);
        if (release === undefined) {
          throw new ApiError(
            429,
            'rate_limited',
            `too many live feeds open with this token (at most ${MAX_FEEDS_PER_USER_TOKEN}); close some`,
          );
        }
        let subscription: ReturnType<typeof kernel.subscribe>;
        try {
          subscription = kernel.subscribe({
            types: FEED_EVENT_TYPES,
            ...(user !== undefined ? { userId: user } : {}),
          });
        } catch (error) {
          release();
          throw error;
        }
        reply.hijack();
        const out = reply.raw;
        answeredAsStream(out);
        // Counted until the stream is gone, however it ends.
        out.once('close', release);
        out.writeHead(200, {
          'content-type': 'text/event-stream; charset=utf-8',
          'cache-control': 'no-cache',
          connection: 'keep-alive',
          'x-accel-buffering': 'no',
        });
        // A feed nobody reads is cut, not buffered: an admin's gets every user's events, and
        // events are not replayed anyway (a client reconnects and reads the REST routes).
        const write = (text: string) => writeUnlessBehind(out, text, log, 'live feed');
        const send = (name: string, data: unknown) => {
          write(`event: ${name}\ndata: ${JSON.stringify(data)}\n\n`);
        };
        // Agents running on other gateway processes of the deployment, rendered there. Never
        // their admin_approval events: this process's own feed of the shared queue says those.
        // The others relay them only once they heard of this client: before it is told it is
        // connected, so it misses nothing of theirs from then on. Each was checked against its
        // event's schema where heard (cluster/relayed-feed.ts).
        const unrelay = remoteFeed
          ? await remoteFeed((message) => {
              if (user !== undefined && message.user_id !== user) return;
              if (message.name === 'agent' || message.name === 'approval') send(message.name, message.data);
            })
          : () => {};
        out.write(': connected\n\n');
        // The approvals queue is the admins' (GET /approvals needs the admin role).
        const unfollow =
          principal.role === 'admin'
            ? (await approvalFeed(kernel)).subscribe((change) =>
                send('admin_approval', { type: change.type, approval: approvalJson(change.approval) }),
              )
            : () => {};
        const timer = setInterval(() => write(': keep-alive\n\n'), keepAliveMs);
        timer.unref();
        const stop = () => {
          clearInterval(timer);
          unfollow();
          unrelay();
          subscription.close();
        };
        out.on('close', stop);
        // Gone while the feeds above were being set up: its 'close' came before the listener.
        if (out.destroyed) stop();
        void (async () => {
          for await (const envelope of subscription) {
            for (const [name, data] of renderFeedEvent(envelope, kernel)) send(name, data);
          }
          if (!out.writableEnded) out.end();
        })();
        return undefined;
      },
    }),
  ];
}
