/**
 * Oxydra as an MCP server over the gateway's /mcp (Streamable HTTP), with the official SDK
 * client: refused without the gateway token; with it, run_agent answers; a `user` token acts as
 * its user and sees only that user's sessions; an MCP session belongs to the token that opened it.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { echoScript, startTestGateway, type TestGateway, TOKEN } from './helpers.js';

let env: TestGateway;
const clients: Client[] = [];

async function connect(
  token: string | undefined,
): Promise<{ client: Client; transport: StreamableHTTPClientTransport }> {
  const transport = new StreamableHTTPClientTransport(new URL(`${env.gateway.url}/mcp`), {
    requestInit: { headers: token ? { authorization: `Bearer ${token}` } : {} },
  });
  const client = new Client({ name: 'gateway-mcp-test', version: '1.0.0' });
  await client.connect(transport);
  clients.push(client);
  return { client, transport };
}

beforeAll(async () => {
  env = await startTestGateway();
  env.model.script = echoScript;
});
afterAll(async () => {
  for (const client of clients) await client.close().catch(() => {});
  await env.cleanup();
});

describe('/mcp', () => {
  it('refuses a client without the gateway token', async () => {
    await expect(connect(undefined)).rejects.toThrow(/401|unauthorized/i);
  });

  it('runs an agent for the owner and lists the tools', async () => {
    const { client } = await connect(TOKEN);
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name)).toContain('run_agent');
    const result = await client.callTool({ name: 'run_agent', arguments: { prompt: 'hello gateway' } });
    expect(result.content).toEqual([{ type: 'text', text: 'echo: hello gateway' }]);
  });

  it("keeps a user token to its own user's sessions", async () => {
    const alice = env.kernel.tokens.add('alice', 'user', '', 'test').token;
    const bob = env.kernel.tokens.add('bob', 'user', '', 'test').token;
    const asAlice = (await connect(alice)).client;
    const run = await asAlice.callTool({ name: 'run_agent', arguments: { prompt: 'alice was here' } });
    const session = (run.structuredContent as { session_id: string }).session_id;
    expect((await env.kernel.sessions!.get(session))?.userId).toBe('alice');

    const asBob = (await connect(bob)).client;
    const listed = await asBob.callTool({ name: 'sessions_list', arguments: {} });
    expect(JSON.stringify(listed.content)).not.toContain(session);
    const read = await asBob.callTool({ name: 'session_transcript', arguments: { session } });
    expect(read.isError).toBe(true);
    const own = await asAlice.callTool({ name: 'session_transcript', arguments: { session } });
    expect(JSON.stringify(own.content)).toContain('alice was here');
  });

  it('refuses another token on an MCP session it did not open', async () => {
    const { transport } = await connect(TOKEN);
    const other = env.kernel.tokens.add('carol', 'user', '', 'test').token;
    const response = await fetch(`${env.gateway.url}/mcp`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${other}`,
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        'mcp-session-id': transport.sessionId!,
        'mcp-protocol-version': '2025-06-18',
      },
      body: JSON.stringify({ jsonrpc: '2.0', id: 9, method: 'tools/list' }),
    });
    expect(response.status).toBe(404);
  });
});
