/**
 * The kernel's live agents (sub-agents carry their parent) and killing one with its descendants;
 * and the agents a new session can run (the configuration's, by name).
 */
import { type AgentInfo, type Kernel, mayUse } from '@oxydra/kernel';
import { z } from 'zod';
import { DEFAULT_AGENT } from '../../types.js';
import { notFound, route } from '../define.js';
import { agentSchema, idParams } from '../schemas.js';

const configuredAgentSchema = z
  .object({
    name: z.string().describe('what a session names: "default" or an [agents.<name>] table'),
    description: z.string().nullable(),
    provider: z.string(),
    model: z.string(),
  })
  .meta({ id: 'ConfiguredAgent' });

/** "default" (the top-level configuration) first, then each [agents.<name>] in its order. */
function configuredAgents(kernel: Pick<Kernel, 'config'>): z.infer<typeof configuredAgentSchema>[] {
  const { config } = kernel;
  const top = {
    name: DEFAULT_AGENT,
    description: null,
    provider: config.selection.provider,
    model: config.selection.model,
  };
  const named = Object.entries(config.agents)
    // A session naming "default" runs the top-level configuration, whatever [agents.default] says.
    .filter(([name]) => name !== DEFAULT_AGENT)
    .map(([name, agent]) => ({
      name,
      description: agent.description ?? null,
      provider: agent.selection?.provider ?? config.selection.provider,
      model: agent.selection?.model ?? config.selection.model,
    }));
  return [top, ...named];
}

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
          .filter((agent) => mayUse(agent.userId, { userId: user }))
          .map(agentJson),
      }),
    }),
    route({
      method: 'get',
      path: '/agents/configured',
      tag: 'agents',
      summary: 'Agents a new session can run',
      description:
        'The names `create_session` (WebSocket) accepts as `agent_name`, with what each is for and the model it uses.',
      response: z.object({ agents: z.array(configuredAgentSchema) }),
      handler: ({ kernel }) => ({ agents: configuredAgents(kernel) }),
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
        if (!agent || !mayUse(agent.userId, { userId: user }))
          throw notFound(`agent ${params.id.slice(0, 80)}`);
        await kernel.agents.kill(agent.id, `killed over the API by ${actor}`);
        return { killed: true as const };
      },
    }),
  ];
}
