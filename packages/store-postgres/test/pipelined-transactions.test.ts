/**
 * What database.ts sends now that the pool pipelines (docs/postgres.md, "Warm turn latency"):
 * which transactions commit without waiting for the WAL flush (only those whose every call is
 * the spend or usage accounting, a session-less run claim, a session value written relaxed; a
 * relaxed statement alone goes out with its COMMIT; a search index write too), and that a COMMIT
 * the server answers with ROLLBACK is an error rather than a silent loss. The statements are read
 * off pg's Client as they are sent.
 */
import type { PostgresStores } from '@oxydra/store-postgres';
import type { SearchSource, StoredUsage } from '@oxydra/types';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { connect } from '../src/connection.js';
import { PgDatabase } from '../src/store/database.js';
import { describePostgres, POSTGRES_URL, postgresOpener, watchStatements } from './postgres-helpers.js';

const RELAX = 'SET LOCAL synchronous_commit = off';

const spend = { scope: 'user:alice', period: 'd:2026-11-25', usd: 0.5, tokens: 10, calls: 1 };
const usageRow: StoredUsage = {
  ts: 1_764_000_000_000,
  kind: 'model',
  agentId: 'a1',
  agentName: 'default',
  userId: 'alice',
  sessionId: 's1',
  provider: 'mock',
  model: 'm',
  inputTokens: 5,
  outputTokens: 5,
  cacheReadTokens: 0,
  costUsd: 0.01,
};
const entry = {
  seq: 1,
  ts: '2026-11-25T11:00:00.000Z',
  actor: 'cli',
  actionType: 'x',
  action: '{"type":"x"}',
  resource: '',
  prevHash: 'genesis',
  hash: 'h1',
};

const oneLine = (text: string) => text.replace(/\s+/g, ' ').trim();

/**
 * What any pg Client of this process does while `fn` runs, in order: `sent <statement>` when a
 * statement is handed to the driver, `answered <statement>` when its promise settles.
 */
async function eventsDuring(fn: () => Promise<unknown>): Promise<string[]> {
  const events: string[] = [];
  await watchStatements(fn, {
    sent: (text) => events.push(`sent ${oneLine(text)}`),
    answered: (text) => events.push(`answered ${oneLine(text)}`),
  });
  return events;
}

/** The text of every statement any pg Client of this process sends while `fn` runs. */
async function sentDuring(fn: () => Promise<unknown>): Promise<string[]> {
  const events = await eventsDuring(fn);
  return events.filter((event) => event.startsWith('sent ')).map((event) => event.slice('sent '.length));
}

/** The statement sent just before each COMMIT. */
const beforeCommits = (sent: string[]) => sent.flatMap((text, i) => (text === 'COMMIT' ? [sent[i - 1]] : []));

