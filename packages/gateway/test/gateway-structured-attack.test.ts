/**
 * `response_format` / `text.format` JSON schemas are the client's, and the agent's answer is
 * steered by the client's prompt: neither is trusted to be cheap, and no client's schema may
 * reach another's request. Over real sockets with two user tokens (alice, bob).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  answeringScript,
  jsonOf,
  ScriptedModel,
  startTestGateway,
  structuredChat,
  type TestGateway,
  userTokens,
} from './helpers.js';

let env: TestGateway;
let alice: string;
let bob: string;
const runner = new ScriptedModel();
beforeAll(async () => {
  env = await startTestGateway({ model: runner });
  [alice, bob] = (await userTokens(env, 'alice', 'bob')) as [string, string];
});
afterAll(() => env.cleanup());

const answering = answeringScript;
const chat = (token: string, schema: Record<string, unknown>) => structuredChat(env.gateway, token, schema);

describe('structured output schemas from hostile clients', () => {
  it("one user's schema $id does not reach another user's request", async () => {
    runner.script = answering('"text"');
    const first = await chat(alice, { $id: 'https://example.com/s', type: 'string' });
    expect(first.status).toBe(200);
    runner.script = answering('{"a":1}');
    const second = await chat(bob, { $id: 'https://example.com/s', type: 'object' });
    expect(second.status, JSON.stringify(await second.clone().json())).toBe(200);
    // Nor can bob's schema refer to alice's by its $id.
    const byRef = await chat(bob, { $ref: 'https://example.com/s' });
    expect(byRef.status).toBe(400);
  });

  it('an $async schema is refused, never passing any answer', async () => {
    runner.script = answering('"not an object"');
    const response = await chat(alice, { $async: true, type: 'object' });
    const body = await jsonOf(response);
    expect(response.status, JSON.stringify(body)).toBe(400);
    expect(body.error.message).toMatch(/\$async/);
  });

  it('a backtracking pattern runs in linear time (RE2): a long answer fails the check at once', async () => {
    runner.script = answering(JSON.stringify(`${'a'.repeat(5000)}!`));
    const response = await chat(alice, { type: 'string', pattern: '^(a+)+$' });
    const body = await jsonOf(response);
    expect(body.error.code).toBe('invalid_structured_output');
  });

  it('an answer of an opening fence and a million line breaks is read in one pass', async () => {
    // Before: the fence-stripping regex backtracked over every split of the line breaks, a
    // quadratic 17 s for 200,000 of them on the gateway's event loop (about 7 min for these).
    runner.script = answering(`\`\`\`${'\n'.repeat(1_000_000)}a`);
    const response = await chat(alice, { type: 'object' });
    const body = await jsonOf(response);
    expect(response.status).toBe(502);
    expect(body.error.code).toBe('invalid_structured_output');
    expect(body.error.message).toMatch(/is not JSON/);
    runner.script = answering('```json\n{"fenced": true}\n```');
    const fenced = await chat(alice, { type: 'object' });
    expect((await jsonOf(fenced)).choices[0].message.content).toBe('{"fenced": true}');
  });

  it('a pattern RE2 cannot run is not checked (like a format), never run by backtracking', async () => {
    // A lookahead and a backreference: V8 would run them (the second, here, is exponential).
    runner.script = answering(JSON.stringify(`${'a'.repeat(5000)}!`));
    const backtracking = await chat(alice, { type: 'string', pattern: '^(?=a)((a+)+)\\1$' });
    expect(backtracking.status).toBe(200);
    // zod's own ipv6 pattern is one such (too large for RE2 here): an ordinary schema, accepted.
    runner.script = answering('{"ip":"::1"}');
    const zodSchema = z.toJSONSchema(z.object({ ip: z.ipv6() })) as Record<string, unknown>;
    expect((await chat(alice, zodSchema)).status).toBe(200);
    // The rest of the schema is still checked.
    runner.script = answering('42');
    const wrongType = await jsonOf(await chat(alice, { type: 'string', pattern: '^(?=a)(a)\\1$' }));
    expect(wrongType.error.code).toBe('invalid_structured_output');
  });
});
