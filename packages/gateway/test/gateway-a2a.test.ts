/**
 * The gateway as an A2A agent, driven by the A2A SDK's own client: the public agent card parses
 * with the SDK (one skill per agent, the JSON-RPC endpoint, the bearer scheme); task calls need
 * the token; a blocking send answers with a completed task and its answer artifact; a streaming
 * send reports working updates then the answer; a reused contextId continues the conversation;
 * metadata.agent picks the agent; cancelling a task kills its agent; one token cannot read or
 * cancel another's task; per-token running tasks are limited; [a2a] serve = false removes it all.
 */
import { type AgentCard, AgentCard as AgentCardJson, type Task, TaskState } from '@a2a-js/sdk';
import { type Client, DefaultAgentCardResolver } from '@a2a-js/sdk/client';
import { Client as McpClient } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { pollUntil } from '@oxydra/testkit/helpers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  answerOf,
  a2aMessage as message,
  partsText,
  a2aClient as sdkClient,
  statusText,
} from './a2a-client.js';
import {
  echoScript,
  Gate,
  heldScript,
  jsonOf,
  ScriptedModel,
  startTestGateway,
  type TestGateway,
  TOKEN,
} from './helpers.js';

let env: TestGateway;

const a2aClient = (token: string | undefined, gateway: TestGateway = env): Promise<Client> =>
  sdkClient(gateway.gateway.url, token);

async function completedTask(
  client: Client,
  text: string,
  extra: Parameters<typeof message>[1] = {},
): Promise<Task> {
  const result = await client.sendMessage(message(text, extra));
  expect('status' in result, 'the gateway answers with a task').toBe(true);
  return result as Task;
}

beforeAll(async () => {
  env = await startTestGateway({ model: new ScriptedModel(echoScript) });
});

afterAll(async () => {
  await env?.cleanup();
});

describe('the agent card', () => {
  it('is public, parses with the SDK and lists one skill per agent and the JSON-RPC endpoint', async () => {
    const raw = await fetch(`${env.gateway.url}/.well-known/agent-card.json`, {
      headers: { 'a2a-version': '1.0' },
    });
    expect(raw.status).toBe(200);
    const json = await jsonOf(raw);
    const card: AgentCard = AgentCardJson.fromJSON(json);
    expect(card.name).toBe('Oxydra');
    expect(card.skills.map((skill) => skill.id)).toEqual(['default', 'writer']);
    expect(card.supportedInterfaces).toEqual([
      { url: `${env.gateway.url}/a2a`, protocolBinding: 'JSONRPC', protocolVersion: '1.0', tenant: '' },
      { url: `${env.gateway.url}/a2a`, protocolBinding: 'JSONRPC', protocolVersion: '0.3', tenant: '' },
    ]);
    expect(card.capabilities?.streaming).toBe(true);
    expect(card.securitySchemes.bearer?.scheme?.$case).toBe('httpAuthSecurityScheme');
    // Nothing of the workspace is published.
    expect(JSON.stringify(json)).not.toContain(env.workspace);
    const resolved = await new DefaultAgentCardResolver().resolve(env.gateway.url);
    expect(resolved.skills.length).toBe(2);
  });
});

describe('A2A 0.3 clients (no A2A-Version header)', () => {
  const rpc = (method: string, params: unknown) =>
    fetch(`${env.gateway.url}/a2a`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 7, method, params }),
    });
  const legacyMessage = (text: string) => ({
    message: {
      kind: 'message',
      messageId: crypto.randomUUID(),
      role: 'user',
      parts: [{ kind: 'text', text }],
    },
  });

  it('get the card in the 0.3 shape', async () => {
    const card = await jsonOf(await fetch(`${env.gateway.url}/.well-known/agent-card.json`));
    expect(card).toMatchObject({
      name: 'Oxydra',
      url: `${env.gateway.url}/a2a`,
      preferredTransport: 'JSONRPC',
      protocolVersion: '0.3',
      capabilities: { streaming: true },
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
      security: [{ bearer: [] }],
    });
    expect(card.skills.map((skill: { id: string }) => skill.id)).toEqual(['default', 'writer']);
  });

  it('message/send and tasks/get answer in 0.3 shapes', async () => {
    const sent = await jsonOf(await rpc('message/send', legacyMessage('old client')));
    expect(sent.id).toBe(7);
    expect(sent.result).toMatchObject({ kind: 'task', status: { state: 'completed' } });
    expect(sent.result.artifacts[0].parts[0]).toEqual({ kind: 'text', text: 'echo: old client' });
    const got = await jsonOf(await rpc('tasks/get', { id: sent.result.id }));
    expect(got.result).toMatchObject({ id: sent.result.id, status: { state: 'completed' } });
  });

  it('message/stream streams 0.3 events as server-sent events', async () => {
    const response = await rpc('message/stream', legacyMessage('old stream'));
    expect(response.headers.get('content-type')).toContain('text/event-stream');
    const events = (await response.text())
      .split('\n\n')
      .filter((block) => block.startsWith('data: '))
      .map((block) => JSON.parse(block.slice('data: '.length)).result);
    expect(events[0]?.kind).toBe('task');
    expect(events.some((event) => event.kind === 'artifact-update')).toBe(true);
    expect(events.at(-1)).toMatchObject({
      kind: 'status-update',
      final: true,
      status: { state: 'completed' },
    });
  });
});

