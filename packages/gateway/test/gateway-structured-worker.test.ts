/**
 * A client's structured-output schema is compiled and checked in a worker thread
 * (src/http/schema-workers.ts), never on the gateway's: a costly check leaves every other
 * request answered, is ended at its time or memory limit with its thread, and the next check gets
 * a new thread. Threads start with the first structured request, never for a plain one. Over
 * real sockets with two user tokens; checks are observed by a hook on the pool.
 */

import { pollUntil } from '@oxydra/testkit/helpers';
import { describe, expect, it, vi } from 'vitest';
import { nestedArrays, RECURSIVE_SCHEMA } from './costly-schema.js';
import {
  answeringScript,
  Gate,
  gatewayForAliceAndBob,
  jsonOf,
  postJson,
  ScriptedModel,
  structuredChat,
} from './helpers.js';

/** The bounds these waits had under vi.waitFor: a second, checked every 50 ms. */
const WAIT = { timeoutMs: 1000, intervalMs: 50 };

/** Each check handed to the pool, how many pools were made, and a time limit a test sets instead. */
const { checks, pools } = vi.hoisted(() => ({
  checks: [] as Array<{ data: unknown; owner: string | undefined; settled: boolean; error?: string }>,
  pools: { made: 0, timeMs: undefined as number | undefined },
}));
vi.mock('../src/http/schema-workers.js', async (importOriginal) => {
  const actual = await importOriginal<typeof import('../src/http/schema-workers.js')>();
  class Observed extends actual.SchemaWorkers {
    constructor(...[options, limits, file]: ConstructorParameters<typeof actual.SchemaWorkers>) {
      // Read at each check, so a test can lift the time limit to see the memory limit alone.
      super(
        options,
        {
          get timeMs() {
            return pools.timeMs ?? limits.timeMs;
          },
          heapMb: limits.heapMb,
          idleMs: limits.idleMs,
        },
        file,
      );
      pools.made++;
    }
    override check(schema: object, data: unknown, owner?: string, signal?: AbortSignal): Promise<string[]> {
      const check: (typeof checks)[number] = { data, owner, settled: false };
      checks.push(check);
      const result = super.check(schema, data, owner, signal);
      result.then(
        () => {
          check.settled = true;
        },
        (error: Error) => {
          check.settled = true;
          check.error = error.message;
        },
      );
      return result;
    }
  }
  return { ...actual, SchemaWorkers: Observed };
});

const runner = new ScriptedModel();
const CANCELLED = 'the schema check was cancelled: its request was aborted';
const users = gatewayForAliceAndBob({ model: runner });

const plainChat = (token: string) =>
  postJson(
    users.env.gateway,
    '/v1/chat/completions',
    { model: 'default', messages: [{ role: 'user', content: 'plain' }] },
    { authorization: `Bearer ${token}` },
  );

