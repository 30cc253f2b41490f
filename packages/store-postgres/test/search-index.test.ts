/**
 * The PostgreSQL search index beyond the shared contract: writers of one source in two pools
 * (as two processes) take turns, models of different dimensions coexist each with its own HNSW
 * index that vector searches use, processes opening a new model together make one index, a bulk
 * load builds the index once after its rows (left to it by other opens, rebuilt in the background
 * by the next open when the loader died, writers going on and the transactions it waits for
 * named; a close stops that rebuild, and the open after builds it again), and a database without
 * pgvector gets a one-line error naming the fix.
 */

import { COMMON_WORD_CHUNKS } from '@oxydra/memory/store-input';
import { MIGRATIONS, openPostgresStores, type PostgresStores } from '@oxydra/store-postgres';
import { pollUntil } from '@oxydra/testkit/helpers';
import type { NewChunk, SearchIndexStore, SearchModel, SearchSource } from '@oxydra/types';
import pg from 'pg';
import { expect, it, vi } from 'vitest';
import {
  adminQuery,
  describePostgres,
  dropSchema,
  freshSchema,
  migratedSchemas,
  POSTGRES_URL,
} from './postgres-helpers.js';

/**
 * Polling the database: each look opens a connection (a server process) of its own, so every
 * 100 ms, not pollUntil's 25 (a background index build takes seconds on a loaded machine).
 */
const DB_POLL = { intervalMs: 100 };

const MODEL: SearchModel = { id: 'pg-test', dimensions: 16 };

function unit(axis: number, dims = MODEL.dimensions): Float32Array {
  const vector = new Float32Array(dims);
  vector[axis % dims] = 1;
  vector[(axis + 1) % dims] = 0.25;
  return vector;
}

const chunk = (text: string, axis: number, dims?: number): NewChunk => ({
  text,
  hash: `hash-${text}`,
  vector: unit(axis, dims),
});

const note = (id: string): SearchSource => ({ type: 'note', id });

/**
 * The stores on a fresh schema, a second pool on it (another process), the schema's name, and
 * `admin` to look under them. `ownDatabase`: in a database of its own, for a test that leaves a
 * transaction open (CONCURRENTLY steps wait for every transaction of their database: other
 * tests' must not wait for this one's).
 */
let schemas: ReturnType<typeof migratedSchemas>;

async function openTwo(ownDatabase = false): Promise<{
  first: PostgresStores;
  second: PostgresStores;
  url: string;
  schema: string;
  admin<R extends pg.QueryResultRow>(text: string, values?: unknown[]): Promise<R[]>;
  /** Closes the second pool (once): what its process does when it stops. */
  closeSecond(): Promise<void>;
  close(): Promise<void>;
}> {
  // In the test database, a migrated schema from the file's pool (migrating one per test was
  // most of the plain tests' time); in a database of the test's own, a fresh one.
  const name = ownDatabase ? freshSchema() : await schemas.take();
  const url = new URL(POSTGRES_URL);
  if (ownDatabase) {
    await adminQuery(`CREATE DATABASE ${name}`);
    url.pathname = `/${name}`;
  }
  const first = await openPostgresStores({ url: url.href, schema: name });
  const second = await openPostgresStores({ url: url.href, schema: name, migrate: false });
  let closing: Promise<void> | undefined;
  const closeSecond = () => {
    closing ??= second.close();
    return closing;
  };
  return {
    first,
    second,
    url: url.href,
    schema: name,
    admin: (text, values) => adminQuery(text, values, url.href),
    closeSecond,
    close: async () => {
      await closeSecond();
      await first.close();
      if (ownDatabase) await adminQuery(`DROP DATABASE ${name} WITH (FORCE)`);
      else await schemas.release(name);
    },
  };
}

