/**
 * The end of a reaped turn on PostgreSQL (docs/postgres.md, "Fifth round"): its messages were
 * appended relaxed, and its final record loses its compare-and-set to the session's next turn,
 * so it writes nothing. That write must still be a commit that waits for the WAL flush, or the
 * answer its client was told is stored is on disk only once the WAL writer gets to it. Read off
 * the server: the WAL record the statement wrote (a commit that wrote WAL waits for the flush)
 * and the flush position once it returned.
 */
import { expect, it } from 'vitest';
import { adminQuery, describePostgres, freshStoresEach, watchStatements } from './postgres-helpers.js';

const KEY = 'gateway.turn';

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
    const rows: unknown[] = [];
    const sent: string[] = [];
    const kept = await watchStatements(
      () => sessions.setState('s-reaped', KEY, '{"turn_id":"t1","state":"completed"}', 1),
      { sent: (text) => sent.push(text), answered: (_text, answer) => rows.push(...(answer ?? [])) },
    );
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
    const rows: unknown[] = [];
    const kept = await watchStatements(() => sessions.setState('s-relaxed', KEY, 'b', 7, { relaxed: true }), {
      answered: (_text, answer) => rows.push(...(answer ?? [])),
    });
    expect(kept).toBe(false);
    expect(rows.some((row) => (row as { barrier?: unknown }).barrier != null)).toBe(false);
  });
});