describePostgres('PostgreSQL transactions, pipelined', () => {
  let stores: PostgresStores;
  let close: () => Promise<void>;
  beforeEach(async () => {
    const opened = await postgresOpener((all) => all)();
    stores = opened.store;
    close = opened.close;
  });
  afterEach(() => close());

  it('commits a settle alone without waiting for the WAL flush, and the next reader sees it at once', async () => {
    const sent = await sentDuring(() => stores.control.transaction((tx) => tx.spend.settle([], [spend])));
    expect(beforeCommits(sent)).toEqual([RELAX]);
    // Visible to another connection as soon as the commit returns.
    const [totals] = await stores.control.spend.totals([spend.period], 'user:');
    expect(totals).toMatchObject({ usd: 0.5, tokens: 10, calls: 1 });
  });

  it('commits usage rows written outside a transaction in one of their own, relaxed', async () => {
    const sent = await sentDuring(() => stores.control.usage.insert([usageRow]));
    expect(sent[0]).toBe('BEGIN');
    expect(beforeCommits(sent)).toEqual([RELAX]);
    expect((await stores.control.usage.report({ by: 'user' })).totals.calls).toBe(1);
  });

  it('waits for the flush when anything else joins the transaction (an audit entry with the settle)', async () => {
    const sent = await sentDuring(() =>
      stores.control.transaction(async (tx) => {
        await tx.spend.settle([], [spend]);
        await tx.audit.append([entry], () => 'resealed');
      }),
    );
    expect(sent).not.toContain(RELAX);
    expect(sent.filter((text) => text === 'COMMIT')).toHaveLength(1);
    expect(await stores.control.audit.head()).toEqual({ seq: 1, hash: 'h1' });
  });

  it('sends the entries linked after the head behind its lock, without waiting; a moved head is sealed again', async () => {
    const { audit } = stores.control;
    const events = await eventsDuring(() => audit.append([entry], () => 'resealed'));
    const lock = 'SELECT seq, hash FROM audit_head FOR UPDATE';
    const inserts = events.filter((event) => event.startsWith('sent WITH placed'));
    expect(inserts).toHaveLength(1);
    expect(events.indexOf(inserts[0]!)).toBeLessThan(events.indexOf(`answered ${lock}`));
    // In no caller's transaction, its COMMIT goes out with them too: one round trip.
    expect(events.filter((event) => event === 'sent COMMIT')).toHaveLength(1);
    expect(events.indexOf('sent COMMIT')).toBeLessThan(events.indexOf(`answered ${lock}`));
    expect(await audit.head()).toEqual({ seq: 1, hash: 'h1' });
    // Linked after the same (now old) head: the guarded insert does nothing, the store links it after.
    const moved = await eventsDuring(async () => {
      const [placed] = await audit.append(
        [{ ...entry, hash: 'h1-other' }],
        (_, seq, prev) => `${seq}:${prev}`,
      );
      expect(placed).toMatchObject({ seq: 2, prevHash: 'h1', hash: '2:h1' });
    });
    // The placement as given fails, its COMMIT rolls back, and a second transaction places it.
    expect(moved.filter((event) => event.startsWith('sent WITH placed'))).toHaveLength(2);
    expect(moved.filter((event) => event === 'sent COMMIT')).toHaveLength(2);
    expect(await audit.range(0, 10)).toMatchObject([
      { seq: 1, hash: 'h1' },
      { seq: 2, prevHash: 'h1', hash: '2:h1' },
    ]);
  });

  it('sends a relaxed session value with its COMMIT in one go, and only a write asked to be', async () => {
    const session = await stores.sessions.create({ id: 's-relaxed' });
    const update = (text: string) => text.startsWith('UPDATE session_state');
    const events = await eventsDuring(async () => {
      await stores.sessions.setState(session.id, 'k', 'v1', null);
      await stores.sessions.setState(session.id, 'k', 'v2', 1, { relaxed: true });
    });
    const sent = events.filter((e) => e.startsWith('sent ')).map((e) => e.slice('sent '.length));
    // The flushed write is one statement; the relaxed one a transaction of its own, relaxed.
    expect(sent.filter((text) => text === 'COMMIT')).toHaveLength(1);
    expect(beforeCommits(sent)).toEqual([RELAX]);
    // Its COMMIT goes out before the statement's answer: one round trip.
    const statement = events.findIndex((e) => e.startsWith('sent ') && update(e.slice(5)));
    expect(statement).toBeGreaterThan(-1);
    expect(events.indexOf('sent COMMIT')).toBeLessThan(
      events.findIndex((e) => e.startsWith('answered ') && update(e.slice(9))),
    );
    expect(await stores.sessions.getState(session.id, 'k')).toEqual({ value: 'v2', epoch: 2 });
  });

  it('appends a turn relaxed only when asked, its COMMIT sent with the statement', async () => {
    await stores.sessions.create({ id: 's-append' });
    const append = (text: string) => text.startsWith('WITH moved AS');
    const flushed = await sentDuring(() =>
      stores.sessions.appendTurn('s-append', [{ role: 'user', content: 'q' }]),
    );
    expect(flushed.filter(append)).toHaveLength(1);
    expect(flushed).not.toContain('COMMIT'); // one statement, committed (and flushed) on its own
    const events = await eventsDuring(() =>
      stores.sessions.appendTurn('s-append', [{ role: 'assistant', content: 'a' }], { relaxed: true }),
    );
    const sent = events.filter((e) => e.startsWith('sent ')).map((e) => e.slice('sent '.length));
    expect(beforeCommits(sent)).toEqual([RELAX]);
    expect(events.indexOf('sent COMMIT')).toBeLessThan(
      events.findIndex((e) => e.startsWith('answered ') && append(e.slice(9))),
    );
    expect(await stores.sessions.loadMessages('s-append')).toHaveLength(2);
  });

  it("relaxes a run claim that holds no session, never a session's claim; sends either in one go", async () => {
    const { cluster } = stores;
    await cluster.beat({ id: 'p1', host: 'test', pid: 1 });
    const counted = await sentDuring(() =>
      cluster.claim({ runId: 'r1', processId: 'p1', userId: 'alice' }, { perUser: 2 }),
    );
    expect(beforeCommits(counted)).toEqual([RELAX]);
    const session = await sentDuring(() =>
      cluster.claim({ runId: 'r2', processId: 'p1', userId: 'alice', sessionId: 's1' }, { perUser: 2 }),
    );
    expect(session).toContain('COMMIT');
    expect(session).not.toContain(RELAX);
    // The claim's COMMIT goes out with its statements, before the insert's answer: one round trip.
    const events = await eventsDuring(() =>
      cluster.claim({ runId: 'r4', processId: 'p1', userId: 'bob', sessionId: 's2' }, { perUser: 2 }),
    );
    const insert = (e: string, verb: string) => e.startsWith(`${verb} INSERT INTO cluster_runs`);
    expect(events.indexOf('sent COMMIT')).toBeGreaterThan(events.findIndex((e) => insert(e, 'sent')));
    expect(events.indexOf('sent COMMIT')).toBeLessThan(events.findIndex((e) => insert(e, 'answered')));
    // Both count against the limit, on any connection, at once.
    expect(await cluster.claim({ runId: 'r3', processId: 'p1', userId: 'alice' }, { perUser: 2 })).toEqual({
      ok: false,
      reason: 'user_limit',
      running: 2,
    });
  });

  it('writes a search source in one round trip: its lock, statement and COMMIT go out together', async () => {
    await stores.sessions.create({ id: 's-indexed' });
    const index = stores.searchIndex({ id: 'pg-test', dimensions: 2 });
    const source: SearchSource = { type: 'conversation', id: 's-indexed' };
    const chunk = { text: 'the prompt', hash: 'h-prompt', vector: new Float32Array([1, 0]) };
    await index.counts(); // the model's table and index are made at first use, in their own transactions
    const insert = (e: string, verb: string) => e.startsWith(`${verb} INSERT INTO search_chunks`);
    const events = await eventsDuring(() => index.appendChunks(source, [chunk], { sessionId: 's-indexed' }));
    expect(events.indexOf('sent COMMIT')).toBeGreaterThan(events.findIndex((e) => insert(e, 'sent')));
    expect(events.indexOf('sent COMMIT')).toBeLessThan(events.findIndex((e) => insert(e, 'answered')));
    // Replacing and deleting a source go out in one go too.
    const replaced = await eventsDuring(() => index.replaceSource(source, [chunk]));
    expect(replaced.indexOf('sent COMMIT')).toBeLessThan(
      replaced.findIndex((e) => e.startsWith('answered WITH gone AS')),
    );
    const deleted = await eventsDuring(() => index.deleteSource(source));
    expect(deleted.indexOf('sent COMMIT')).toBeLessThan(
      deleted.findIndex((e) => e.startsWith('answered DELETE FROM search_chunks')),
    );
    // A statement that fails is the error reported (its COMMIT answered ROLLBACK), and nothing stays.
    await expect(
      index.appendChunks({ type: 'conversation', id: 'gone' }, [chunk], { sessionId: 'gone' }),
    ).rejects.toThrow(/foreign key/);
    await index.appendChunks(source, [chunk], { sessionId: 's-indexed' });
    expect((await index.presentHashes(source, ['h-prompt'])).size).toBe(1);
    expect((await index.presentHashes({ type: 'conversation', id: 'gone' }, ['h-prompt'])).size).toBe(0);
  });

  it('never relaxes the other stores: a cap, a token, a session message', async () => {
    const sent = await sentDuring(async () => {
      await stores.control.spend.setCap('user:alice', 'daily_usd', 5);
      await stores.control.transaction((tx) => tx.spend.setCap('user:bob', 'daily_usd', 5));
      const session = await stores.sessions.create({ userId: 'alice', agent: 'default' });
      await stores.sessions.appendTurn(session.id, [{ role: 'user', content: 'hi' }]);
    });
    expect(sent.length).toBeGreaterThan(3);
    expect(sent).not.toContain(RELAX);
  });
});

