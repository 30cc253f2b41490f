/**
 * `[a2a]`: agent-to-agent (A2A, protocol 1.0). The gateway publishes an agent card and serves
 * A2A tasks behind its token; `[a2a.remotes.<name>]` are remote A2A agents this workspace's
 * agents may hand tasks to with the a2a_delegate tool.
 */
import { z } from 'zod';
import { once } from '../once.js';

export const a2aRemoteSchema = once(() =>
  z.strictObject({
    url: z
      .url({ protocol: /^https?$/ })
      .describe("the remote agent's base URL (its card is at /.well-known/agent-card.json)"),
    token_env: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]*$/)
      .optional()
      .describe('the variable holding the bearer token the remote expects (sent to its origin only)'),
    description: z.string().optional().describe('what it is for (shown to delegating agents)'),
    timeout_secs: z
      .int()
      .min(1)
      .max(86_400)
      .default(900)
      .describe('a delegated task still running after this long is cancelled'),
  }),
);

export const a2aSchema = once(() =>
  z.strictObject({
    serve: z
      .boolean()
      .default(true)
      .describe('the gateway serves A2A: a public agent card, tasks behind its token'),
    public_url: z
      .url({ protocol: /^https?$/ })
      .optional()
      .describe(
        'the URL clients reach the gateway at, for the card (behind a proxy; its host is accepted like [gateway] public_hosts); default: the bind address',
      ),
    name: z.string().min(1).max(100).default('Oxydra').describe("the agent card's name"),
    remotes: z
      .record(
        z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/, 'a remote name is letters, digits, _ and -'),
        a2aRemoteSchema(),
      )
      .default({})
      .describe('remote A2A agents by name'),
  }),
);