describePostgres('PostgreSQL search index', () => {
  schemas = migratedSchemas();
  it('serialises replacements of one source across pools: one version stays whole', async () => {
    const { first, second, close } = await openTwo();
    try {
      const stores = [first.searchIndex(MODEL), second.searchIndex(MODEL)];
      const version = (writer: number, round: number) =>
        Array.from({ length: 3 }, (_, i) => chunk(`cedar w${writer} r${round} c${i}`, i));
      const versionOf = (text: string) => text.split(' ').slice(1, 3).join(' ');
      await stores[0]!.replaceSource(note('shared'), version(9, 0));
      // A reader of its own reads the source's rows in one statement (one snapshot) while the
      // writers run. Connected before they start: connecting took longer than all 30 writes on a
      // loaded machine, and the reader then saw none of them.
      const reader = new pg.Client({ connectionString: POSTGRES_URL });
      await reader.connect();
      let writing = true;
      const seen: string[][] = [];
      const writes = Promise.all(
        stores.map(async (store, writer) => {
          for (let round = 0; round < 15; round++)
            await store.replaceSource(note('shared'), version(writer, round));
        }),
      ).finally(() => {
        writing = false;
      });
      try {
        // At least one read, however fast the writers are.
        do {
          const { rows } = await reader.query<{ text: string }>(
            `SELECT text FROM ${first.schema}.search_chunks WHERE source_id = 'shared'`,
          );
          seen.push(rows.map((row) => row.text));
        } while (writing);
        await writes;
      } finally {
        await reader.end();
      }
      // Every read between the writes saw one version whole (three chunks of one writer's round).
      for (const texts of seen) {
        expect(texts).toHaveLength(3);
        expect(new Set(texts.map(versionOf)).size).toBe(1);
      }
      const rows = await adminQuery<{ text: string; ordinal: number }>(
        `SELECT text, ordinal FROM ${first.schema}.search_chunks ORDER BY ordinal`,
      );
      expect(rows).toHaveLength(3);
      expect(rows.map((row) => row.ordinal)).toEqual([0, 1, 2]);
      const [writer, round] = rows[0]!.text.split(' ').slice(1, 3);
      expect(rows.map((row) => row.text)).toEqual([0, 1, 2].map((i) => `cedar ${writer} ${round} c${i}`));
    } finally {
      await close();
    }
  });

  it('replaces many sources in one write (bulk): the last of a source given twice, fields per source, empty removes', async () => {
    const { first, second, close } = await openTwo();
    try {
      const [a, b] = [first.searchIndex(MODEL), second.searchIndex(MODEL)];
      await a.replaceSource(note('gone'), [chunk('gone one', 1)]);
      await a.replaceSource(note('kept'), [chunk('kept old', 2)]);
      await a.replaceSources!([
        { source: note('kept'), chunks: [chunk('kept first try', 3)] },
        { source: note('gone'), chunks: [] },
        {
          source: note('n1'),
          chunks: [chunk('alder one', 4), chunk('alder two', 5)],
          fields: { userId: 'u1', tags: ['b', 'a'] },
        },
        { source: note('kept'), chunks: [chunk('kept new', 6)], fields: { userId: 'u2' } },
      ]);
      const rows = await adminQuery<{
        source_id: string;
        ordinal: number;
        text: string;
        user_id: string | null;
        tags: string[];
      }>(
        `SELECT source_id, ordinal, text, user_id, tags FROM ${first.schema}.search_chunks ORDER BY source_id, ordinal`,
      );
      expect(rows).toEqual([
        { source_id: 'kept', ordinal: 0, text: 'kept new', user_id: 'u2', tags: [] },
        { source_id: 'n1', ordinal: 0, text: 'alder one', user_id: 'u1', tags: ['a', 'b'] },
        { source_id: 'n1', ordinal: 1, text: 'alder two', user_id: 'u1', tags: ['a', 'b'] },
      ]);
      // Each side of a search sees the bulk's chunks with their scope.
      const [nearest] = await a.searchVector(unit(5), { userId: 'u1', tags: ['a'] }, 1);
      expect((await a.chunks([nearest!.chunkId]))[0]?.text).toBe('alder two');
      expect(await a.searchVector(unit(5), { userId: 'u2', tags: ['a'] }, 5)).toEqual([]);
      expect((await a.searchText('alder', { userId: 'u1' }, 5)).length).toBe(2);
      // Vectors of several sources in one read, in the order asked; a source without any is empty.
      const vectors = await a.sourcesVectors!([note('n1'), note('none'), note('kept')]);
      expect(vectors.map((m) => [...m.keys()].sort())).toEqual([
        ['hash-alder one', 'hash-alder two'],
        [],
        ['hash-kept new'],
      ]);
      expect([...vectors[0]!.get('hash-alder two')!]).toEqual([...unit(5)]);
      // Two pools writing overlapping batches in opposite orders, at once: both finish (the
      // sources are locked in one order), and each source ends whole, as one writer's.
      const batch = (writer: number, ids: string[]) =>
        ids.map((id) => ({
          source: note(id),
          chunks: [chunk(`${id} w${writer} x`, 1), chunk(`${id} w${writer} y`, 2)],
        }));
      const ids = Array.from({ length: 20 }, (_, i) => `shared-${i}`);
      await Promise.all(
        Array.from({ length: 5 }, (_, round) => [
          a.replaceSources!(batch(0, round % 2 ? ids : [...ids].reverse())),
          b.replaceSources!(batch(1, round % 2 ? [...ids].reverse() : ids)),
        ]).flat(),
      );
      const shared = await adminQuery<{ source_id: string; texts: string[] }>(
        `SELECT source_id, array_agg(text ORDER BY ordinal) AS texts FROM ${first.schema}.search_chunks
         WHERE source_id LIKE 'shared-%' GROUP BY source_id`,
      );
      expect(shared).toHaveLength(20);
      for (const { source_id, texts } of shared) {
        const writer = texts[0]!.split(' ')[1];
        expect(texts).toEqual([`${source_id} ${writer} x`, `${source_id} ${writer} y`]);
      }
    } finally {
      await close();
    }
  });

  it('numbers appends from two pools after the last chunk, without gaps or repeats', async () => {
    const { first, second, close } = await openTwo();
    try {
      await first.sessions.create({ id: 'chat' });
      const stores = [first.searchIndex(MODEL), second.searchIndex(MODEL)];
      const source: SearchSource = { type: 'conversation', id: 'chat' };
      await Promise.all(
        stores.map(async (store, writer) => {
          for (let turn = 0; turn < 10; turn++) {
            await store.appendChunks(
              source,
              [chunk(`w${writer} t${turn} a`, turn), chunk(`w${writer} t${turn} b`, turn + 1)],
              {
                sessionId: 'chat',
              },
            );
          }
        }),
      );
      const rows = await adminQuery<{ text: string; ordinal: number }>(
        `SELECT text, ordinal FROM ${first.schema}.search_chunks ORDER BY ordinal`,
      );
      expect(rows.map((row) => row.ordinal)).toEqual(Array.from({ length: 40 }, (_, i) => i));
      // Each append's two chunks stay next to each other.
      for (let i = 0; i < 40; i += 2) expect(rows[i + 1]!.text).toBe(rows[i]!.text.replace(/ a$/, ' b'));
      // Deleting the session deletes its chunks.
      await first.sessions.delete('chat');
      expect((await stores[0]!.counts()).chunks).toBe(0);
    } finally {
      await close();
    }
  });

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

  it("bounds the full-text index's pending list that every full-text search reads whole (256 kB)", async () => {
    const { first, admin, close } = await openTwo();
    try {
      const [index] = await admin<{ reloptions: string[] | null }>(
        `SELECT c.reloptions FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE n.nspname = $1 AND c.relname = 'search_chunks_text'`,
        [first.schema],
      );
      expect(index?.reloptions).toEqual(['gin_pending_list_limit=256']);
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

  it('answers a hybrid search the same with its sides in one statement and on two connections at once', async () => {
    const name = freshSchema();
    const one = await openPostgresStores({
      url: POSTGRES_URL,
      schema: name,
      hybridSidesApartFrom: Number.POSITIVE_INFINITY,
    });
    const apart = await openPostgresStores({ url: POSTGRES_URL, schema: name, hybridSidesApartFrom: 0 });
    try {
      const words = ['tundra lynx', 'river otter', 'lynx tracks in snow', 'otter and lynx', 'pine marten'];
      const writer = one.searchIndex(MODEL);
      for (let i = 0; i < 12; i++) {
        await writer.replaceSource(
          { type: 'note', id: `n${i}` },
          [chunk(`${words[i % words.length]} ${i}`, i), chunk(`aside ${i}`, i + 5)],
          { userId: i % 2 === 0 ? 'u1' : 'u2', tags: i % 3 === 0 ? ['wild'] : [] },
        );
      }
      /** Chunks in id order: the two ways list them in different orders, the lists themselves alike. */
      const answer = async (
        stores: PostgresStores,
        query: Parameters<SearchIndexStore['searchHybrid']>[0],
      ) => {
        const found = await stores.searchIndex(MODEL).searchHybrid(query);
        return { ...found, chunks: [...found.chunks].sort((a, b) => a.id - b.id) };
      };
      const queries = [
        { vector: unit(2), text: 'lynx', scope: {}, limit: 5 },
        { vector: unit(0), text: 'otter lynx', scope: { userId: 'u1' }, limit: 4 },
        { vector: unit(3), text: 'lynx', scope: { tags: ['wild'] }, limit: 8 },
        { vector: unit(7), text: 'nothing matches this', scope: {}, limit: 3 },
      ];
      let both = 0;
      for (const query of queries) {
        const single = await answer(one, query);
        expect(await answer(apart, query)).toEqual(single);
        const byVector = new Set(single.vector.map((c) => c.chunkId));
        both += single.text.filter((c) => byVector.has(c.chunkId)).length;
      }
      // Chunks found by both sides are there: the two ways join them alike.
      expect(both).toBeGreaterThan(0);
    } finally {
      await apart.close();
      await one.close();
      await dropSchema(name);
    }
  });

  it('takes tsquery syntax in a query as words: operators, quotes, prefixes and backslashes', async () => {
    const { first, close } = await openTwo();
    try {
      const store = first.searchIndex(MODEL);
      await store.replaceSource(note('ops'), [
        chunk('quartz ticket OXY-4711 parse_config', 1),
        chunk('quartz basalt', 2),
      ]);
      for (const query of [
        'quartz & !basalt',
        'quartz | ',
        "'quartz':* <-> (",
        '\\quartz\\',
        '!!!',
        '<2> & | ( )',
        "a:B & 'it''s'",
      ]) {
        const found = await store.searchText(query, {}, 10);
        expect(found.every((c) => Number.isFinite(c.score))).toBe(true);
      }
      // "!basalt" is the word "basalt", not NOT basalt: both chunks match, the one with both words first.
      const both = await store.searchText('quartz & !basalt', {}, 10);
      expect((await store.chunks(both.map((c) => c.chunkId))).map((c) => c.text).sort()).toEqual([
        'quartz basalt',
        'quartz ticket OXY-4711 parse_config',
      ]);
      expect(both[0]!.score).toBeGreaterThan(both[1]!.score);
      const [ticket] = await store.searchText('oxy-4711', {}, 10);
      expect((await store.chunks([ticket!.chunkId]))[0]?.text).toContain('OXY-4711');
      expect(await store.searchText('!!! &&& |||', {}, 10)).toEqual([]);
    } finally {
      await close();
    }
  });

  it('leaves out words found in more than COMMON_WORD_CHUNKS chunks, keeping the rare ones', async () => {
    const { first, close } = await openTwo();
    try {
      const store = first.searchIndex(MODEL);
      const many = Array.from({ length: COMMON_WORD_CHUNKS + 5 }, (_, i) =>
        chunk(`everywhere filler ${i}`, i),
      );
      await store.replaceSource(note('common'), many);
      await store.replaceSource(note('rare'), [chunk('everywhere zircon', 3)]);
      // The common word alone: the full-text side sits the query out (the vectors decide).
      expect(await store.searchText('everywhere', {}, 10)).toEqual([]);
      const found = await store.searchText('everywhere zircon', {}, 10);
      expect((await store.chunks(found.map((c) => c.chunkId))).map((c) => c.text)).toEqual([
        'everywhere zircon',
      ]);
    } finally {
      await close();
    }
  });

  it('takes a word the statistics show far past COMMON_WORD_CHUNKS as common without counting it', async () => {
    const { first, schema, admin, close } = await openTwo();
    try {
      const store = first.searchIndex(MODEL);
      // Past common-lexemes.ts's ESTIMATE_MARGIN (1.5) times the cap, by ANALYZE's estimate.
      const many = Array.from({ length: Math.ceil(1.5 * COMMON_WORD_CHUNKS) + 50 }, (_, i) =>
        chunk(`everywhere filler ${i}`, i),
      );
      await store.replaceSource(note('common'), many);
      // Statistics that say "everywhere" is in every chunk, then the chunks gone without a new
      // ANALYZE (autovacuum off, so none comes): only a word taken from the statistics unseen
      // can be left out now, as counting finds it in one chunk.
      await admin(`ALTER TABLE ${schema}.search_chunks SET (autovacuum_enabled = off)`);
      await admin(`ANALYZE ${schema}.search_chunks`);
      await store.deleteSource(note('common'));
      await store.replaceSource(note('rare'), [chunk('everywhere zircon', 3)]);
      // Read in the background after a search asks: at first the word is counted and found.
      await pollUntil(
        async () => (await store.searchText('everywhere', {}, 10)).length === 0,
        'the statistics to make "everywhere" common',
        DB_POLL,
      );
      const found = await store.searchText('everywhere zircon', {}, 10);
      expect((await store.chunks(found.map((c) => c.chunkId))).map((c) => c.text)).toEqual([
        'everywhere zircon',
      ]);
    } finally {
      await close();
    }
  });

  it('leaves out a phrase found in more than COMMON_WORD_CHUNKS chunks, as a common word', async () => {
    const { first, close } = await openTwo();
    try {
      const store = first.searchIndex(MODEL);
      const many = Array.from({ length: COMMON_WORD_CHUNKS + 5 }, (_, i) =>
        chunk(`run the deploy-script again ${i}`, i),
      );
      await store.replaceSource(note('common'), many);
      await store.replaceSource(note('rare'), [chunk('deploy-script zircon', 3)]);
      // The phrase and its words in every chunk: the full-text side sits the query out.
      expect(await store.searchText('deploy-script', {}, 10)).toEqual([]);
      const found = await store.searchText('deploy-script zircon', {}, 10);
      expect((await store.chunks(found.map((c) => c.chunkId))).map((c) => c.text)).toEqual([
        'deploy-script zircon',
      ]);
      // A phrase under the cap is still searched for.
      await store.replaceSource(note('ticket'), [chunk('see OXY-4711', 4)]);
      const ticket = await store.searchText('OXY-4711 deploy-script', {}, 10);
      expect((await store.chunks(ticket.map((c) => c.chunkId))).map((c) => c.text)).toEqual(['see OXY-4711']);
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