describePostgres('PostgreSQL transactions, a commit the server rolled back', () => {
  it('rejects when a statement failed inside and work went on anyway', async () => {
    const connection = connect({ url: POSTGRES_URL, schema: 'public', max: 1 });
    const db = new PgDatabase(connection);
    try {
      const atomic = db.atomic(async (sql) => {
        // Caught here, but PostgreSQL has aborted the transaction: its COMMIT is a ROLLBACK.
        await sql.query('SELECT 1 / 0').catch(() => undefined);
        return 'done';
      });
      await expect(atomic).rejects.toThrow(/rolled back \(the server answered ROLLBACK\)/);
      // The connection is usable again: the next unit commits.
      await expect(db.atomic(async (sql) => (await sql.query('SELECT 2 AS n')).rows[0])).resolves.toEqual({
        n: 2,
      });
    } finally {
      await connection.pool.end();
    }
  });

  it("reports a relaxed statement's own failure, refuses a second one, and goes on", async () => {
    const connection = connect({ url: POSTGRES_URL, schema: 'public', max: 1 });
    const db = new PgDatabase(connection);
    try {
      await expect(db.run((sql) => sql.query('SELECT 1 / 0'), 'relaxed')).rejects.toThrow(/division by zero/);
      await expect(
        db.run(async (sql) => {
          await sql.query('SELECT 1');
          return sql.query('SELECT 2');
        }, 'relaxed'),
      ).rejects.toThrow(/sent after its COMMIT/);
      await expect(
        db.run(async (sql) => (await sql.query('SELECT 3 AS n')).rows[0], 'relaxed'),
      ).resolves.toEqual({
        n: 3,
      });
    } finally {
      await connection.pool.end();
    }
  });
});
