/**
 * A client's `response_format` schema is costly work (compiled and checked by Ajv, in a worker
 * thread, up to its time limit): it waits behind the caller's per-user turn limit, and a schema
 * too large to be cheap is refused before any compiling. Over real sockets with two user tokens
 * (alice, bob); compilations are counted by a hook on the checker's worker pool.
 */
import { pollUntil } from '@oxydra/testkit/helpers';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  answeringScript,
  Gate,
  heldScript,
  jsonOf,
  postJson,
  ScriptedModel,
  startTestGateway,
  structuredChat,
  type TestGateway,
  userTokens,
} from './helpers.js';

/** The bounds these waits had under vi.waitFor: a second, checked every 50 ms. */
const WAIT = { timeoutMs: 1000, intervalMs: 50 };

/** Every schema the checker was handed, in order (each is one compile). */
const { checked } = vi.hoisted(() => ({ checked: [] as Array<{ title?: unknown }> }));
vi.mock('../src/http/schema-workers.js', async (importOriginal) => {
  const actual = await importOriginal<typeof import('../src/http/schema-workers.js')>();
  class Counted extends actual.SchemaWorkers {
    override check(schema: object, data: unknown, owner?: string): Promise<string[]> {
      checked.push(schema as { title?: unknown });
      return super.check(schema, data, owner);
    }
  }
  return { ...actual, SchemaWorkers: Counted };
});

let env: TestGateway;
let alice: string;
let bob: string;
const runner = new ScriptedModel();
beforeAll(async () => {
  env = await startTestGateway({ model: runner, limits: { maxConcurrentTurnsPerUser: 1 } as never });
  [alice, bob] = (await userTokens(env, 'alice', 'bob')) as [string, string];
});
afterAll(() => env.cleanup());

const answering = answeringScript;
/** Alice's or bob's chat completion: with a schema a structured one, else plain. */
const chat = (token: string, prompt: string, schema?: Record<string, unknown>) =>
  schema
    ? structuredChat(env.gateway, token, schema, prompt)
    : postJson(
        env.gateway,
        '/v1/chat/completions',
        { model: 'default', messages: [{ role: 'user', content: prompt }] },
        { authorization: `Bearer ${token}` },
      );

const titled = (title: string) => checked.filter((schema) => schema.title === title).length;

describe('structured output under the per-user turn limit', () => {
  it("a user's queued requests compile nothing until they hold a slot, while another user's is answered", async () => {
    const gate = new Gate();
    const held = heldScript(gate);
    runner.script = (call) => (call.prompt.startsWith('hold') ? held(call) : answering('{"ok":true}')(call));
    const admission = await env.kernel.service('admission');
    const holding = chat(alice, 'hold the slot');
    await pollUntil(
      () => runner.calls.length === 1,
      () => `1 runner call (saw ${runner.calls.length})`,
      WAIT,
    );
    const queued = [1, 2, 3].map(() => chat(alice, 'queued', { type: 'object', title: 'alice-queued' }));
    await pollUntil(
      () => admission.waiting({ userId: 'alice' }) === 3,
      () => `3 of alice's chats waiting (saw ${admission.waiting({ userId: 'alice' })})`,
      WAIT,
    );
    // Waiting for alice's slot, none of her schemas was compiled (before: each was, on arrival).
    expect(titled('alice-queued')).toBe(0);
    const other = await chat(bob, 'bob', { type: 'object', title: 'bob' });
    expect(other.status, JSON.stringify(await other.clone().json())).toBe(200);
    expect(titled('alice-queued')).toBe(0);
    gate.release();
    expect((await holding).status).toBe(200);
    for (const response of await Promise.all(queued)) expect(response.status).toBe(200);
    // Each of hers compiled once up front and checked her answer once.
    expect(titled('alice-queued')).toBe(6);
  });

  it('a schema whose refs expand past the bound, or too large itself, is refused with 400 before any compiling', async () => {
    // Each level two refs to the next: 2^20 paths, under 2 KB of JSON. Ajv took ~0.6 s of the
    // event loop on it (its time limit the only stop), everyone's requests waiting.
    const $defs: Record<string, unknown> = { d20: { type: 'string' } };
    for (let i = 0; i < 20; i++)
      $defs[`d${i}`] = { anyOf: [{ $ref: `#/$defs/d${i + 1}` }, { $ref: `#/$defs/d${i + 1}` }] };
    const before = checked.length;
    const response = await chat(bob, 'costly', { title: 'costly', $ref: '#/$defs/d0', $defs });
    const body = await jsonOf(response);
    expect(response.status, JSON.stringify(body)).toBe(400);
    expect(body.error.message).toMatch(
      /^response_format: the JSON schema is too large to check: it expands \(its \$refs followed\) to more than 20000 subschemas; /,
    );
    // Its own size bounds the compile: 1,001 properties (~0.4 s of CPU in Ajv) are refused too.
    const properties = Object.fromEntries(
      Array.from({ length: 1001 }, (_, i) => [`p${i}`, { type: 'string' }]),
    );
    const wide = await jsonOf(await chat(bob, 'wide', { type: 'object', properties }));
    expect(wide.error.message).toBe(
      'response_format: the JSON schema is too large to check: it has more than 1000 subschemas; send a smaller schema',
    );
    // A nested `$id` is the base of the refs under it: `#/$defs/d0` there is its own d0, not the
    // root's (before: resolved against the root, found nothing, counted 0, and passed to Ajv).
    const nested = await jsonOf(
      await chat(bob, 'nested', {
        $ref: 'https://example.com/inner',
        $defs: { inner: { $id: 'https://example.com/inner', $ref: '#/$defs/d0', $defs } },
      }),
    );
    expect(nested.error.message).toMatch(/it expands \(its \$refs followed\) to more than 20000 subschemas/);
    expect(checked.length).toBe(before);
    // A schema under the bound that names its definitions many times is still accepted.
    runner.script = answering('{"a":"x","b":"y"}');
    const ok = await chat(bob, 'fine', {
      type: 'object',
      properties: { a: { $ref: '#/$defs/s' }, b: { $ref: '#/$defs/s' } },
      $defs: { s: { type: 'string' } },
    });
    expect(ok.status).toBe(200);
  });
});
