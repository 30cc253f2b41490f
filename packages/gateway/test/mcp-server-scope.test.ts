/**
 * The MCP server decides no session filter of its own: a host gives it the caller's identity
 * and nothing else, and the kernel's session access holds every read to it. Through the real
 * server and the official SDK client (in-memory transport): a server given only a user reads
 * only that user's sessions (by full id, prefix or in the list); one given no user (the
 * workspace's owner: `oxydra mcp serve`, an owner, operator or admin token) reads them all.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOxydraMcpServer, type McpServerScope } from '../src/mcp/oxydra-mcp-server.js';
import { echoScript, startTestGateway, type TestGateway } from './helpers.js';

let env: TestGateway;
const clients: Client[] = [];

async function connect(scope: McpServerScope): Promise<Client> {
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await createOxydraMcpServer(env.kernel, scope).connect(serverSide);
  const client = new Client({ name: 'mcp-scope-test', version: '1.0.0' });
  await client.connect(clientSide);
  clients.push(client);
  return client;
}

const shown = (result: unknown) => JSON.stringify((result as { content?: unknown }).content);

beforeAll(async () => {
  env = await startTestGateway();
  env.model.script = echoScript;
});
afterAll(async () => {
  for (const client of clients) await client.close().catch(() => {});
  await env.cleanup();
});

describe('the MCP server over the kernel session rule', () => {
  it("holds a server given only a user's identity to that user's sessions", async () => {
    const bobs = (await env.kernel.agents.spawn({ prompt: 'bob secret plan', userId: 'bob' }).result)
      .sessionId!;
    const asAlice = await connect({ userId: 'alice' });
    for (const session of [bobs, bobs.slice(0, 12)]) {
      const read = await asAlice.callTool({ name: 'session_transcript', arguments: { session } });
      expect(read.isError).toBe(true);
      expect(shown(read)).not.toContain('bob secret plan');
    }
    expect(shown(await asAlice.callTool({ name: 'sessions_list', arguments: {} }))).not.toContain(bobs);

    const asBob = await connect({ userId: 'bob' });
    expect(
      shown(await asBob.callTool({ name: 'session_transcript', arguments: { session: bobs } })),
    ).toContain('bob secret plan');
  });

  it("lets a server given no user (the workspace's owner) read every user's session", async () => {
    const alices = (await env.kernel.agents.spawn({ prompt: 'alice notes', userId: 'alice' }).result)
      .sessionId!;
    const owner = await connect({});
    expect(shown(await owner.callTool({ name: 'sessions_list', arguments: {} }))).toContain(alices);
    const read = await owner.callTool({ name: 'session_transcript', arguments: { session: alices } });
    expect(read.isError).toBeFalsy();
    expect(shown(read)).toContain('alice notes');
  });
});
