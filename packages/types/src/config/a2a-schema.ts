/**
 * `[a2a]`: agent-to-agent (A2A). The gateway publishes an agent card and serves A2A tasks
 * behind its token; `[a2a.remotes.<name>]` are remote A2A agents this workspace's agents may
 * delegate to with the a2a_delegate tool.
 */
import { z } from 'zod';

export const a2aRemoteSchema = z.strictObject({
  url: z
    .url({ protocol: /^https?$/ })
    .describe("the remote agent's base URL (its card is at /.well-known/agent-card.json)"),
  token_env: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_]*$/)
    .optional()
    .describe('the variable holding the bearer token the remote expects'),
  description: z.string().optional().describe('what it is for (shown to delegating agents)'),
});

export const a2aSchema = z.strictObject({
  serve: z
    .boolean()
    .default(true)
    .describe('the gateway serves A2A (agent card and tasks, behind its token)'),
  remotes: z.record(z.string().min(1), a2aRemoteSchema).default({}).describe('remote A2A agents by name'),
});
