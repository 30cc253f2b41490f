/**
 * A session turn's claim carries a state write (the gateway's running record) and makes it in
 * its own transaction, guarded by its insert: written only when the claim placed the run, never
 * over a record another writer moved on (docs/postgres.md, "Thirteenth round"). The turn's
 * messages then wait for no commit of the record's own. Statements read off pg's Client as sent.
 */
import { Admission } from '@oxydra/kernel';
import type { PostgresStores } from '@oxydra/store-postgres';
import { SessionBusyError } from '@oxydra/types';
import { beforeEach, expect, it } from 'vitest';
import { describePostgres, freshStoresEach, watchStatements } from './postgres-helpers.js';

const PROCESS = { id: 'p1', host: 'test', pid: 1 };
const KEY = 'gateway.turn';

describePostgres("PostgreSQL state written by a session's claim", () => {
  const opened = freshStoresEach();
  let stores: PostgresStores;
  beforeEach(async () => {
    stores = opened();
    await stores.cluster.beat(PROCESS);
    await stores.sessions.create({ id: 's', userId: 'alice' });
  });

  const claim = (runId: string, expectedEpoch: number | null, sessionId = 's') =>
    stores.cluster.claim(
      {
        runId,
        processId: PROCESS.id,
        userId: 'alice',
        sessionId,
        turnId: runId,
        state: { key: KEY, value: `running ${runId}`, expectedEpoch },
      },
      { perUser: 5 },
    );

  it("writes the state in the claim's one transaction when it places the run", async () => {
    const sent: string[] = [];
    const first = await watchStatements(() => claim('r1', null), {
      sent: (text) => sent.push(text.trim()),
      answered: () => {},
    });
    expect(first).toEqual({ ok: true, stateWritten: true });
    expect(await stores.sessions.getState('s', KEY)).toEqual({ value: 'running r1', epoch: 1 });
    // One transaction: the write before the claim's only COMMIT.
    expect(sent.filter((text) => text === 'COMMIT')).toHaveLength(1);
    expect(sent.findIndex((text) => text.startsWith('INSERT INTO session_state'))).toBeLessThan(
      sent.indexOf('COMMIT'),
    );

    expect(await stores.cluster.release('r1')).toBe(true);
    expect(await claim('r2', 1)).toEqual({ ok: true, stateWritten: true });
    expect(await stores.sessions.getState('s', KEY)).toEqual({ value: 'running r2', epoch: 2 });
  });

  it('writes nothing when the session is held, or over an epoch that moved on', async () => {
    expect(await claim('r1', null)).toEqual({ ok: true, stateWritten: true });
    // Held by r1: refused, and r1's record stays.
    expect(await claim('r2', 1)).toMatchObject({ ok: false, reason: 'session_busy' });
    expect(await stores.sessions.getState('s', KEY)).toEqual({ value: 'running r1', epoch: 1 });
    expect(await stores.cluster.release('r1')).toBe(true);

    // Another writer moved the record on: the claim holds the session, the write is left to the caller.
    expect(await stores.sessions.setState('s', KEY, 'failed r1', 1)).toBe(true);
    expect(await claim('r3', 1)).toEqual({ ok: true, stateWritten: false });
    expect(await stores.sessions.getState('s', KEY)).toEqual({ value: 'failed r1', epoch: 2 });
    expect(await stores.cluster.runs({ sessionId: 's' })).toMatchObject([{ runId: 'r3' }]);

    // No such session: the claim holds the id (as before), nothing is written.
    expect(await claim('r4', null, 'ghost')).toEqual({ ok: true, stateWritten: false });
    expect(await stores.sessions.getState('ghost', KEY)).toBeUndefined();
  });

  it('refuses a state write without a session, and one setState would refuse', async () => {
    const run = { runId: 'r1', processId: PROCESS.id, userId: 'alice' };
    await expect(
      stores.cluster.claim({ ...run, state: { key: KEY, value: 'x', expectedEpoch: null } }, { perUser: 5 }),
    ).rejects.toThrow(/state write comes with the claim of a session/);
    await expect(
      stores.cluster.claim(
        { ...run, sessionId: 's', state: { key: '', value: 'x', expectedEpoch: null } },
        { perUser: 5 },
      ),
    ).rejects.toThrow();
    expect(await stores.cluster.runs()).toEqual([]);
  });

  it("tells the Admission's caller whether the place's state was written with the claim", async () => {
    const admission = new Admission(5);
    await admission.join({ store: stores.cluster, processId: PROCESS.id });
    const signal = new AbortController().signal;
    const state = { key: KEY, value: 'running t1', expectedEpoch: null };
    const held = await admission.acquireWith({ userId: 'alice' }, signal, {
      sessionId: 's',
      turnId: 't1',
      state,
    });
    expect(held.stateWritten).toBe(true);
    const busy = admission.acquireWith({ userId: 'alice' }, signal, { sessionId: 's', turnId: 't2', state });
    await expect(busy).rejects.toBeInstanceOf(SessionBusyError);
    await held.release();
    // A stale epoch: the slot is held all the same.
    const again = await admission.acquireWith({ userId: 'alice' }, signal, {
      sessionId: 's',
      turnId: 't3',
      state,
    });
    expect(again.stateWritten).toBe(false);
    await again.release();
    // Alone (no deployment) there is no claim to write with.
    const alone = await new Admission(5).acquireWith({ userId: 'alice' }, signal, { sessionId: 's', state });
    expect(alone.stateWritten).toBe(false);
    await alone.release();
  });
});
