/**
 * One user cannot take every MCP session: a `user` token has at most
 * MAX_MCP_SESSIONS_PER_USER_TOKEN, and when they are all live (SDK clients keep a GET stream open)
 * its next one is refused (429) while another user's still opens. Before, only the overall limit
 * (100) applied, so one user holding 100 live sessions had every other token refused.
 */
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterAll, describe, expect, it } from 'vitest';
import { MAX_MCP_SESSIONS_PER_USER_TOKEN } from '../src/mcp/http-route.js';
import { gatewayForAliceAndBob, jsonOf } from './helpers.js';
import { connectLiveMcp } from './mcp-client.js';

const users = gatewayForAliceAndBob();
const clients: Client[] = [];

// Before the gateway's own cleanup (registered first above, so run after this).
afterAll(async () => {
  await Promise.allSettled(clients.map((client) => client.close()));
});

/** An SDK client's session: live while connected (its GET stream stays open). */
async function live(token: string): Promise<Client> {
  const { client } = await connectLiveMcp(users.env.gateway.url, token);
  clients.push(client);
  return client;
}

function initialize(token: string): Promise<Response> {
  return fetch(`${users.env.gateway.url}/mcp`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${token}`,
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
    },
    body: JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
    }),
  });
}

describe("a user token's MCP sessions", () => {
  it('are capped for that token only', async () => {
    // A retried attempt starts from idle sessions (a closed client's session is idle, replaceable).
    await Promise.allSettled(clients.splice(0).map((client) => client.close()));
    for (let i = 0; i < MAX_MCP_SESSIONS_PER_USER_TOKEN; i++) await live(users.alice);
    const refused = await initialize(users.alice);
    expect(refused.status).toBe(429);
    expect((await jsonOf(refused)).error.message).toContain('for this token');
    const other = await initialize(users.bob);
    expect(other.status).toBe(200);
    await other.body?.cancel();
    // alice's live sessions still work.
    expect((await clients[0]!.listTools()).tools.length).toBeGreaterThan(0);
  });
});
