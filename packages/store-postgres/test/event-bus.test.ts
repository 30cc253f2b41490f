/**
 * The event bus on PostgreSQL LISTEN/NOTIFY: the EventBus contract suite (each test's buses on a
 * fresh channel), then what only this engine has: the bus opened from openPostgresStores, one
 * channel per schema, a connection killed by the server (pg_terminate_backend) or lost on the
 * network, and the bounds on chunks of messages that never complete.
 */

import { openPostgresStores, PostgresEventBus, type PostgresEventBusOptions } from '@oxydra/store-postgres';
import { pollUntil, TcpLink } from '@oxydra/testkit/helpers';
import { eventBusContract, rejection } from '@oxydra/testkit/store-contracts';
import { type EventBus, OxydraError } from '@oxydra/types';
import pg from 'pg';
import { afterEach, expect, it } from 'vitest';
import { adminQuery, describePostgres, dropSchema, freshSchema, POSTGRES_URL } from './postgres-helpers.js';

/** Buses on a schema nobody else uses: the bus needs no tables, only the schema's channel. */
function busesOn(schema: string, url = POSTGRES_URL) {
  return (processId: string, more: Partial<PostgresEventBusOptions> = {}) =>
    PostgresEventBus.open({ url, schema, processId, ...more });
}

const opened: EventBus[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((bus) => bus.close().catch(() => {})));
});

async function keep<B extends EventBus>(bus: Promise<B>): Promise<B> {
  const b = await bus;
  opened.push(b);
  return b;
}

function collect(bus: EventBus, topic: string): string[] {
  const received: string[] = [];
  bus.subscribe(topic, (data) => received.push(data));
  return received;
}

/** Publishes until `received` holds something (the first tries may fall while the bus reconnects). */
async function deliversAgain(from: EventBus, to: EventBus, received: string[], what: string): Promise<void> {
  await pollUntil(
    async () => {
      try {
        await to.check();
        await from.publish('again', what);
      } catch {
        return false;
      }
      return received.includes(what);
    },
    `delivery of "${what}" after reconnecting`,
    { timeoutMs: 20_000, intervalMs: 100 },
  );
}