describe('tasks', () => {
  it('are refused without the gateway token', async () => {
    const client = await a2aClient(undefined);
    await expect(client.sendMessage(message('hello'))).rejects.toThrow(/401|unauthori/i);
    const raw = await fetch(`${env.gateway.url}/a2a`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'GetTask', params: { id: 'x' } }),
    });
    expect(raw.status).toBe(401);
  });

  it('a blocking send runs the agent and answers with a completed task, its answer and its cost', async () => {
    const client = await a2aClient(TOKEN);
    const task = await completedTask(client, 'hello over a2a');
    expect(task.status?.state).toBe(TaskState.TASK_STATE_COMPLETED);
    expect(answerOf(task)).toBe('echo: hello over a2a');
    const fetched = await client.getTask({ id: task.id, tenant: '', historyLength: undefined });
    expect(fetched.status?.state).toBe(TaskState.TASK_STATE_COMPLETED);
    const spawn = env.spawns.find((s) => s.prompt === 'hello over a2a');
    expect(spawn?.agentName).toBe('default');
    expect(
      (await (await env.kernel.service('audit')).list({ type: 'a2a_task' })).some(
        (entry) => entry.action.data.task === task.id,
      ),
    ).toBe(true);
  });

  it('a streaming send reports working updates, then the answer artifact and the final status with usage', async () => {
    const client = await a2aClient(TOKEN);
    const kinds: string[] = [];
    let final: Record<string, unknown> | undefined;
    let answer = '';
    for await (const event of client.sendMessageStream(message('stream me'))) {
      const payload = event.payload;
      if (!payload) continue;
      kinds.push(payload.$case === 'statusUpdate' ? `status:${payload.value.status?.state}` : payload.$case);
      if (payload.$case === 'artifactUpdate') {
        answer = partsText(payload.value.artifact?.parts);
      }
      if (
        payload.$case === 'statusUpdate' &&
        payload.value.status?.state === TaskState.TASK_STATE_COMPLETED
      ) {
        final = payload.value.metadata;
      }
    }
    expect(kinds[0]).toBe('task');
    expect(kinds).toContain(`status:${TaskState.TASK_STATE_WORKING}`);
    expect(kinds.at(-2)).toBe('artifactUpdate');
    expect(kinds.at(-1)).toBe(`status:${TaskState.TASK_STATE_COMPLETED}`);
    expect(answer).toBe('echo: stream me');
    expect(final?.oxydra).toMatchObject({ status: 'completed', turns: 1, input_tokens: 10 });
  });

  it('a reused contextId continues the same session; metadata.agent picks the agent', async () => {
    const client = await a2aClient(TOKEN);
    const first = await completedTask(client, 'remember the word kiwi', { metadata: { agent: 'writer' } });
    const again = await completedTask(client, 'what was the word?', {
      contextId: first.contextId,
      metadata: { agent: 'writer' },
    });
    expect(again.contextId).toBe(first.contextId);
    const spawns = env.spawns.filter(
      (s) => s.prompt === 'remember the word kiwi' || s.prompt === 'what was the word?',
    );
    expect(spawns.map((s) => s.agentName)).toEqual(['writer', 'writer']);
    expect(spawns[0]?.sessionId).toBeDefined();
    expect(spawns[1]?.sessionId).toBe(spawns[0]?.sessionId);
    const lastCall = env.model.calls.at(-1);
    expect(JSON.stringify(lastCall?.messages)).toContain('remember the word kiwi');
  });

  it('an unknown agent is rejected with the list of agents', async () => {
    const client = await a2aClient(TOKEN);
    const task = await completedTask(client, 'who?', { metadata: { agent: 'nobody' } });
    expect(task.status?.state).toBe(TaskState.TASK_STATE_REJECTED);
    expect(statusText(task)).toMatch(/unknown agent "nobody".*default, writer/);
  });
});

