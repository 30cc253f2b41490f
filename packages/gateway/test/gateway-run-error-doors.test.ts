/**
 * An agent run's internal error reaches no client by any door: its message may hold anything
 * (a provider's answer, a path, a connection string), so the WebSocket and /v1 doors have said
 * only "internal error in the agent loop" and logged the rest; an A2A task's status and MCP's
 * run_agent answer carried the message as it was, and an A2A request the SDK failed inside
 * answered with the library's message (docs/security.md, G37).
 */
import { TaskState } from '@a2a-js/sdk';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { a2aClient, a2aMessage, statusText } from './a2a-client.js';
import { startTestGateway, type TestGateway, userTokens } from './helpers.js';
import { connectLiveMcp } from './mcp-client.js';

const SECRET = 'postgres://app:hunter2@db.internal/app';

let env: TestGateway;
let alice: string;
beforeAll(async () => {
  env = await startTestGateway({ config: { a2a: { serve: true } } });
  [alice] = (await userTokens(env, 'alice')) as [string];
  env.model.script = async function* () {
    yield* [];
    throw new Error(`could not reach ${SECRET}`);
  };
});
afterAll(() => env.cleanup());

it("an A2A task's failure says internal error, not the run's message", async () => {
  const client = await a2aClient(env.gateway.url, alice);
  const task = (await client.sendMessage(a2aMessage('boom'))) as Parameters<typeof statusText>[0];
  expect(task.status?.state).toBe(TaskState.TASK_STATE_FAILED);
  expect(statusText(task)).toContain('internal error in the agent loop');
  expect(JSON.stringify(task)).not.toContain('hunter2');
});

it("MCP's run_agent failure says internal error, not the run's message", async () => {
  const { client } = await connectLiveMcp(env.gateway.url, alice);
  const result = await client.callTool({ name: 'run_agent', arguments: { prompt: 'boom' } });
  expect(result.isError).toBe(true);
  expect(JSON.stringify(result.content)).toContain('internal error in the agent loop');
  expect(JSON.stringify(result)).not.toContain('hunter2');
  await client.close();
});

it("an A2A request nested too deep for the SDK never reaches it, nor gets the library's message", async () => {
  // 2,000 nested arrays in a message's metadata: the SDK's own conversion ran out of stack (answered
  // -32603 'internal error in the gateway'); the body is now refused as it is parsed (json-body.ts).
  const nested = `${'['.repeat(2000)}${']'.repeat(2000)}`;
  const response = await fetch(`${env.gateway.url}/a2a`, {
    method: 'POST',
    headers: { authorization: `Bearer ${alice}`, 'content-type': 'application/json' },
    body: `{"jsonrpc":"2.0","id":1,"method":"message/send","params":{"message":{"kind":"message","messageId":"m","role":"user","parts":[{"kind":"text","text":"hi"}],"metadata":{"x":${nested}}}}}`,
  });
  expect(response.status).toBe(400);
  const body = (await response.json()) as { error: { code: string; message: string } };
  expect(body.error.code).toBe('invalid_json');
  expect(body.error.message).toMatch(/nests arrays and objects deeper than 256 levels/);
  expect(JSON.stringify(body)).not.toContain('call stack');
});
