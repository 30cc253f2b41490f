/**
 * The search index's write locks: a transaction advisory lock per source (schema, type, id), so
 * writers of one source take turns in any process (store.ts says why), taken for one source or,
 * by a bulk write, for several in one statement in a fixed order.
 */
import type { SearchSource } from '@oxydra/types';
import type { Sql } from '../database.js';

/**
 * Locks `sources` for this transaction: its writers take turns, in any process. Also turns off
 * synchronous_commit for the transaction (docs/postgres.md, "The search index"): the index is
 * derived from notes and sessions, and waiting for the WAL flush of every note's chunks capped a
 * single writer at the disk's fsync rate (~70 notes/s here); a server crash may lose the last
 * fraction of a second of index writes, never leave them half done.
 */
function lockSources(sql: Sql, sources: readonly SearchSource[]): Promise<unknown> {
  // Sorted, and locked in that order (unnest's rows come in array order): two bulk writers
  // sharing sources take them in the same order, so neither waits for the other in a cycle.
  const sorted = [...sources].sort((a, b) =>
    a.type === b.type ? (a.id < b.id ? -1 : a.id > b.id ? 1 : 0) : a.type < b.type ? -1 : 1,
  );
  return sql.query(
    `SELECT count(pg_advisory_xact_lock(hashtextextended('oxydra-search:' || current_schema() || ':' || t || ':' || i, 0))),
            set_config('synchronous_commit', 'off', true)
     FROM unnest($1::text[], $2::text[]) AS s (t, i)`,
    [sorted.map((s) => s.type), sorted.map((s) => s.id)],
  );
}

/**
 * `work` sent right behind the source's lock, not after its answer (the pool pipelines: one
 * round trip less; the server still runs them in order). A failed lock is the error reported.
 */
export async function afterLock<T>(
  sql: Sql,
  sources: SearchSource | readonly SearchSource[],
  work: () => Promise<T>,
): Promise<T> {
  const locked = lockSources(sql, Array.isArray(sources) ? sources : [sources as SearchSource]);
  locked.catch(() => {});
  try {
    const result = await work();
    await locked;
    return result;
  } catch (error) {
    await locked;
    throw error;
  }
}
