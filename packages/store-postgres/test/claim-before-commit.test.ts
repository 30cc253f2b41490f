/**
 * A session turn's claim answered once it holds the session, before its commit (and the WAL
 * flush that commit waits for) returns, so the turn opens its session meanwhile; `committed`
 * says when the claim is stored, or that it was not (docs/postgres.md, "Thirteenth round"). A
 * deferred trigger of the test's own schema makes a commit slow or fail, by the run's turn id.
 */
import { Admission } from '@oxydra/kernel';
import { openPostgresStores, type PostgresStores } from '@oxydra/store-postgres';
import type { RunClaim } from '@oxydra/types';
import { afterEach, beforeEach, expect, it } from 'vitest';
import {
  adminQuery,
  describePostgres,
  dropSchema,
  freshSchema,
  POSTGRES_URL,
  watchStatements,
} from './postgres-helpers.js';

const PROCESS = { id: 'p1', host: 'test', pid: 1 };
const KEY = 'gateway.turn';

describePostgres('PostgreSQL session claim answered before its commit', () => {
  let schema: string;
  let stores: PostgresStores;
  beforeEach(async () => {
    schema = freshSchema();
    stores = await openPostgresStores({ url: POSTGRES_URL, schema });
    await stores.cluster.beat(PROCESS);
    await stores.sessions.create({ id: 's', userId: 'alice' });
    await adminQuery(`CREATE FUNCTION ${schema}.at_commit() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.turn_id LIKE 'slow%' THEN PERFORM pg_sleep(0.3); END IF;
        IF NEW.turn_id LIKE 'doomed%' THEN RAISE EXCEPTION 'refused at commit'; END IF;
        RETURN NULL;
      END $$`);
    await adminQuery(`CREATE CONSTRAINT TRIGGER at_commit AFTER INSERT ON ${schema}.cluster_runs
      DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ${schema}.at_commit()`);
  });
  afterEach(async () => {
    await stores.close();
    await dropSchema(schema);
  });

  const claim = (runId: string, beforeCommit: boolean) =>
    stores.cluster.claim(
      {
        runId,
        processId: PROCESS.id,
        userId: 'alice',
        sessionId: 's',
        turnId: runId,
        state: { key: KEY, value: `running ${runId}`, expectedEpoch: null },
        ...(beforeCommit ? { beforeCommit } : {}),
      },
      { perUser: 5 },
    );

  /** What happened, in order: the claim's answer, its COMMIT's answer, `committed`. */
  async function order(work: (seen: string[]) => Promise<void>): Promise<string[]> {
    const seen: string[] = [];
    await watchStatements(() => work(seen), {
      answered: (text) => {
        if (text === 'COMMIT') seen.push('COMMIT answered');
      },
    });
    return seen;
  }

  const seenAnswer = (seen: string[], answer: RunClaim) => {
    seen.push(answer.ok ? 'placed' : answer.reason);
    return answer;
  };

  it('answers once it holds the session and says when it is stored; asked for only', async () => {
    const early = await order(async (seen) => {
      const answer = seenAnswer(seen, await claim('slow1', true));
      if (!answer.ok || !answer.committed) throw new Error('no `committed` with the answer');
      await answer.committed;
      seen.push('committed');
    });
    expect(early).toEqual(['placed', 'COMMIT answered', 'committed']);
    expect(await stores.cluster.runs()).toMatchObject([{ runId: 'slow1' }]);
    expect(await stores.sessions.getState('s', KEY)).toMatchObject({ value: 'running slow1' });

    // Refused (the session held): answered after the transaction ended, as without it.
    const refused = await order(async (seen) => {
      expect(seenAnswer(seen, await claim('slow2', true))).not.toHaveProperty('committed');
    });
    expect(refused).toEqual(['COMMIT answered', 'session_busy']);

    expect(await stores.cluster.release('slow1')).toBe(true);
    const late = await order(async (seen) => {
      expect(seenAnswer(seen, await claim('slow3', false))).not.toHaveProperty('committed');
    });
    expect(late).toEqual(['COMMIT answered', 'placed']);
  });

  it('rejects `committed` when the commit fails: nothing of the claim is kept', async () => {
    const answer = await claim('doomed1', true);
    expect(answer).toMatchObject({ ok: true, stateWritten: true });
    if (!answer.ok) throw new Error('refused');
    await expect(answer.committed).rejects.toThrow(/refused at commit/);
    expect(await stores.cluster.runs()).toEqual([]);
    expect(await stores.sessions.getState('s', KEY)).toBeUndefined();
    expect(await claim('r2', true)).toMatchObject({ ok: true, stateWritten: true });
  });

  it("releases through the Admission only after the claim's commit, so none is left held", async () => {
    const admission = new Admission(5);
    await admission.join({ store: stores.cluster, processId: PROCESS.id });
    const signal = new AbortController().signal;
    const place = { sessionId: 's', turnId: 'slow-t1', beforeCommit: true };
    const held = await admission.acquireWith({ userId: 'alice' }, signal, place);
    expect(held.committed).toBeDefined();
    // Given back at once (a turn cancelled): a release sent before the commit would end nothing.
    await held.release();
    await held.committed;
    expect(await stores.cluster.runs()).toEqual([]);
    expect(admission.running({ userId: 'alice' })).toBe(0);
  });
});
