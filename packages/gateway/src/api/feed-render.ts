/**
 * The live feed's events (GET /api/v1/events) as they are sent: each kernel event the feed
 * watches becomes an `agent` or `approval` event. One renderer for both the local feed and the
 * events relayed from other gateway processes (cluster/feed-relay.ts), so both look the same.
 */
import type { KernelEvent } from '@oxydra/kernel';
import { z } from 'zod';
import { agentJson } from './routes/agents.js';
import { agentSchema } from './schemas.js';

/**
 * Each feed event's `data`, by event name: what renderFeedEvent makes (the compiler holds it to
 * these), and what an event relayed from another gateway process must be before this process's
 * dashboards get it (cluster/relayed-feed.ts): whoever can write the bus could otherwise hand them
 * any JSON as the gateway's own.
 */
export const feedEventSchemas = {
  agent: z.union([
    z.object({ type: z.enum(['agent_spawned', 'agent_status', 'agent_exited']), agent: agentSchema }),
    z.object({
      type: z.literal('agent_exited'),
      agent_id: z.string(),
      status: z.enum(['completed', 'failed', 'killed']),
    }),
  ]),
  approval: z.discriminatedUnion('type', [
    z.object({
      type: z.literal('approval_requested'),
      id: z.string(),
      agent_id: z.string(),
      tool: z.string(),
      summary: z.string(),
      expires_at: z.string(),
    }),
    z.object({
      type: z.literal('approval_resolved'),
      id: z.string(),
      agent_id: z.string(),
      allow: z.boolean(),
      by: z.enum(['respond', 'timeout', 'cancelled']),
    }),
  ]),
};

type FeedEventName = keyof typeof feedEventSchemas;
/** One feed event: its name and its data. */
export type FeedEvent = {
  [Name in FeedEventName]: [Name, z.infer<(typeof feedEventSchemas)[Name]>];
}[FeedEventName];

/** The kernel event types the feed sends on. */
export const FEED_EVENT_TYPES = [
  'agent_spawned',
  'agent_exited',
  'turn_start',
  'run_completed',
  'run_failed',
  'approval_requested',
  'approval_resolved',
];

/** The feed's events for one kernel event: `[name, data]` pairs (none, one). */
export function renderFeedEvent(
  envelope: KernelEvent,
  kernel: { agents: { get(id: string): Parameters<typeof agentJson>[0] | undefined } },
): FeedEvent[] {
  const out: FeedEvent[] = [];
  const send = (...event: FeedEvent) => out.push(event);
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
    return out;
  }
  if (event.type === 'approval_resolved') {
    send('approval', {
      type: event.type,
      id: event.id,
      agent_id: event.agentId,
      allow: event.allow,
      by: event.by,
    });
    return out;
  }
  const agent = kernel.agents.get(envelope.agentId);
  const type = event.type === 'agent_spawned' || event.type === 'agent_exited' ? event.type : 'agent_status';
  if (agent) send('agent', { type, agent: agentJson(agent) });
  else if (event.type === 'agent_exited')
    send('agent', { type: event.type, agent_id: envelope.agentId, status: event.status });
  return out;
}