describe('structured output checked in a worker thread', () => {
  it('starts no worker for plain requests, and one at the first structured request', async () => {
    runner.script = answeringScript('hello');
    expect((await plainChat(users.bob)).status).toBe(200);
    expect(pools.made).toBe(0);
    runner.script = answeringScript('{"a":1}');
    expect((await structuredChat(users.env.gateway, users.bob, { type: 'object' })).status).toBe(200);
    expect(pools.made).toBe(1);
  });

  it("a costly check leaves other users' requests answered, and is stopped at its time limit", async () => {
    runner.script = (call) =>
      answeringScript(call.prompt.startsWith('plain') ? 'plain answer' : JSON.stringify(nestedArrays(40)))(
        call,
      );
    const before = checks.length;
    const costly = structuredChat(users.env.gateway, users.alice, RECURSIVE_SCHEMA, 'deep');
    // Its compile, then the check of the answer: running now.
    await pollUntil(
      () => checks.length === before + 2,
      () => `2 checks (saw ${checks.length - before})`,
      WAIT,
    );
    const answerCheck = checks[before + 1]!;
    const ready = await fetch(`${users.env.gateway.url}/readyz`);
    const plain = await plainChat(users.bob);
    expect(ready.status).toBe(200);
    expect(plain.status).toBe(200);
    // Both answered while the check still ran (before: it held the event loop, so neither could be).
    expect(answerCheck.settled).toBe(false);
    const response = await costly;
    const body = await jsonOf(response);
    expect(response.status, JSON.stringify(body)).toBe(502);
    expect(body.error.code).toBe('invalid_structured_output');
    expect(body.error.message).toBe(
      "the agent's JSON was not checked: the schema check ran past 1000 ms and was stopped (the schema is too costly)",
    );
    // The stopped thread is replaced: the next check runs.
    runner.script = answeringScript('[[[]]]');
    expect((await structuredChat(users.env.gateway, users.alice, RECURSIVE_SCHEMA, 'shallow')).status).toBe(
      200,
    );
  });

  it("users' checks are taken in turn: bob's answer does not wait behind all of alice's costly checks", async () => {
    const deep = JSON.stringify(nestedArrays(40));
    // Alice's five answers are held until all five turns reach the model, then given at once:
    // her five checks then wait together, whatever the store's pace.
    const gate = new Gate();
    runner.script = (call) =>
      call.prompt.startsWith('bob')
        ? answeringScript('{"a":1}')(call)
        : (async function* () {
            await gate.opened;
            yield* answeringScript(deep)(call);
          })();
    const isAlices = (check: { data: unknown }) => JSON.stringify(check.data) === deep;
    const before = checks.length;
    const calls = runner.calls.length;
    const costly = [1, 2, 3, 4, 5].map(() =>
      structuredChat(users.env.gateway, users.alice, RECURSIVE_SCHEMA, 'deep'),
    );
    await pollUntil(
      () => runner.calls.length === calls + 5,
      () => `5 runner calls (saw ${runner.calls.length - calls})`,
      { timeoutMs: 30_000, intervalMs: 50 },
    );
    gate.release();
    await pollUntil(
      () => checks.slice(before).filter(isAlices).length === 5,
      () => `5 checks of alice's answers (saw ${checks.slice(before).filter(isAlices).length})`,
      { timeoutMs: 30_000, intervalMs: 50 },
    );
    const bob = await structuredChat(users.env.gateway, users.bob, { type: 'object' }, 'bob');
    expect(bob.status).toBe(200);
    // Before, in arrival order, bob's compile waited for every one of hers (5 s on one thread);
    // in turn, it runs after at most one of hers per thread.
    expect(
      checks
        .slice(before)
        .filter(isAlices)
        .some((check) => !check.settled),
    ).toBe(true);
    for (const response of await Promise.all(costly)) expect(response.status).toBe(502);
  });

  it("a check past the thread's memory is stopped, naming the limit", async () => {
    // 1,000,000 items each failing: Ajv collects an error for each (allErrors), past 64 MB. Before:
    // on the gateway's heap, where one such answer took hundreds of MB. The time limit is lifted
    // here, so that a loaded machine's slower check still meets the memory limit first.
    pools.timeMs = 120_000;
    runner.script = answeringScript(`[${Array(1_000_000).fill('{}').join(',')}]`);
    const response = await structuredChat(users.env.gateway, users.alice, {
      type: 'array',
      items: { type: 'string' },
    });
    const body = await jsonOf(response);
    expect(response.status, JSON.stringify(body).slice(0, 300)).toBe(502);
    expect(body.error.message).toBe(
      "the agent's JSON was not checked: the schema check needed more than 64 MB of memory and was stopped (the schema, or the answer checked against it, is too large)",
    );
  });

  it('a check whose client hung up is dropped: queued, it leaves the queue; running, its thread is ended', async () => {
    // No time limit to end alice's costly checks: only her hanging up can.
    pools.timeMs = 120_000;
    runner.script = answeringScript(JSON.stringify(nestedArrays(40)));
    const structured = (token: string, schema: Record<string, unknown>, signal: AbortSignal) =>
      postJson(
        users.env.gateway,
        '/v1/chat/completions',
        {
          model: 'default',
          messages: [{ role: 'user', content: 'answer' }],
          response_format: { type: 'json_schema', json_schema: { name: 'out', schema } },
        },
        { authorization: `Bearer ${token}` },
        signal,
      ).catch(() => undefined);
    const before = checks.length;
    const answerChecks = () => checks.slice(before).filter((check) => check.data !== null);
    // Two of alice's: at least as many as the pool has threads (two at most), all held.
    const alice = [new AbortController(), new AbortController()];
    const costly = alice.map((controller) => structured(users.alice, RECURSIVE_SCHEMA, controller.signal));
    await pollUntil(
      () => answerChecks().length === 2,
      () => `2 answer checks (saw ${answerChecks().length})`,
      { timeoutMs: 30_000, intervalMs: 50 },
    );
    // Bob's compile waits behind them; he hangs up. Before: it stayed queued until hers ended.
    const bobGone = new AbortController();
    const bob = structured(users.bob, { type: 'object' }, bobGone.signal);
    const bobChecks = () => checks.slice(before).filter((check) => check.owner === 'bob');
    await pollUntil(
      () => bobChecks().length === 1,
      () => `1 check of bob's (saw ${bobChecks().length})`,
      WAIT,
    );
    const bobCheck = bobChecks()[0]!;
    expect(bobCheck.settled).toBe(false);
    bobGone.abort();
    await pollUntil(
      () => bobCheck.error === CANCELLED,
      () => `bob's check cancelled (its error: ${bobCheck.error})`,
      { timeoutMs: 20_000, intervalMs: 50 },
    );
    expect(answerChecks().every((check) => !check.settled)).toBe(true);
    // Alice hangs up: her running checks' threads are ended. Before: each ran on to the limit.
    for (const controller of alice) controller.abort();
    const errors = () => answerChecks().map((check) => check.error);
    await pollUntil(
      () => errors().length === 2 && errors().every((error) => error === CANCELLED),
      () => `both of alice's checks cancelled (their errors: ${errors().join(', ')})`,
      { timeoutMs: 20_000, intervalMs: 50 },
    );
    await Promise.all([...costly, bob]);
    // New threads start for the next check.
    runner.script = answeringScript('{"a":1}');
    expect((await structuredChat(users.env.gateway, users.bob, { type: 'object' })).status).toBe(200);
  });
});
