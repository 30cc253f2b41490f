/**
 * A revoked token's running agents stop, whatever door started them: a streamed /v1 answer with
 * an Idempotency-Key (which a hang-up leaves running, for the retry), an A2A task (which runs on
 * after its request, for tasks/get), MCP's run_agent. Before, revoking cut their sockets but the
 * agents ran on to their end: a stolen token, once revoked, still had its agents reading and
 * changing the workspace and spending the user's budget.
 */
import { Client as McpClient } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { openKernelDb } from '@oxydra/kernel/stores';
import { ON_POSTGRES } from '@oxydra/store-postgres/testing/test-store';
import { pollUntil } from '@oxydra/testkit/helpers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { a2aClient, a2aMessage } from './a2a-client.js';
import { helloClient } from './hello-client.js';
import {
  Gate,
  heldScript,
  ScriptedModel,
  sendTurn,
  startTestGateway,
  type TestGateway,
  TOKEN,
} from './helpers.js';

let env: TestGateway;
const gate = new Gate();

beforeAll(async () => {
  // A short sweep: the test of a revocation by another process waits for it, never a fixed time.
  env = await startTestGateway({ model: new ScriptedModel(heldScript(gate)), revocationSweepMs: 100 });
});
afterAll(async () => {
  gate.release();
  await env?.cleanup();
});

/** A token id with this prefix is revoked by another process (see revoke). */
const ELSEWHERE = 'elsewhere:';

async function aliceToken(): Promise<{ id: string; token: string }> {
  return (await env.kernel.service('tokens')).add('alice', 'user', '', 'test');
}

async function revoke(id: string): Promise<void> {
  if (id.startsWith(ELSEWHERE)) {
    // As `oxydra token revoke` in another process does: straight in kernel.db, found by the sweep.
    const other = await openKernelDb(env.workspace);
    try {
      other
        .prepare('UPDATE gateway_tokens SET revoked_at = ? WHERE id = ?')
        .run(new Date().toISOString(), id.slice(ELSEWHERE.length));
    } finally {
      other.close();
    }
    return;
  }
  const revoked = await fetch(`${env.gateway.url}/v1/tokens/${id}`, {
    method: 'DELETE',
    headers: { authorization: `Bearer ${TOKEN}` },
  });
  expect(revoked.status).toBe(200);
}

/** Sends an A2A task without waiting for it (it runs on after the request). */
async function sendA2aTask(token: string, prompt: string): Promise<void> {
  const client = await a2aClient(env.gateway.url, token);
  await client.sendMessage({
    ...a2aMessage(prompt),
    configuration: {
      acceptedOutputModes: [],
      taskPushNotificationConfig: undefined,
      returnImmediately: true,
    },
  });
}

/** Waits for the agent running `prompt`, revokes `id`, and waits for that agent to be killed. */
async function revokedKills(prompt: string, id: string): Promise<void> {
  await pollUntil(() => env.spawns.some((s) => s.prompt.startsWith(prompt)), 'the agent to start');
  const spawn = env.spawns.find((s) => s.prompt.startsWith(prompt))!;
  expect(spawn.killed).toBe(false);
  await revoke(id);
  await pollUntil(() => spawn.killed, `the revoked token's agent (${prompt}) to be killed`);
}

describe('revoking a token stops its agents', () => {
  it('a streamed /v1 answer with an Idempotency-Key', async () => {
    const alice = await aliceToken();
    const response = await fetch(`${env.gateway.url}/v1/chat/completions`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${alice.token}`,
        'content-type': 'application/json',
        'idempotency-key': 'k-1',
      },
      body: JSON.stringify({ model: 'writer', stream: true, messages: [{ role: 'user', content: 'keyed' }] }),
    });
    expect(response.status).toBe(200);
    const reading = response.body!.getReader();
    void (async () => {
      try {
        while (!(await reading.read()).done);
      } catch {
        // cut: expected
      }
    })();
    await revokedKills('keyed', alice.id);
  });

  it('an A2A task sent without waiting', async () => {
    const alice = await aliceToken();
    await sendA2aTask(alice.token, 'a2a task');
    await revokedKills('a2a task', alice.id);
  });

  it('a session turn sent over the WebSocket', async () => {
    const alice = await aliceToken();
    const { client, ack } = await helloClient(env.wsUrl, { create_new_session: true }, alice.token);
    sendTurn(client, ack.session.session_id, 'ws turn');
    await revokedKills('ws turn', alice.id);
  });

  // libSQL only: revoked by writing kernel.db, as another process does (found by the sweep).
  it.skipIf(ON_POSTGRES)('an A2A task, when another process revokes the token', async () => {
    const alice = await aliceToken();
    await sendA2aTask(alice.token, 'a2a elsewhere');
    await revokedKills('a2a elsewhere', `${ELSEWHERE}${alice.id}`);
  });

  it("MCP's run_agent", async () => {
    const alice = await aliceToken();
    const mcp = new McpClient({ name: 'revoke-runs-test', version: '1.0.0' });
    await mcp.connect(
      new StreamableHTTPClientTransport(new URL(`${env.gateway.url}/mcp`), {
        requestInit: { headers: { authorization: `Bearer ${alice.token}` } },
      }),
    );
    const call = mcp.callTool({ name: 'run_agent', arguments: { prompt: 'mcp run' } }).catch(() => undefined);
    try {
      await revokedKills('mcp run', alice.id);
    } finally {
      await mcp.close().catch(() => {});
      await call;
    }
  });
});
