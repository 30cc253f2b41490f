/**
 * The PostgreSQL search index's vector side beyond the shared contract: models of different
 * dimensions coexist, each with its own HNSW index that vector searches use; a schema's
 * full-precision index is replaced by the halfvec one once; a bulk load builds the index once
 * after its rows (left to it by other opens, rebuilt in the background by the next open when the
 * loader died, writers going on and the transactions it waits for named; a close stops that
 * rebuild, and the open after builds it again); and a database without pgvector gets a one-line
 * error naming the fix. Writers and searches: search-index-writes-search.test.ts.
 */

import { MIGRATIONS, openPostgresStores, type PostgresStores } from '@oxydra/store-postgres';
import { pollUntil } from '@oxydra/testkit/helpers';
import type { SearchModel } from '@oxydra/types';
import pg from 'pg';
import { expect, it, vi } from 'vitest';
import { adminQuery, describePostgres, POSTGRES_URL } from './postgres-helpers.js';
import { chunk, DB_POLL, MODEL, note, twoPools, unit } from './search-index-helpers.js';

describePostgres('PostgreSQL search index: vectors and their HNSW index', () => {
  const openTwo = twoPools();
  it('keeps models of different dimensions apart, each searched through its own HNSW index', async () => {
    const { first, second, close } = await openTwo();
    try {
      const small: SearchModel = { id: 'small', dimensions: 8 };
      // Two processes opening the same new model at once make one row and one index.
      const [a, b] = [first.searchIndex(MODEL), second.searchIndex(MODEL)];
      await Promise.all([a.counts(), b.counts()]);
      const other = first.searchIndex(small);
      await a.replaceSource(note('wide'), [chunk('wide one', 1), chunk('wide two', 2)]);
      await other.replaceSource(note('narrow'), [chunk('narrow one', 1, 8)]);
      const models = await adminQuery<{ key: number; model_id: string; dims: number }>(
        `SELECT key, model_id, dims FROM ${first.schema}.search_models ORDER BY key`,
      );
      expect(models.map(({ model_id, dims }) => [model_id, dims])).toEqual([
        [MODEL.id, MODEL.dimensions],
        [small.id, small.dimensions],
      ]);
      const indexes = await adminQuery<{ indexname: string }>(
        `SELECT indexname FROM pg_indexes WHERE schemaname = $1 AND indexname LIKE 'search_chunks_hnsw%' ORDER BY indexname`,
        [first.schema],
      );
      expect(indexes.map((row) => row.indexname)).toEqual(models.map((m) => `search_chunks_hnswh_${m.key}`));
      expect((await a.counts()).vectorsByModel).toEqual({ [MODEL.id]: 2, [small.id]: 1 });
      expect((await a.counts()).missingVectors).toBe(1);
      const [best] = await a.searchVector(unit(2), {}, 5);
      expect((await a.chunks([best!.chunkId]))[0]?.text).toBe('wide two');
      expect(await other.searchVector(unit(1, 8), {}, 5)).toHaveLength(1);

      // The planner picks the model's index for the store's query (forced off a seq scan: the table is tiny).
      const key = models[0]!.key;
      const explained = await explain(
        first.schema,
        `SELECT id FROM search_chunks WHERE model_key = ${key}
         ORDER BY (embedding::halfvec(16)) <=> '[${Array.from(unit(2)).join(',')}]'::halfvec(16) LIMIT 5`,
      );
      expect(explained).toContain(`Index Scan using search_chunks_hnswh_${key}`);
    } finally {
      await close();
    }
  });

  it("replaces a schema's full-precision HNSW index (before halfvec) with the halfvec one, once", async () => {
    const { first, second, url, close } = await openTwo();
    try {
      await first
        .searchIndex(MODEL)
        .replaceSource(note('kept'), [chunk('kept one', 1), chunk('kept two', 2)]);
      const [{ key }] = (await adminQuery<{ key: number }>(
        `SELECT key FROM ${first.schema}.search_models`,
      )) as [{ key: number }];
      // The index as this store made it before: vector(16), under the old name.
      await adminQuery(`DROP INDEX ${first.schema}.search_chunks_hnswh_${key}`);
      await adminQuery(
        `CREATE INDEX search_chunks_hnsw_${key} ON ${first.schema}.search_chunks
         USING hnsw ((embedding::public.vector(16)) public.vector_cosine_ops) WHERE model_key = ${key}`,
      );
      const reopened = second.searchIndex(MODEL);
      const [best] = await reopened.searchVector(unit(2), {}, 5);
      expect((await reopened.chunks([best!.chunkId]))[0]?.text).toBe('kept two');
      const indexes = async () =>
        (
          await adminQuery<{ indexname: string }>(
            `SELECT indexname FROM pg_indexes WHERE schemaname = $1 AND indexname LIKE 'search_chunks_hnsw%'`,
            [first.schema],
          )
        ).map((row) => row.indexname);
      // The old index goes in the open's transaction; the halfvec one is built after it commits,
      // in the background (model.ts, rebuild.ts), so the search above may come first.
      expect(await indexes()).not.toContain(`search_chunks_hnsw_${key}`);
      await pollUntil(
        async () => (await indexState(url, `${first.schema}.search_chunks_hnswh_${key}`))[0] === 'valid',
        'the background build of the halfvec index',
        DB_POLL,
      );
      expect(await indexes()).toEqual([`search_chunks_hnswh_${key}`]);
      // A component beyond half precision's range is refused before it reaches the index.
      const wide = unit(3);
      wide[5] = 1e6;
      await expect(
        reopened.replaceSource(note('wide'), [{ text: 'w', hash: 'w', vector: wide }]),
      ).rejects.toThrow(/half precision/);
    } finally {
      await close();
    }
  });

  it('bulk loads without the HNSW index, builds it once after, and when the loader dies the next open rebuilds it in the background, writers going on, until a close stops it', async () => {
    const { first, second, url, admin, closeSecond, close } = await openTwo(true);
    try {
      const a = first.searchIndex(MODEL);
      await a.replaceSource(note('before'), [chunk('before', 1)]);
      const [{ key }] = (await admin<{ key: number }>(`SELECT key FROM ${first.schema}.search_models`)) as [
        { key: number },
      ];
      const index = `${first.schema}.search_chunks_hnswh_${key}`;
      const state = () => indexState(url, index);
      const nearest = async (store: ReturnType<PostgresStores['searchIndex']>, axis: number) => {
        const [best] = await store.searchVector(unit(axis), {}, 1);
        return (await store.chunks([best!.chunkId]))[0]?.text;
      };
      await a.bulkLoad(async () => {
        expect(await state()).toEqual([]);
        await a.replaceSources!(
          Array.from({ length: 6 }, (_, i) => ({
            source: note(`bulk-${i}`),
            chunks: [chunk(`bulk ${i}`, i + 2)],
          })),
        );
        // Another process opening the model meanwhile leaves the index to the load, searches
        // it exactly and writes to it.
        const b = second.searchIndex(MODEL);
        expect(await nearest(b, 4)).toBe('bulk 2');
        await b.replaceSource(note('other'), [chunk('other writer', 10)]);
        expect(await state()).toEqual([]);
      });
      expect(await state()).toEqual(['valid']);
      expect(await nearest(second.searchIndex(MODEL), 10)).toBe('other writer');
      expect(
        await explain(
          first.schema,
          `SELECT id FROM search_chunks WHERE model_key = ${key}
           ORDER BY (embedding::halfvec(16)) <=> '[${Array.from(unit(2)).join(',')}]'::halfvec(16) LIMIT 5`,
          url,
        ),
      ).toContain(`Index Scan using search_chunks_hnswh_${key}`);

      // The loading session dies mid-load (as with its process): the load fails, the index is
      // missing, and the next open of the model (another process) builds it.
      const died = a.bulkLoad(async () => {
        await admin(
          `SELECT pg_terminate_backend(l.pid) FROM pg_locks l,
             (SELECT hashtextextended('oxydra-search-bulk:' || $1 || ':' || $2, 0) AS k) AS x
           WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1
             AND l.classid::text::bigint = (x.k >> 32) & 4294967295 AND l.objid::text::bigint = x.k & 4294967295`,
          [first.schema, key],
        );
        await a.replaceSource(note('late'), [chunk('late', 12)]);
      });
      await expect(died).rejects.toThrow();
      expect(await state()).toEqual([]);

      // The next open (another process) rebuilds it in the background, CONCURRENTLY. Held up
      // here by a transaction left open in the database (as by an idle psql), the build waits
      // and names it; meanwhile the store opens, searches (exactly) and writes.
      const blocker = await openTransaction(url);
      const stderr = captureStderr();
      try {
        const b = second.searchIndex(MODEL);
        expect(await nearest(b, 12)).toBe('late');
        const report = await pollUntil(
          () => stderr.lines.find((line) => line.includes(`pid ${blocker.pid} `)),
          'the rebuild to name the open transaction',
        );
        expect(report).toMatch(
          new RegExp(
            `^warning: search index: building the HNSW index ${index} waits for a transaction open in the database: pid ${blocker.pid} \\(idle in transaction since .*SELECT pg_terminate_backend\\(${blocker.pid}\\)\\)\n$`,
          ),
        );
        expect(await state()).toEqual(['invalid']);
        await b.replaceSource(note('during'), [chunk('during rebuild', 14)]);
        await b.appendChunks(note('during'), [chunk('during append', 13)]);
        expect(await nearest(b, 14)).toBe('during rebuild');
        expect(await state()).toEqual(['invalid']);
        // The stores' close, the build still held up (it would wait as long as that transaction
        // stays open), stops it: cancelled, the build leaves its index invalid, and says so.
        await closeSecond();
        expect(stderr.lines).toContainEqual(
          `warning: search index: rebuilding the HNSW index search_chunks_hnswh_${key} was stopped by the store's close; the next open of the store builds it again\n`,
        );
        expect(await state()).toEqual(['invalid']);
      } finally {
        stderr.restore();
        await blocker.end();
      }
      // The next open (another process) drops the invalid index and builds it whole.
      expect(await nearest(first.searchIndex(MODEL), 13)).toBe('during append');
      await pollUntil(
        async () => (await state())[0] === 'valid',
        'the stopped build done again by the next open',
        DB_POLL,
      );

      // A build cut short leaves an invalid index (CONCURRENTLY's way): the next open rebuilds it.
      await admin(`UPDATE pg_index SET indisvalid = false WHERE indexrelid = to_regclass($1)`, [index]);
      expect(await state()).toEqual(['invalid']);
      expect(await nearest(first.searchIndex(MODEL), 1)).toBe('before');
      await pollUntil(async () => (await state())[0] === 'valid', 'the invalid index rebuilt', DB_POLL);
    } finally {
      await close();
    }
    // Many steps, each a round of connections and a CONCURRENTLY build: a bound for a loaded
    // machine, not a timing check.
  }, 90_000);

  it("lets a rebuild held up only briefly finish at the store's close, so a one-shot process still builds the index", async () => {
    const { first, url, admin, close } = await openTwo(true);
    try {
      await first.searchIndex(MODEL).replaceSource(note('kept'), [chunk('kept one', 1)]);
      const [{ key }] = (await admin<{ key: number }>(`SELECT key FROM ${first.schema}.search_models`)) as [
        { key: number },
      ];
      const index = `${first.schema}.search_chunks_hnswh_${key}`;
      await admin(`UPDATE pg_index SET indisvalid = false WHERE indexrelid = to_regclass($1)`, [index]);
      // A transaction the build must wait for, ended 1 s after it began: always younger than what
      // the close stops a build for (2 s), so a close that begins meanwhile waits for the build.
      const blocker = await openTransaction(url);
      const ended = new Promise<void>((resolve) => setTimeout(() => void blocker.end().then(resolve), 1000));
      const oneShot = await openPostgresStores({ url, schema: first.schema, migrate: false });
      expect(await oneShot.searchIndex(MODEL).searchVector(unit(1), {}, 1)).toHaveLength(1);
      await oneShot.close();
      await ended;
      expect(await indexState(url, index)).toEqual(['valid']);
    } finally {
      await close();
    }
  });

  it('reports a rebuild that fails, and the next open tries again', async () => {
    const { first, second, url, admin, close } = await openTwo(true);
    try {
      await first.searchIndex(MODEL).replaceSource(note('kept'), [chunk('kept one', 1)]);
      const [{ key }] = (await admin<{ key: number }>(`SELECT key FROM ${first.schema}.search_models`)) as [
        { key: number },
      ];
      const index = `${first.schema}.search_chunks_hnswh_${key}`;
      await admin('UPDATE pg_index SET indisvalid = false WHERE indexrelid = to_regclass($1)', [index]);
      const blocker = await openTransaction(url);
      const stderr = captureStderr();
      try {
        expect((await second.searchIndex(MODEL).counts()).chunks).toBe(1);
        await pollUntil(
          () => stderr.lines.some((line) => line.includes(`pid ${blocker.pid} `)),
          'the rebuild to wait for the open transaction',
        );
        // The rebuild's backend ends (an administrator, a server restart): the failure is said.
        await admin(
          // Only in this test's own database: another's build of a model with the same key (a
          // bench, a test beside this one) is not this test's to end.
          `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
            WHERE datname = current_database() AND query LIKE 'CREATE INDEX CONCURRENTLY search_chunks_hnswh_${key} %'`,
        );
        const failed = await pollUntil(
          () => stderr.lines.find((line) => line.includes('failed')),
          'the failed rebuild to be reported',
        );
        expect(failed).toMatch(
          /^warning: search index: rebuilding the HNSW index search_chunks_hnswh_\d+ failed: .*terminat.*; searches of its model are exact scans \(slower\) until the next open of the store tries again\n$/,
        );
      } finally {
        stderr.restore();
        await blocker.end();
      }
      expect(await indexState(url, index)).toEqual(['invalid']);
      await first.searchIndex(MODEL).counts();
      await pollUntil(
        async () => (await indexState(url, index))[0] === 'valid',
        'the next open to rebuild the index',
        DB_POLL,
      );
    } finally {
      await close();
    }
  });

  it('explains a database without pgvector in one line naming the fix, never the password', () => {
    const migration = MIGRATIONS.find((m) => m.name === 'search_index');
    const target = 'oxydra@db.example:5432/app';
    const missing = Object.assign(
      new Error(
        'could not open extension control file "/usr/share/postgresql/15/extension/vector.control": No such file or directory',
      ),
      { code: '58P01' },
    );
    const message = migration?.explain?.(missing, target)?.message ?? '';
    expect(message).toBe(
      `PostgreSQL at ${target} has no pgvector extension, which the search index needs: install pgvector on the server (docs/postgres.md, "Installing pgvector")`,
    );
    const denied = Object.assign(new Error('permission denied to create extension "vector"'), {
      code: '42501',
    });
    expect(migration?.explain?.(denied, target)?.message).toMatch(
      /have an administrator run CREATE EXTENSION vector/,
    );
    expect(migration?.explain?.(new Error('relation "sessions" does not exist'), target)).toBeUndefined();
  });
});

