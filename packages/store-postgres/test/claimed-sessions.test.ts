/**
 * A session turn's claim reads the session (its row and stamp) in its own round trip, and the
 * turn's opening of the session (SessionStore.stamp with `session`) takes that read instead of
 * reading again, once (docs/postgres.md, "Twelfth round"). A write of the session through the
 * store, or the claim's end, leaves nothing to take. Statements read off pg's Client as sent.
 */
import type { PostgresStores } from '@oxydra/store-postgres';
import { beforeEach, expect, it } from 'vitest';
import { describePostgres, freshStoresEach, watchStatements } from './postgres-helpers.js';

const PROCESS = { id: 'p1', host: 'test', pid: 1 };

describePostgres('PostgreSQL session read by its claim', () => {
  const opened = freshStoresEach();
  let stores: PostgresStores;
  beforeEach(async () => {
    stores = opened();
    await stores.cluster.beat(PROCESS);
  });

  const claim = (runId: string, sessionId = 's') =>
    stores.cluster.claim(
      { runId, processId: PROCESS.id, userId: 'alice', sessionId, turnId: runId },
      { perUser: 2 },
    );

  /** The statements `work` sends. */
  async function sentBy<T>(work: () => Promise<T>): Promise<{ result: T; sent: string[] }> {
    const sent: string[] = [];
    const result = await watchStatements(work, {
      sent: (text) => sent.push(text.trim()),
      answered: () => {},
    });
    return { result, sent };
  }

  it("gives the turn's opening the row and stamp its claim read, once, with no statement of its own", async () => {
    const { sessions } = stores;
    await sessions.create({ id: 's', userId: 'alice' });
    await sessions.appendTurn('s', [{ role: 'user', content: 'one' }]);
    const fresh = await sessions.stamp('s', { session: true });

    const claimed = await sentBy(() => claim('r1'));
    expect(claimed.result).toEqual({ ok: true });
    // In the claim's one round trip: its COMMIT sent after the read.
    expect(claimed.sent.findIndex((text) => text.startsWith('SELECT generation'))).toBeLessThan(
      claimed.sent.indexOf('COMMIT'),
    );

    const opening = await sentBy(() => sessions.stamp('s', { session: true }));
    expect(opening.result).toEqual(fresh);
    expect(opening.sent).toEqual([]);
    // Taken once: the next opening reads.
    expect((await sentBy(() => sessions.stamp('s', { session: true }))).sent).toHaveLength(1);
  });

  it('reads again once the session was written or the claim ended', async () => {
    const { sessions, cluster } = stores;
    await sessions.create({ id: 's', userId: 'alice' });
    expect(await claim('r1')).toEqual({ ok: true });
    await sessions.appendTurn('s', [{ role: 'user', content: 'one' }]);
    const opened = await sentBy(() => sessions.stamp('s', { session: true }));
    expect(opened.sent).toHaveLength(1);
    expect(opened.result).toMatchObject({ lastSeq: 1, session: { id: 's', userId: 'alice' } });

    expect(await cluster.release('r1')).toBe(true);
    expect(await claim('r2')).toEqual({ ok: true });
    expect(await cluster.release('r2')).toBe(true);
    expect((await sentBy(() => sessions.stamp('s', { session: true }))).sent).toHaveLength(1);

    // A claim refused (the session held) leaves nothing either; nor does a session not there.
    expect(await claim('r3')).toEqual({ ok: true });
    expect(await sessions.stamp('s', { session: true })).toBeDefined();
    expect(await claim('r4')).toMatchObject({ ok: false, reason: 'session_busy' });
    expect((await sentBy(() => sessions.stamp('s', { session: true }))).sent).toHaveLength(1);
    expect(await claim('r5', 'ghost')).toEqual({ ok: true });
    expect(await sessions.stamp('ghost', { session: true })).toBeUndefined();
  });
});
