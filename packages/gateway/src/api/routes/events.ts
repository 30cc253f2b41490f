/**
 * GET /api/v1/events: live updates as server-sent events, so the dashboard never polls. `agent`
 * events carry an agent's current record when it is spawned, starts a model call, or exits;
 * `approval` events say a tool approval was asked or answered. A user token hears only its
 * own user's agents. A comment line every keep-alive interval keeps proxies from closing it.
 * Browsers read it with fetch (EventSource cannot send the Authorization header).
 */
import type { KernelEvent } from '@oxydra/kernel';
import { z } from 'zod';
import { route } from '../define.js';
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

export function eventRoutes(keepAliveMs: number) {
  return [
    route({
      method: 'get',
      path: '/events',
      tag: 'events',
      summary: 'Live agent and approval updates (server-sent events)',
      produces: 'text/event-stream',
      response: z.string().describe('`event: agent` / `event: approval` lines with JSON `data:`'),
      handler: ({ kernel, user, reply }) => {
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
        const send = (name: string, data: unknown) =>
          out.write(`event: ${name}\ndata: ${JSON.stringify(data)}\n\n`);
        const timer = setInterval(() => out.write(': keep-alive\n\n'), keepAliveMs);
        timer.unref();
        const stop = () => {
          clearInterval(timer);
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
  if (event.type === 'approval_requested' || event.type === 'approval_resolved') {
    send('approval', { ...event });
    return;
  }
  const agent = kernel.agents.get(envelope.agentId);
  const type = event.type === 'agent_spawned' || event.type === 'agent_exited' ? event.type : 'agent_status';
  if (agent) send('agent', { type, agent: agentJson(agent) });
  else if (event.type === 'agent_exited')
    send('agent', { type, agent_id: envelope.agentId, status: event.status });
}