/** EXPLAIN of `query` in `schema` (pgvector's type and operator found through public), with seq scans off. */
async function explain(schema: string, query: string, url = POSTGRES_URL): Promise<string> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`SET search_path TO ${schema}, public`);
    await client.query('SET enable_seqscan = off');
    const { rows } = await client.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${query}`);
    return rows.map((row) => row['QUERY PLAN']).join('\n');
  } finally {
    await client.end();
  }
}

/** The model's HNSW index `index` (schema-qualified): [] when missing, else ['valid'] or ['invalid']. */
async function indexState(url: string, index: string): Promise<string[]> {
  const rows = await adminQuery<{ valid: boolean }>(
    'SELECT indisvalid AS valid FROM pg_index WHERE indexrelid = to_regclass($1)',
    [index],
    url,
  );
  return rows.map((row) => (row.valid ? 'valid' : 'invalid'));
}

/** A transaction left open in the database, as by an idle psql: REPEATABLE READ holds its snapshot. */
async function openTransaction(url: string): Promise<{ pid: number; end(): Promise<void> }> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ');
  const { rows } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
  return { pid: rows[0]!.pid, end: () => client.end() };
}

/** What this process writes to stderr (the stores' warnings), until restore(). */
function captureStderr(): { lines: string[]; restore(): void } {
  const lines: string[] = [];
  const spy = vi.spyOn(process.stderr, 'write').mockImplementation((text) => {
    lines.push(String(text));
    return true;
  });
  return { lines, restore: () => spy.mockRestore() };
}