describe('cancel, ownership and limits', () => {
  let held: TestGateway;
  let gate: Gate;

  beforeAll(async () => {
    gate = new Gate();
    held = await startTestGateway({
      model: new ScriptedModel(heldScript(gate)),
      limits: { maxConcurrentTurnsPerUser: 1 } as never,
    });
  });

  afterAll(async () => {
    gate.release();
    await held?.cleanup();
  });

  it('cancelling a streamed task kills its agent and ends the stream canceled', async () => {
    const client = await a2aClient(TOKEN, held);
    const stream = client.sendMessageStream(message('hold on'));
    const first = await stream.next();
    const taskId = first.value?.payload?.$case === 'task' ? first.value.payload.value.id : '';
    expect(taskId).not.toBe('');
    await pollUntil(() => held.spawns.some((s) => s.prompt === 'hold on'), 'the agent to start');
    const canceled = await client.cancelTask({ id: taskId, tenant: '', metadata: undefined });
    expect(canceled.status?.state).toBe(TaskState.TASK_STATE_CANCELED);
    let last: number | undefined;
    for await (const event of stream) {
      if (event.payload?.$case === 'statusUpdate') last = event.payload.value.status?.state;
    }
    expect(last).toBe(TaskState.TASK_STATE_CANCELED);
    expect(held.spawns.find((s) => s.prompt === 'hold on')?.killed).toBe(true);
  });

  it("a token cannot see or cancel another token's task, and may run only its limit at once", async () => {
    const aliceToken = (await (await held.kernel.service('tokens')).add('alice', 'user', '', 'test')).token;
    const alice = await a2aClient(aliceToken, held);
    const bob = await a2aClient(
      (await (await held.kernel.service('tokens')).add('bob', 'user', '', 'test')).token,
      held,
    );
    const stream = alice.sendMessageStream(message('alice holds'));
    const first = await stream.next();
    const taskId = first.value?.payload?.$case === 'task' ? first.value.payload.value.id : '';
    await pollUntil(() => held.spawns.some((s) => s.prompt === 'alice holds'), "alice's agent to start");
    expect(held.spawns.find((s) => s.prompt === 'alice holds')?.userId).toBe('alice');
    await expect(bob.getTask({ id: taskId, tenant: '', historyLength: undefined })).rejects.toThrow(
      /not found/i,
    );
    await expect(bob.cancelTask({ id: taskId, tenant: '', metadata: undefined })).rejects.toThrow(
      /not found/i,
    );
    const second = await completedTask(alice, 'one too many');
    expect(second.status?.state).toBe(TaskState.TASK_STATE_REJECTED);
    expect(statusText(second)).toMatch(/already has 1 agent runs going \(the limit/);
    // The limit is the token's, across doors: MCP's run_agent is refused too.
    const mcp = new McpClient({ name: 'a2a-limit-test', version: '1.0.0' });
    await mcp.connect(
      new StreamableHTTPClientTransport(new URL(`${held.gateway.url}/mcp`), {
        requestInit: { headers: { authorization: `Bearer ${aliceToken}` } },
      }),
    );
    try {
      const refused = await mcp.callTool({ name: 'run_agent', arguments: { prompt: 'via mcp' } });
      expect(refused.isError).toBe(true);
      expect(JSON.stringify(refused.content)).toMatch(/already has 1 agent runs going/);
    } finally {
      await mcp.close();
    }
    await alice.cancelTask({ id: taskId, tenant: '', metadata: undefined });
    for await (const _event of stream) {
      // drained to its end
    }
    // Its slot is free again (asked not to wait: the held model never answers).
    const after = (await alice.sendMessage({
      ...message('now there is room'),
      configuration: {
        acceptedOutputModes: [],
        taskPushNotificationConfig: undefined,
        returnImmediately: true,
      },
    })) as Task;
    expect(after.status?.state).not.toBe(TaskState.TASK_STATE_REJECTED);
    await alice.cancelTask({ id: after.id, tenant: '', metadata: undefined });
  });
});

describe('[a2a] serve = false', () => {
  it('publishes no card and serves no tasks', async () => {
    const off = await startTestGateway({ config: { a2a: { serve: false } } });
    try {
      expect((await fetch(`${off.gateway.url}/.well-known/agent-card.json`)).status).toBe(401);
      const raw = await fetch(`${off.gateway.url}/a2a`, {
        method: 'POST',
        headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
        body: '{}',
      });
      expect(raw.status).toBe(404);
    } finally {
      await off.cleanup();
    }
  });
});
