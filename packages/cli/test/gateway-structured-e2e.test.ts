/**
 * End to end: the real `oxydra gateway` (the CLI's bundle, its own worker-thread entry) checks a
 * client's structured-output schema in a worker thread. A small recursive schema whose check of
 * the model's deeply nested answer is exponential runs to the 1 s limit and is ended there, while
 * the gateway goes on answering /readyz and a plain completion; the next check gets a new thread.
 */

import { nestedArrays, RECURSIVE_SCHEMA } from '@oxydra/gateway/testing/costly-schema';
import { pollUntil } from '@oxydra/testkit/helpers';
import { afterEach, describe, expect, it } from 'vitest';
import { AgentEnv } from './agent-env.js';
import { GatewayDaemon, generatedToken, stopGatewayAndEnv } from './gateway-daemon.js';

let env: AgentEnv | undefined;
let daemon: GatewayDaemon | undefined;
afterEach(async () => {
  await stopGatewayAndEnv(daemon, env);
  daemon = env = undefined;
});

/** A completion's body, loosely typed for assertions. */
// biome-ignore lint/suspicious/noExplicitAny: test assertions on JSON bodies
type Body = any;

describe('oxydra gateway: structured output checked in a worker thread', () => {
  it('stops a costly check at its limit while other requests are answered', async () => {
    env = await AgentEnv.start({ type: 'openai', api: 'openai-chat' }, [
      { match: { lastMessageContains: 'deep question' }, reply: { text: JSON.stringify(nestedArrays(40)) } },
      { match: { lastMessageContains: 'shallow question' }, reply: { text: '[[[]]]' } },
      { match: { lastMessageContains: 'plain question' }, times: 'always', reply: { text: 'Plain.' } },
    ]);
    daemon = await GatewayDaemon.start(env);
    const url = daemon.url;
    const headers = { authorization: `Bearer ${generatedToken(env)}`, 'content-type': 'application/json' };
    const chat = (content: string, schema?: object) =>
      fetch(`${url}/v1/chat/completions`, {
        method: 'POST',
        headers,
        body: JSON.stringify({
          model: 'default',
          messages: [{ role: 'user', content }],
          ...(schema
            ? { response_format: { type: 'json_schema', json_schema: { name: 'out', schema } } }
            : {}),
        }),
      });

    let costlySettled = false;
    const costly = chat('deep question', RECURSIVE_SCHEMA).finally(() => {
      costlySettled = true;
    });
    // The model has answered: the gateway is about to check (or checking) the nested answer.
    await pollUntil(
      () => env!.mock.requests.some((request) => request.raw.includes('deep question')),
      'the model call',
      { intervalMs: 5 },
    );
    const ready = await fetch(`${url}/readyz`);
    const plain = await chat('plain question');
    expect(ready.status).toBe(200);
    expect(plain.status).toBe(200);
    expect(((await plain.json()) as Body).choices[0].message.content).toBe('Plain.');
    // Both answered before the check ended (before: it held the event loop, and them, to its end).
    expect(costlySettled).toBe(false);

    const response = await costly;
    const body = (await response.json()) as Body;
    expect(response.status, JSON.stringify(body)).toBe(502);
    expect(body.error.message).toBe(
      "the agent's JSON was not checked: the schema check ran past 1000 ms and was stopped (the schema is too costly)",
    );
    // The ended thread is replaced.
    const shallow = await chat('shallow question', RECURSIVE_SCHEMA);
    expect(shallow.status).toBe(200);
    expect(((await shallow.json()) as Body).choices[0].message.content).toBe('[[[]]]');
  });
});