describePostgres('PostgreSQL event bus', () => {
  eventBusContract(async () => {
    const open = busesOn(freshSchema());
    return { open: (processId) => open(processId), close: async () => {} };
  });

  it('opens from openPostgresStores, on the stores’ schema, with connections of its own', async () => {
    const schema = freshSchema();
    const stores = await openPostgresStores({ url: POSTGRES_URL, schema });
    try {
      const a = await keep(stores.openBus('gw_a'));
      const b = await keep(stores.openBus('gw_b'));
      await stores.close(); // the pool is gone; the buses are not
      const received = collect(a, 'frames');
      await b.publish('frames', 'through the stores');
      await pollUntil(() => received.length === 1, 'the message');
      expect(received).toEqual(['through the stores']);
      expect(await rejection(() => stores.openBus('bad id with spaces'))).toBeInstanceOf(OxydraError);
    } finally {
      await stores.close().catch(() => {});
      await dropSchema(schema);
    }
  });

  it('keeps schemas apart, long names included', async () => {
    const long = 'x'.repeat(55);
    const [one, two] = [`${long}_one`, `${long}_two`];
    const a1 = await keep(PostgresEventBus.open({ url: POSTGRES_URL, schema: one, processId: 'a' }));
    const b1 = await keep(PostgresEventBus.open({ url: POSTGRES_URL, schema: one, processId: 'b' }));
    const b2 = await keep(PostgresEventBus.open({ url: POSTGRES_URL, schema: two, processId: 'b' }));
    expect(Buffer.byteLength(a1.channel)).toBeLessThanOrEqual(63);
    expect(a1.channel).not.toBe(b2.channel);
    const received = collect(a1, 'frames');
    await b2.publish('frames', 'other schema');
    await b1.publish('frames', 'same schema');
    await pollUntil(() => received.length === 1, 'the same-schema message');
    await a1.check(); // a1's listener has seen everything sent before its ping
    expect(received).toEqual(['same schema']);
  });

  it('reconnects and delivers again after the server ends its listening connection', async () => {
    const open = busesOn(freshSchema());
    const a = await keep(open('proc_a', { reconnectDelayMs: { first: 50, max: 500 } }));
    const b = await keep(open('proc_b'));
    const received = collect(a, 'again');
    await b.publish('again', 'before');
    await pollUntil(() => received.includes('before'), 'the first message');
    const killed = await adminQuery<{ ok: boolean }>(
      `SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity
        WHERE application_name = 'oxydra bus listener' AND query = $1 AND pid <> pg_backend_pid()`,
      [`LISTEN "${a.channel}"`],
    );
    // Both buses listen on the channel: both listeners are ended, and both come back.
    expect(killed.map((k) => k.ok)).toEqual([true, true]);
    await deliversAgain(b, a, received, 'after');
  });

  it('while the server is unreachable, publish and check reject at once with one line and no password; then it comes back', async () => {
    const link = await TcpLink.start({ port: Number(new URL(POSTGRES_URL).port || 5432) });
    try {
      const url = new URL(POSTGRES_URL);
      url.password = 'pw-s3cret-never-shown';
      url.port = String(link.port);
      const open = busesOn(freshSchema(), url.toString());
      const a = await keep(open('proc_a', { reconnectDelayMs: { first: 50, max: 200 } }));
      const b = await keep(open('proc_b', { reconnectDelayMs: { first: 50, max: 200 } }));
      const received = collect(a, 'again');
      await link.stop(); // every connection cut, and nothing listens: the server is gone
      const failures = await pollUntil(async () => {
        const errors = [await rejection(() => b.publish('again', 'x')), await rejection(() => a.check())];
        return errors.every((e) => e instanceof Error && /not connected/.test(e.message))
          ? errors
          : undefined;
      }, 'both buses to know they are down');
      for (const error of failures as Error[]) {
        expect(error.message).not.toContain('s3cret');
        expect(error.message).not.toContain('\n');
        expect(error.message).toContain(`@127.0.0.1:${link.port}/`);
      }
      await link.restart();
      await deliversAgain(b, a, received, 'back');
    } finally {
      await link.stop();
    }
  });

  it('notices a connection gone silent (no close, no reset) by its heartbeat, and reconnects', async () => {
    const link = await TcpLink.start({ port: Number(new URL(POSTGRES_URL).port || 5432) });
    try {
      const url = new URL(POSTGRES_URL);
      url.port = String(link.port);
      const open = busesOn(freshSchema(), url.toString());
      const quick = { heartbeatMs: 200, checkTimeoutMs: 500, reconnectDelayMs: { first: 50, max: 200 } };
      const a = await keep(open('proc_a', quick));
      const b = await keep(open('proc_b', quick));
      const received = collect(a, 'again');
      await b.publish('again', 'before');
      await pollUntil(() => received.includes('before'), 'the first message');
      link.freeze(); // every connection open now stays open and carries nothing
      await deliversAgain(b, a, received, 'after the freeze');
    } finally {
      await link.stop();
    }
  });

  it('refuses to open on an unreachable server, naming it without the password', async () => {
    const link = await TcpLink.start({ port: 5432 });
    await link.stop();
    const url = new URL(POSTGRES_URL);
    url.password = 'pw-s3cret-never-shown';
    url.port = String(link.port);
    const error = await rejection(() => PostgresEventBus.open({ url: url.toString(), processId: 'p' }));
    expect(error).toBeInstanceOf(OxydraError);
    expect((error as Error).message).toContain(`cannot use PostgreSQL at postgres@127.0.0.1:${link.port}/`);
    expect((error as Error).message).not.toContain('s3cret');
  });

  it('bounds the chunks of messages that never complete, and drops them after the timeout', async () => {
    const schema = freshSchema();
    const limits = { timeoutMs: 1000, maxPendingBytes: 64 * 1024, maxPendingMessages: 8 };
    const a = await keep(
      PostgresEventBus.open({ url: POSTGRES_URL, schema, processId: 'a', reassembly: limits }),
    );
    const received = collect(a, 'x');
    const attacker = new pg.Client({ connectionString: POSTGRES_URL });
    await attacker.connect();
    try {
      let most = { messages: 0, bytes: 0 };
      const peak = () => {
        const now = a.pendingChunks;
        most = { messages: Math.max(most.messages, now.messages), bytes: Math.max(most.bytes, now.bytes) };
      };
      a.subscribe('x', peak);
      // 300 first halves of 2-chunk messages (6 KB each, 1.8 MB in all), never completed.
      const body = 'a'.repeat(6000);
      for (let i = 0; i < 300; i++) {
        const head = JSON.stringify({ f: 'attacker', t: 'x', i: `m${i}`, n: 0, c: 2, e: 't' });
        await attacker.query('SELECT pg_notify($1, $2)', [a.channel, `${head}\n${body}`]);
        if (i % 50 === 0) await a.check().then(peak);
      }
      // A whole message after them: once it is in, every half before it has been taken.
      const done = JSON.stringify({ f: 'attacker', t: 'x', i: 'whole', n: 0, c: 1, e: 't' });
      await attacker.query('SELECT pg_notify($1, $2)', [a.channel, `${done}\nwhole`]);
      await pollUntil(() => received.includes('whole'), 'the whole message');
      expect(received).toEqual(['whole']);
      expect(most.messages).toBeGreaterThan(0);
      expect(most.messages).toBeLessThanOrEqual(limits.maxPendingMessages);
      expect(most.bytes).toBeLessThanOrEqual(limits.maxPendingBytes);
      // Nothing more arrives: the sweeper alone empties it.
      await pollUntil(() => a.pendingChunks.messages === 0, 'the incomplete messages to time out');
      expect(a.pendingChunks.bytes).toBe(0);
    } finally {
      await attacker.end();
    }
  });
});
