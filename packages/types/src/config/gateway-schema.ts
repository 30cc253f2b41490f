/** The `[gateway]` section: where the daemon listens, who may connect, and its per-user limits. */
import { z } from 'zod';
import { once, positiveInt } from '../once.js';

export const gatewaySchema = once(() =>
  z.strictObject({
    bind: z
      .string()
      .min(1)
      .default('127.0.0.1:7700')
      .describe('HOST:PORT the gateway listens on; a non-loopback host needs a configured token'),
    auth_token_env: z
      .string()
      .min(1)
      .optional()
      .describe(
        'variable holding the gateway token (else OXYDRA_GATEWAY_TOKEN, else a generated token file)',
      ),
    public_hosts: z
      .array(
        z
          .string()
          .max(253)
          .regex(
            /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$|^\[?[0-9A-Fa-f:.]+\]?$/,
            'expected a host name such as "oxydra.example.com" (no scheme, port or path)',
          ),
      )
      .default([])
      .describe(
        'names the gateway answers to besides its bind address and loopback (a Host header naming anything else gets 421)',
      ),
    max_sessions_per_user: positiveInt().default(50).describe('active (unarchived) sessions per user'),
    max_concurrent_turns_per_user: positiveInt()
      .default(10)
      .describe(
        'agent runs at once per user, every door counted (turns, A2A tasks, MCP run_agent, scheduled runs; across the processes of a PostgreSQL deployment); turns and scheduled runs past it wait in a FIFO queue, A2A and MCP are refused',
      ),
    session_idle_ttl_hours: positiveInt()
      .default(48)
      .describe('sessions with no client and no turn for this long are archived'),
    max_frame_bytes: z
      .int()
      .min(1024)
      .default(1_048_576)
      .describe('largest WebSocket frame or HTTP request body accepted, in bytes'),
    rate_limit_per_sec: positiveInt()
      .default(50)
      .describe('WebSocket frames per second each connection may send, sustained'),
    rate_limit_burst: positiveInt()
      .default(100)
      .describe('WebSocket frames a connection may send at once before the rate limit applies'),
    max_requests_per_token: positiveInt()
      .default(32)
      .describe(
        'plain HTTP requests (not streamed answers or WebSockets) a `user` token may have in flight at once, its answers not yet taken included; the next is answered 429',
      ),
    sse_keepalive_secs: z
      .number()
      .positive()
      .max(300)
      .default(15)
      .describe(
        'Seconds between keep-alive comments on a quiet streamed HTTP answer, so proxies keep it open',
      ),
    channels: z
      .boolean()
      .default(true)
      .describe(
        'answer the enabled [channels.*] in the gateway process; false leaves them to `oxydra channels run` (one process answers a channel at a time)',
      ),
  }),
);
