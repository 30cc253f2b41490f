/**
 * A gateway process cut off from the deployment's PostgreSQL store (issue 33) stops every run
 * holding a claim in it, whatever its door, not only its gateway turns: the other processes reap
 * those claims, so a run going on would let its user run more than the per-user limit. Here an
 * A2A task, a scheduled run and a stateless gateway turn, held by the model until the store goes
 * (the cluster store's pool through a proxy the test cuts), are stopped within the stale limit
 * and reported so (the task canceled with why, the scheduled run interrupted, the turn
 * cancelled; on PostgreSQL a WebSocket session turn too, ended as a cancel); the store back,
 * their releases are tried again and the process is a member again.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Task, TaskState } from '@a2a-js/sdk';
import { describePostgres, dropSchema, freshSchema } from '@oxydra/store-postgres/testing/postgres-helpers';
import { StoreProxy } from '@oxydra/store-postgres/testing/store-proxy';
import { ON_POSTGRES, openTestPostgres, type TestPostgres } from '@oxydra/store-postgres/testing/test-store';
import { pollUntil } from '@oxydra/testkit/helpers';
import type { EventBus } from '@oxydra/types';
import { afterEach, expect, it } from 'vitest';
import { a2aClient, a2aMessage, statusText } from './a2a-client.js';
import { helloClient } from './hello-client.js';
import {
  Gate,
  heldScript,
  jsonOf,
  postJson,
  ScriptedModel,
  sendTurn,
  startTestGateway,
  type TestGateway,
  TOKEN,
} from './helpers.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** The bus is not what is cut here: a quiet one, every ping answered. */
const quietBus: EventBus = {
  processId: 'cut-off',
  publish: async () => {},
  subscribe: () => () => {},
  check: async () => {},
  close: async () => {},
};

/**
 * A gateway whose cluster store goes through `proxy`, beating every 100 ms (dead after 600 ms).
 * On PostgreSQL (the `postgres` project) its kernel's stores are on the same schema, as a
 * deployment's are, through a pool of their own that is not cut.
 */
async function cutOffableGateway(): Promise<{
  env: TestGateway;
  proxy: StoreProxy;
  other: TestPostgres['stores'];
}> {
  const schema = freshSchema();
  cleanups.push(() => dropSchema(schema));
  const proxy = await StoreProxy.open();
  cleanups.push(() => proxy.close());
  const proxied = await openTestPostgres(schema, proxy.url);
  cleanups.push(() => proxied.close());
  // Another process's view of the store, which keeps it.
  const other = await openTestPostgres(schema);
  cleanups.push(() => other.close());
  const gate = new Gate();
  const dir = mkdtempSync(join(tmpdir(), 'oxydra-cut-off-'));
  const env = await startTestGateway(
    {
      model: new ScriptedModel(heldScript(gate)),
      config: { scheduler: { enabled: true } },
      cluster: {
        store: proxied.stores.cluster,
        bus: quietBus,
        process: { id: 'cut-off', host: 'test', pid: process.pid },
        beatMs: 100,
        staleMs: 600,
      },
    },
    { dir, schema },
  );
  cleanups.push(async () => {
    gate.release();
    await env.cleanup();
  });
  return { env, proxy, other: other.stores };
}

describePostgres('a gateway process cut off from its PostgreSQL store', () => {
  it('stops its A2A tasks, scheduled runs and gateway turns, each reported so, and releases their claims once the store is back', async () => {
    const { env, proxy, other } = await cutOffableGateway();
    const admission = await env.kernel.service('admission');
    const scheduler = await env.kernel.service('scheduler');
    await scheduler.schedule(
      { name: 'daily', prompt: 'scheduled hold', every: '1d' },
      { actor: 'test' },
      'alice',
    );
    const { done: scheduled } = await scheduler.runNow('daily', { actor: 'test' });
    const client = await a2aClient(env.gateway.url, TOKEN);
    const task = client.sendMessage(a2aMessage('a2a hold')) as Promise<Task>;
    // A gateway turn too (stateless, OpenAI-compatible), which the cut-off stopped before.
    const turn = postJson(env.gateway, '/v1/chat/completions', {
      model: 'default',
      messages: [{ role: 'user', content: 'turn hold' }],
    });
    await pollUntil(
      () => env.spawns.filter((spawn) => spawn.prompt.includes('hold')).length === 3,
      'the three runs to start',
    );
    // Each holds a claim in the deployment: the other processes count them.
    expect(await other.cluster.runs()).toHaveLength(3);
    expect(admission.claims).toEqual({ held: 3, pending: 0 });

    proxy.cut();
    // Within the stale limit the process stops them (the model holds them until then).
    const stopped = await task;
    expect(stopped.status?.state).toBe(TaskState.TASK_STATE_CANCELED);
    expect(statusText(stopped)).toContain('lost its place in the deployment');
    expect(await scheduled).toMatchObject({ status: 'interrupted' });
    const answer = await turn;
    expect(answer.status).toBe(503);
    expect(await jsonOf(answer)).toMatchObject({ error: { code: 'cancelled' } });
    // Another process reaps the claims the process could not release (its reaper reports them interrupted).
    const reaped = await pollUntil(async () => {
      const runs = await other.cluster.reap(600);
      return runs.length > 0 && runs;
    }, 'the claims to be reaped');
    expect(reaped.map((run) => run.userId ?? 'token').sort()).toEqual(['alice', 'default', 'token']);
    expect(await other.cluster.runs()).toEqual([]);

    // The store back: the process is a member again, its releases taken (the claims gone already).
    proxy.restore();
    await pollUntil(() => admission.claims.pending === 0, 'the releases to be taken');
    expect(admission.claims).toEqual({ held: 0, pending: 0 });
    await pollUntil(
      async () => (await other.cluster.processes(600)).length === 1,
      'the process to beat again',
    );
  });

  // A session turn ends in the kernel's session store, which must be the deployment's schema.
  it.skipIf(!ON_POSTGRES)('stops its WebSocket session turns, ended as a cancel', async () => {
    const { env, proxy, other } = await cutOffableGateway();
    const { client, inbox, ack } = await helloClient(env.wsUrl, { user_id: 'alice' }, TOKEN);
    const sessionId = ack.session.session_id;
    cleanups.push(async () => client.close());
    const turnId = sendTurn(client, sessionId, 'turn hold');
    await inbox.take('turn_started');
    expect(await other.cluster.runs({ sessionId })).toMatchObject([{ turnId }]);

    proxy.cut();
    const cancelled = await inbox.take('turn_cancelled', undefined, 10_000);
    expect(cancelled.payload.turn.turn_id).toBe(turnId);
    // Its claim was released with the turn's end (the kernel's stores still reach the server).
    expect(await other.cluster.runs()).toEqual([]);
    proxy.restore();
    await pollUntil(
      async () => (await other.cluster.processes(600)).length === 1,
      'the process to beat again',
    );
  });
});
