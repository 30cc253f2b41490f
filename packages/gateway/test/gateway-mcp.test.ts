/**
 * Oxydra as an MCP server over the gateway's /mcp (Streamable HTTP), with the official SDK
 * client: refused without the gateway token; with it, run_agent answers with progress
 * notifications; an aborted run_agent kills its agent and leaves none running; DELETE and the
 * gateway closing end a session and cancel its running agent; a `user` token acts as its user
 * and sees (and continues) only that user's sessions; an MCP session belongs to the token that
 * opened it; when full, a new session replaces the least recently used idle one, never a live one.
 * The server itself (in-memory transport) decides no session filter: given only a user's
 * identity it reads only that user's sessions (the kernel's sessionAccess rule); given no user
 * (the workspace's owner: `oxydra mcp serve`, an owner, operator or admin token) it reads all.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { pollUntil } from '@oxydra/testkit/helpers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_MCP_SESSIONS } from '../src/mcp/http-route.js';
import { createOxydraMcpServer, type McpServerScope } from '../src/mcp/oxydra-mcp-server.js';
import {
  echoScript,
  Gate,
  heldScript,
  ownerSessions,
  type Spawn,
  startTestGateway,
  type TestGateway,
  TOKEN,
} from './helpers.js';
import { connectLiveMcp, type McpConnection } from './mcp-client.js';

let env: TestGateway;
const clients: Client[] = [];
const PROTOCOL = '2025-06-18';

async function connect(token: string | undefined, gateway: TestGateway = env): Promise<McpConnection> {
  const connection = await connectLiveMcp(gateway.gateway.url, token);
  clients.push(connection.client);
  return connection;
}

/** A raw JSON-RPC POST to /mcp (read to its end); its status, session header and body. */
async function post(
  token: string,
  message: Record<string, unknown>,
  sessionId?: string,
): Promise<{ status: number; sessionId: string | null; body: string }> {
  const response = await fetch(`${env.gateway.url}/mcp`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${token}`,
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      'mcp-protocol-version': PROTOCOL,
      ...(sessionId ? { 'mcp-session-id': sessionId } : {}),
    },
    body: JSON.stringify({ jsonrpc: '2.0', ...message }),
  });
  return {
    status: response.status,
    sessionId: response.headers.get('mcp-session-id'),
    body: await response.text(),
  };
}

const initialize = (token: string) =>
  post(token, {
    id: 1,
    method: 'initialize',
    params: { protocolVersion: PROTOCOL, capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
  });

async function spawnOf(prompt: string, gateway: TestGateway = env): Promise<Spawn> {
  let found: Spawn | undefined;
  await pollUntil(() => {
    found = gateway.spawns.find((spawn) => spawn.prompt === prompt);
    return found !== undefined;
  }, `the agent for "${prompt}" to spawn`);
  return found!;
}

/** Starts a run_agent whose model holds; resolves once the agent is working. */
async function heldRun(
  client: Client,
  prompt: string,
  signal?: AbortSignal,
): Promise<{ call: Promise<unknown>; progress: string[] }> {
  const progress: string[] = [];
  let working!: () => void;
  const isWorking = new Promise<void>((resolve) => {
    working = resolve;
  });
  const call = client
    .callTool({ name: 'run_agent', arguments: { prompt } }, undefined, {
      ...(signal ? { signal } : {}),
      onprogress: (update) => {
        progress.push(update.message ?? '');
        if (update.message === 'writing: working') working();
      },
    })
    .then(
      (result) => result,
      (error: unknown) => error,
    );
  await Promise.race([isWorking, call.then(() => {})]);
  return { call, progress };
}

const running = (gateway: TestGateway) =>
  gateway.kernel.agents.list().filter((agent) => !['completed', 'failed', 'killed'].includes(agent.status));

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
    expect((await initialize('not-the-token')).status).toBe(401);
  });

  it('runs an agent for the owner with progress notifications, and lists the tools', async () => {
    const { client } = await connect(TOKEN);
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual([
      'memory_save',
      'memory_search',
      'run_agent',
      'session_transcript',
      'sessions_list',
    ]);
    const progress: string[] = [];
    const result = await client.callTool(
      { name: 'run_agent', arguments: { prompt: 'hello gateway' } },
      undefined,
      { onprogress: (update) => progress.push(update.message ?? '') },
    );
    expect(result.content).toEqual([{ type: 'text', text: 'echo: hello gateway' }]);
    expect(progress).toEqual(['model call 1 of at most 4', 'writing: echo:']);
    expect(result.structuredContent).toMatchObject({
      status: 'completed',
      usage: { input_tokens: 10, output_tokens: 3 },
    });
  });

  it('kills the agent when the client aborts run_agent, and leaves none running', async () => {
    const gate = new Gate();
    env.model.script = heldScript(gate);
    try {
      const { client } = await connect(TOKEN);
      const controller = new AbortController();
      const { call } = await heldRun(client, 'abort me', controller.signal);
      const spawn = await spawnOf('abort me');
      expect(spawn.killed).toBe(false);
      controller.abort();
      expect(String(await call)).toMatch(/abort/i);
      await pollUntil(() => spawn.killed, 'the agent to be killed');
      expect(running(env)).toEqual([]);
      // The MCP session serves on.
      expect((await client.listTools()).tools.length).toBe(5);
    } finally {
      gate.release();
      env.model.script = echoScript;
    }
  });

  it('ends an MCP session on DELETE, cancelling its running agent', async () => {
    const gate = new Gate();
    env.model.script = heldScript(gate);
    try {
      const { client, transport } = await connect(TOKEN);
      const { call } = await heldRun(client, 'delete me');
      const spawn = await spawnOf('delete me');
      const sessionId = transport.sessionId!;
      await transport.terminateSession();
      await pollUntil(() => spawn.killed, 'the agent to be killed');
      expect(running(env)).toEqual([]);
      expect((await post(TOKEN, { id: 2, method: 'tools/list' }, sessionId)).status).toBe(404);
      await client.close();
      await call;
    } finally {
      gate.release();
      env.model.script = echoScript;
    }
  });

  it("keeps a user token to its own user's sessions", async () => {
    const alice = (await (await env.kernel.service('tokens')).add('alice', 'user', '', 'test')).token;
    const bob = (await (await env.kernel.service('tokens')).add('bob', 'user', '', 'test')).token;
    const asAlice = (await connect(alice)).client;
    const run = await asAlice.callTool({ name: 'run_agent', arguments: { prompt: 'alice was here' } });
    const session = (run.structuredContent as { session_id: string }).session_id;
    expect((await (await ownerSessions(env.kernel)).get(session))?.userId).toBe('alice');

    const asBob = (await connect(bob)).client;
    const listed = await asBob.callTool({ name: 'sessions_list', arguments: {} });
    expect(JSON.stringify(listed.content)).not.toContain(session);
    const read = await asBob.callTool({ name: 'session_transcript', arguments: { session } });
    expect(read.isError).toBe(true);
    // Nor can bob continue alice's session by its full id (and so read it through the model).
    const calls = env.model.calls.length;
    const continued = await asBob.callTool({
      name: 'run_agent',
      arguments: { prompt: 'what did alice say?', session },
    });
    expect(continued.isError).toBe(true);
    expect(JSON.stringify(continued.content)).not.toContain('alice was here');
    expect(env.model.calls.length).toBe(calls);
    // Bob's own runs are his, and he can continue them.
    const own = await asBob.callTool({
      name: 'run_agent',
      arguments: { prompt: 'bob here', session: 'bobs' },
    });
    expect(own.isError).toBeFalsy();
    const bobs = (own.structuredContent as { session_id: string }).session_id;
    expect((await (await ownerSessions(env.kernel)).get(bobs))?.userId).toBe('bob');
    expect(
      JSON.stringify((await asBob.callTool({ name: 'sessions_list', arguments: {} })).content),
    ).toContain(bobs);

    const mine = await asAlice.callTool({ name: 'session_transcript', arguments: { session } });
    expect(JSON.stringify(mine.content)).toContain('alice was here');
    // The owner's token acts for every user: it sees both.
    const owner = (await connect(TOKEN)).client;
    const all = JSON.stringify((await owner.callTool({ name: 'sessions_list', arguments: {} })).content);
    expect(all).toContain(session);
    expect(all).toContain(bobs);
    // So does an operator token (no user of its own): the kernel lets it read alice's transcript.
    const operator = (await (await env.kernel.service('tokens')).add('ops', 'operator', '', 'test')).token;
    const asOperator = (await connect(operator)).client;
    const alices = await asOperator.callTool({ name: 'session_transcript', arguments: { session } });
    expect(JSON.stringify(alices.content)).toContain('alice was here');
  });

  it('refuses another token on an MCP session it did not open', async () => {
    const { transport } = await connect(TOKEN);
    const other = (await (await env.kernel.service('tokens')).add('carol', 'user', '', 'test')).token;
    const refused = await post(other, { id: 9, method: 'tools/list' }, transport.sessionId!);
    expect(refused.status).toBe(404);
    expect((await post(TOKEN, { id: 9, method: 'tools/list' }, transport.sessionId!)).status).toBe(200);
  });

  it('replaces the least recently used idle session when full, never a live one', async () => {
    // An SDK client keeps its GET stream open: a live session.
    const { client: live } = await connect(TOKEN);
    const opened: string[] = [];
    for (let i = 0; i <= MAX_MCP_SESSIONS; i++) {
      const answer = await initialize(TOKEN);
      expect(answer.status).toBe(200);
      opened.push(answer.sessionId!);
    }
    expect((await post(TOKEN, { id: 2, method: 'tools/list' }, opened[0])).status).toBe(404);
    expect((await post(TOKEN, { id: 2, method: 'tools/list' }, opened.at(-1))).status).toBe(200);
    expect((await live.listTools()).tools.length).toBe(5);
  });
});

describe('/mcp when the gateway closes', () => {
  it('cancels the agents of its MCP sessions', async () => {
    const other = await startTestGateway();
    const gate = new Gate();
    other.model.script = heldScript(gate);
    try {
      const { client } = await connect(TOKEN, other);
      const { call } = await heldRun(client, 'close the gateway');
      const spawn = await spawnOf('close the gateway', other);
      await other.gateway.close();
      // The kernel is still open: the gateway itself cancelled the run.
      await pollUntil(() => spawn.killed, 'the agent to be killed');
      expect(running(other)).toEqual([]);
      await client.close();
      await call;
    } finally {
      gate.release();
      await other.cleanup();
    }
  });
});

/** The MCP server alone over the test kernel, given `scope` as a host would (no HTTP route). */
async function serverClient(scope: McpServerScope): Promise<Client> {
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await createOxydraMcpServer(env.kernel, scope).connect(serverSide);
  const client = new Client({ name: 'mcp-scope-test', version: '1.0.0' });
  await client.connect(clientSide);
  clients.push(client);
  return client;
}

const shown = (result: unknown) => JSON.stringify((result as { content?: unknown }).content);

describe('the MCP server over the kernel session rule', () => {
  it("holds a server given only a user's identity to that user's sessions", async () => {
    const bobs = (await env.kernel.agents.spawn({ prompt: 'bob secret plan', userId: 'bob' }).result)
      .sessionId!;
    const asAlice = await serverClient({ userId: 'alice' });
    for (const session of [bobs, bobs.slice(0, 12)]) {
      const read = await asAlice.callTool({ name: 'session_transcript', arguments: { session } });
      expect(read.isError).toBe(true);
      expect(shown(read)).not.toContain('bob secret plan');
    }
    expect(shown(await asAlice.callTool({ name: 'sessions_list', arguments: {} }))).not.toContain(bobs);

    const asBob = await serverClient({ userId: 'bob' });
    const own = await asBob.callTool({ name: 'session_transcript', arguments: { session: bobs } });
    expect(shown(own)).toContain('bob secret plan');
  });

  it("lets a server given no user (the workspace's owner) read every user's session", async () => {
    const alices = (await env.kernel.agents.spawn({ prompt: 'alice notes', userId: 'alice' }).result)
      .sessionId!;
    const owner = await serverClient({});
    expect(shown(await owner.callTool({ name: 'sessions_list', arguments: {} }))).toContain(alices);
    const read = await owner.callTool({ name: 'session_transcript', arguments: { session: alices } });
    expect(read.isError).toBeFalsy();
    expect(shown(read)).toContain('alice notes');
  });
});
