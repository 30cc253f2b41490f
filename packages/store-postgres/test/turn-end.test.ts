/**
 * SessionStore.endTurn on PostgreSQL with the claim it names (docs/postgres.md, "Ninth round"):
 * the turn's last messages, its state writes and its run claim's release in one transaction,
 * sent in one go (one round trip, one COMMIT, waiting for the WAL flush), and the claim gone
 * with it. The statements are read off pg's Client as they are sent.
 */
import type { PostgresStores } from '@oxydra/store-postgres';
import { beforeEach, expect, it } from 'vitest';
import { describePostgres, freshStoresEach, watchStatements } from './postgres-helpers.js';

const PROCESS = { id: 'p1', host: 'test', pid: 1 };

describePostgres('PostgreSQL turn end', () => {
  const opened = freshStoresEach();
  let stores: PostgresStores;
  beforeEach(async () => {
    stores = opened();
    await stores.cluster.beat(PROCESS);
  });

  it('commits the answer, the records and the release in one flushed transaction, sent in one go', async () => {
    const { sessions, cluster } = stores;
    await sessions.create({ id: 's' });
    await sessions.setState('s', 'gateway.turn', 'running', null);
    const claimed = await cluster.claim(
      { runId: 'r1', processId: PROCESS.id, userId: 'alice', sessionId: 's', turnId: 't1' },
      { perUser: 2 },
    );
    expect(claimed).toEqual({ ok: true });
    const events: string[] = [];
    const ended = await watchStatements(
      () =>
        sessions.endTurn('s', {
          messages: [{ role: 'assistant', content: 'the answer' }],
          states: [
            { key: 'gateway.turn', value: 'completed', expectedEpoch: 1 },
            { key: 'audit.head', value: '{"seq":3}', expectedEpoch: null },
          ],
          releaseRun: 'r1',
        }),
      {
        sent: (text) => events.push(`sent ${text.trim()}`),
        answered: (text) => events.push(`answered ${text.trim()}`),
      },
    );
    expect(ended).toMatchObject({
      appended: { turn: 1, firstSeq: 1 },
      written: [true, true],
      released: true,
    });
    const sent = events.filter((e) => e.startsWith('sent ')).map((e) => e.slice(5));
    expect(sent.filter((text) => text === 'COMMIT')).toHaveLength(1);
    expect(sent.filter((text) => text === 'BEGIN')).toHaveLength(1);
    // Waits for the flush: never made relaxed.
    expect(sent.some((text) => text.includes('synchronous_commit'))).toBe(false);
    // Every statement and the COMMIT go out before the first answer: one round trip.
    const firstAnswer = events.findIndex((e) => e.startsWith('answered '));
    expect(events.indexOf('sent COMMIT')).toBeLessThan(firstAnswer);
    expect(await cluster.runs()).toEqual([]);
    expect(await sessions.loadMessages('s')).toEqual([{ role: 'assistant', content: 'the answer' }]);
    expect(await sessions.getState('s', 'gateway.turn')).toEqual({ value: 'completed', epoch: 2 });
    // The session is free: the next turn claims it.
    expect(
      await cluster.claim(
        { runId: 'r2', processId: PROCESS.id, userId: 'alice', sessionId: 's' },
        { perUser: 2 },
      ),
    ).toEqual({ ok: true });
    // A claim gone already (reaped, released): the rest still commits.
    expect(await sessions.endTurn('s', { states: [], releaseRun: 'r1' })).toEqual({
      written: [],
      released: false,
    });
  });

  it('releases the claim of a session deleted meanwhile, and writes nothing of it', async () => {
    const { sessions, cluster } = stores;
    await sessions.create({ id: 'gone' });
    await cluster.claim(
      { runId: 'r1', processId: PROCESS.id, userId: 'alice', sessionId: 'gone' },
      { perUser: 2 },
    );
    await sessions.delete('gone');
    const failed = await sessions
      .endTurn('gone', {
        messages: [{ role: 'assistant', content: 'a' }],
        states: [{ key: 'k', value: 'v', expectedEpoch: null }],
        releaseRun: 'r1',
      })
      .catch((error: unknown) => error);
    expect((failed as Error).name).toBe('SessionNotFoundError');
    expect(await cluster.runs()).toEqual([]);
    expect(await sessions.get('gone')).toBeUndefined();
  });
});
