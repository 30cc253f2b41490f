/**
 * The end of a reaped turn on PostgreSQL (docs/postgres.md, "Fifth round"): its messages were
 * appended relaxed, and its final record loses its compare-and-set to the session's next turn,
 * so it writes nothing. That write must still be a commit that waits for the WAL flush, or the
 * answer its client was told is stored is on disk only once the WAL writer gets to it. Read off
 * the server: the WAL record the statement wrote (a commit that wrote WAL waits for the flush)
 * and the flush position once it returned.
 */
import pg from 'pg';
import { expect, it, vi } from 'vitest';
import { adminQuery, describePostgres, freshStoresEach } from './postgres-helpers.js';

const KEY = 'gateway.turn';

/** Every row any pg Client of this process got back while `fn` ran, and the statements sent. */
async function answersDuring(fn: () => Promise<unknown>): Promise<{ rows: unknown[]; sent: string[] }> {
  const rows: unknown[] = [];
  const sent: string[] = [];
  const original = pg.Client.prototype.query;
  const spy = vi.spyOn(pg.Client.prototype, 'query').mockImplementation(function (
    this: pg.Client,
    ...args: unknown[]
  ) {
    const config = args[0] as string | { text?: string };
    sent.push(typeof config === 'string' ? config : String(config.text));
    const got = (result: { rows?: unknown[] } | undefined) => rows.push(...(result?.rows ?? []));
    // The pool's own query passes a callback; a client's, a promise.
    const last = args.length - 1;
    const callback = args[last];
    if (typeof callback === 'function') {
      args[last] = (error: unknown, result: { rows?: unknown[] }) => {
        if (!error) got(result);
        return callback(error, result);
      };
    }
    const answer = (original as (...a: unknown[]) => unknown).apply(this, args);
    if (answer instanceof Promise) answer.then(got, () => {});
    return answer;
  } as typeof original);
  try {
    await fn();
  } finally {
    spy.mockRestore();
  }
  return { rows, sent };
}

/** The WAL position written so far (insert) or on disk (flush), as a number. */
async function walAt(which: 'insert' | 'flush'): Promise<bigint> {
  const [row] = await adminQuery<{ at: string }>(
    `SELECT (pg_current_wal_${which}_lsn() - '0/0'::pg_lsn)::text AS at`,
  );
  return BigInt(row!.at);
}

describePostgres('PostgreSQL: a flushed state write that writes nothing', () => {
  const stores = freshStoresEach();

  it('still waits for the WAL flush: a reaped turn’s relaxed answer is on disk when its final record returns', async () => {
    const { sessions } = stores();
    await sessions.create({ id: 's-reaped' });
    // Process B's turn 1 records itself running; B stalls, the reaper marks it failed, turn 2 starts.
    expect(await sessions.setState('s-reaped', KEY, '{"turn_id":"t1","state":"running"}', null)).toBe(true);
    expect(await sessions.setState('s-reaped', KEY, '{"turn_id":"t1","state":"failed"}', 1)).toBe(true);
    expect(await sessions.setState('s-reaped', KEY, '{"turn_id":"t2","state":"running"}', 2)).toBe(true);
    // B wakes: its answer goes relaxed, as a deployment's turn's messages do.
    await sessions.appendTurn('s-reaped', [{ role: 'assistant', content: 'the answer' }], { relaxed: true });
    const appended = await walAt('insert');

    // Its final record, with the epoch it knew, loses to turn 2's: nothing is written.
    let kept: boolean | undefined;
    const { rows, sent } = await answersDuring(async () => {
      kept = await sessions.setState('s-reaped', KEY, '{"turn_id":"t1","state":"completed"}', 1);
    });
    expect(kept).toBe(false);
    expect(JSON.parse((await sessions.getState('s-reaped', KEY))!.value).turn_id).toBe('t2');

    // Its statement wrote a record of its own into the WAL, not relaxed, and on disk when it returned.
    expect(sent.join('\n')).not.toMatch(/synchronous_commit/);
    const barriers = rows.flatMap((row) => {
      const at = (row as { barrier?: unknown }).barrier;
      return typeof at === 'string' ? [at] : [];
    });
    expect(barriers).toHaveLength(1);
    const [barrier] = await adminQuery<{ at: string }>("SELECT ($1::pg_lsn - '0/0'::pg_lsn)::text AS at", [
      barriers[0],
    ]);
    const flushed = await walAt('flush');
    expect(flushed).toBeGreaterThanOrEqual(BigInt(barrier!.at));
    // And the relaxed answer before it too.
    expect(flushed).toBeGreaterThanOrEqual(appended);
  });

  it('a relaxed write that writes nothing writes nothing to the WAL either (it waits for nothing)', async () => {
    const { sessions } = stores();
    await sessions.create({ id: 's-relaxed' });
    expect(await sessions.setState('s-relaxed', KEY, 'a', null)).toBe(true);
    const { rows } = await answersDuring(async () => {
      expect(await sessions.setState('s-relaxed', KEY, 'b', 7, { relaxed: true })).toBe(false);
    });
    expect(rows.some((row) => (row as { barrier?: unknown }).barrier != null)).toBe(false);
  });
});
