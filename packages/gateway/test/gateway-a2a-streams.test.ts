/**
 * A user token has at most MAX_A2A_STREAMS_PER_USER_TOKEN streamed A2A answers open
 * (SubscribeToTask, SendStreamingMessage): before, one token opened any number of
 * subscriptions to one running task, each a listener on its events (the SDK itself warned of a
 * leak past 10). Now the next is 429 while its other requests are answered, another user still
 * streams, and a closed stream makes room (docs/security.md, G28).
 */
import { type ClientRequest, request } from 'node:http';
import { pollUntil } from '@oxydra/testkit/helpers';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { MAX_A2A_STREAMS_PER_USER_TOKEN } from '../src/a2a/route.js';
import { a2aClient, a2aMessage } from './a2a-client.js';
import {
  Gate,
  heldScript,
  ScriptedModel,
  startTestGateway,
  type TestGateway,
  userTokens,
} from './helpers.js';

let env: TestGateway;
const gate = new Gate();
let alice: string;
let bob: string;
beforeAll(async () => {
  env = await startTestGateway({
    model: new ScriptedModel(heldScript(gate)),
    config: { a2a: { serve: true } },
  });
  [alice, bob] = (await userTokens(env, 'alice', 'bob')) as [string, string];
});
afterAll(async () => {
  gate.release();
  await env.cleanup();
});

/** A task of `token`'s, held running by the model. */
async function heldTask(token: string): Promise<string> {
  const client = await a2aClient(env.gateway.url, token);
  const task = await client.sendMessage({
    ...a2aMessage('hold'),
    configuration: { returnImmediately: true },
  } as Parameters<typeof client.sendMessage>[0]);
  return (task as { id: string }).id;
}

/** A JSON-RPC call on its own connection, left open: its status, and the request to end it by. */
function call(
  token: string,
  method: string,
  id: string,
): Promise<{ status: number; request: ClientRequest }> {
  const { hostname, port } = new URL(env.gateway.url);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: hostname,
        port: Number(port),
        path: '/a2a',
        method: 'POST',
        agent: false,
        headers: {
          authorization: `Bearer ${token}`,
          'content-type': 'application/json',
          'a2a-version': '1.0',
        },
      },
      (response) => {
        response.resume();
        resolve({ status: response.statusCode ?? 0, request: req });
      },
    );
    req.on('error', reject);
    req.end(JSON.stringify({ jsonrpc: '2.0', id: 1, method, params: { id } }));
  });
}

it("caps a user token's A2A streams, for that token only, and a closed one makes room", async () => {
  const mine = await heldTask(alice);
  const open = [];
  for (let i = 0; i < MAX_A2A_STREAMS_PER_USER_TOKEN; i++)
    open.push(await call(alice, 'SubscribeToTask', mine));
  expect(open.map((one) => one.status)).toEqual(open.map(() => 200));

  const refused = await call(alice, 'SubscribeToTask', mine);
  expect(refused.status).toBe(429);
  // Her other calls are answered.
  const read = await call(alice, 'GetTask', mine);
  expect(read.status).toBe(200);
  // Bob's stream opens.
  const his = await call(bob, 'SubscribeToTask', await heldTask(bob));
  expect(his.status).toBe(200);
  his.request.destroy();

  open[0]!.request.destroy();
  const again = await pollUntil(async () => {
    const next = await call(alice, 'SubscribeToTask', mine);
    if (next.status === 200) return next;
    next.request.destroy();
    return undefined;
  }, 'a closed stream to make room');
  for (const one of [...open, again]) one.request.destroy();
});
