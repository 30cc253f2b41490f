/**
 * The live feed's events (GET /api/v1/events) as they are sent: each kernel event the feed
 * watches becomes an `agent` or `approval` event. One renderer for both the local feed and the
 * events relayed from other gateway processes (cluster/feed-relay.ts), so both look the same.
 */
import type { KernelEvent } from '@oxydra/kernel';
import { agentJson } from './routes/agents.js';

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
): Array<[string, unknown]> {
  const out: Array<[string, unknown]> = [];
  const send = (name: string, data: unknown) => out.push([name, data]);
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
    send('agent', { type, agent_id: envelope.agentId, status: event.status });
  return out;
}
