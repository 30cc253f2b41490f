/** The kernel's live agents (sub-agents carry their parent) and killing one with its descendants. */
import type { AgentInfo } from '@oxydra/kernel';
import { z } from 'zod';
import { notFound, route } from '../define.js';
import { agentSchema, idParams } from '../schemas.js';

export function agentJson(agent: AgentInfo) {
  return {
    id: agent.id,
    parent_id: agent.parentId ?? null,
    name: agent.name,
    status: agent.status,
    session_id: agent.sessionId ?? null,
    user_id: agent.userId ?? null,
    started_at: new Date(agent.startedAt).toISOString(),
    turns: agent.turns,
    usage: { input_tokens: agent.usage.inputTokens ?? null, output_tokens: agent.usage.outputTokens ?? null },
    cost_usd: agent.costUsd,
  };
}

export function agentRoutes() {
  return [
    route({
      method: 'get',
      path: '/agents',
      tag: 'agents',
      summary: 'Running agents and sub-agents',
      response: z.object({ agents: z.array(agentSchema) }),
      handler: ({ kernel, user }) => ({
        agents: kernel.agents
          .list()
          .filter((agent) => user === undefined || agent.userId === user)
          .map(agentJson),
      }),
    }),
    route({
      method: 'post',
      path: '/agents/{id}/kill',
      tag: 'agents',
      summary: 'Kill an agent and its sub-agents',
      params: idParams,
      response: z.object({ killed: z.literal(true) }),
      handler: async ({ kernel, params, user, actor }) => {
        const agent = kernel.agents.get(params.id);
        if (!agent || (user !== undefined && agent.userId !== user))
          throw notFound(`agent ${params.id.slice(0, 80)}`);
        await kernel.agents.kill(agent.id, `killed over the API by ${actor}`);
        return { killed: true as const };
      },
    }),
  ];
}
