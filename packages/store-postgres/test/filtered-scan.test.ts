/**
 * A vector search whose scope filters chunks runs with the larger hnsw.ef_search of
 * filtered-scan.ts, an unfiltered one with the connection's, both with the connection's
 * relaxed_order iterative scan; the setting ends with the search
 * (SET LOCAL), so the pool's next search has the connection's again. Read off the server in the
 * search's own session, just before its statement: every statement holding the vector side is
 * preceded on its client by a read of the setting then in effect.
 */
import { openPostgresStores, type PostgresStores } from '@oxydra/store-postgres';
import type { HybridQuery, SearchModel, SearchScope } from '@oxydra/types';
import pg from 'pg';
import { expect, it, vi } from 'vitest';
import { HNSW_FILTERED_EF_SEARCH } from '../src/store/search-index/filtered-scan.js';
import { describePostgres, dropSchema, freshSchema, POSTGRES_URL } from './postgres-helpers.js';

const MODEL: SearchModel = { id: 'pg-filtered', dimensions: 8 };
/**
 * The settings of a search as `<hnsw.ef_search> <hnsw.iterative_scan>`: the connection's
 * (connection.ts), relaxed_order so that a filtered scan's later batches keep nearer candidates.
 */
const CONNECTION_SETTINGS = '200 relaxed_order';

function unit(axis: number): Float32Array {
  const vector = new Float32Array(MODEL.dimensions);
  vector[axis % MODEL.dimensions] = 1;
  return vector;
}

/** hnsw.ef_search and hnsw.iterative_scan in effect for each vector-side statement `fn` sends, in order. */
async function settingsOfVectorSides(fn: () => Promise<unknown>): Promise<string[]> {
  const read: Promise<pg.QueryResult<{ settings: string }>>[] = [];
  const original = pg.Client.prototype.query;
  const send = original as (this: pg.Client, ...args: unknown[]) => unknown;
  const spy = vi.spyOn(pg.Client.prototype, 'query').mockImplementation(function (
    this: pg.Client,
    ...args: unknown[]
  ) {
    const config = args[0] as string | { text?: string };
    const text = typeof config === 'string' ? config : String(config.text);
    if (text.includes('vector_hits AS'))
      read.push(
        send.call(
          this,
          "SELECT current_setting('hnsw.ef_search') || ' ' || current_setting('hnsw.iterative_scan') AS settings",
        ) as never,
      );
    return send.apply(this, args);
  } as typeof original);
  try {
    await fn();
  } finally {
    spy.mockRestore();
  }
  return (await Promise.all(read)).map((result) => result.rows[0]!.settings);
}

describePostgres('PostgreSQL search index: filtered vector searches', () => {
  async function withStores(sidesApartFrom: number, fn: (stores: PostgresStores) => Promise<void>) {
    const schema = freshSchema();
    const stores = await openPostgresStores({
      url: POSTGRES_URL,
      schema,
      hybridSidesApartFrom: sidesApartFrom,
    });
    try {
      const index = stores.searchIndex(MODEL);
      await index.replaceSource({ type: 'note', id: 'a' }, [{ text: 'alder', hash: 'a', vector: unit(1) }], {
        userId: 'u1',
        tags: ['wood'],
      });
      await index.replaceSource({ type: 'note', id: 'b' }, [{ text: 'birch', hash: 'b', vector: unit(2) }], {
        userId: 'u2',
      });
      await fn(stores);
    } finally {
      await stores.close();
      await dropSchema(schema);
    }
  }

  const filtered = `${HNSW_FILTERED_EF_SEARCH} relaxed_order`;

  it('searches a filtered scope with the larger ef_search, an unfiltered one with the connection’s', async () => {
    await withStores(Number.POSITIVE_INFINITY, async (stores) => {
      const index = stores.searchIndex(MODEL);
      const scopes: SearchScope[] = [
        {},
        { userId: 'u1' },
        {},
        { tags: ['wood'] },
        { includeConversation: false },
        // The retriever's defaults leave nothing out: unfiltered.
        { includeNotes: true, includeConversation: true, tags: [] },
      ];
      const found: number[][] = [];
      const efs = await settingsOfVectorSides(async () => {
        for (const scope of scopes)
          found.push((await index.searchVector(unit(1), scope, 5)).map((c) => c.chunkId));
      });
      expect(efs).toEqual([
        CONNECTION_SETTINGS,
        filtered,
        CONNECTION_SETTINGS,
        filtered,
        filtered,
        CONNECTION_SETTINGS,
      ]);
      // The answers are the scope's: u1 sees its own chunk only.
      expect(found[1]).toHaveLength(1);
      expect(found[0]).toHaveLength(2);
    });
  });

  it('does the same for a hybrid search, in one statement and with its sides apart', async () => {
    for (const sidesApartFrom of [Number.POSITIVE_INFINITY, 0]) {
      await withStores(sidesApartFrom, async (stores) => {
        const index = stores.searchIndex(MODEL);
        const query = (scope: SearchScope): HybridQuery => ({
          vector: unit(2),
          text: 'birch',
          scope,
          limit: 4,
        });
        let scoped: Awaited<ReturnType<typeof index.searchHybrid>> | undefined;
        const efs = await settingsOfVectorSides(async () => {
          scoped = await index.searchHybrid(query({ userId: 'u2' }));
          await index.searchHybrid(query({}));
        });
        expect(efs).toEqual([filtered, CONNECTION_SETTINGS]);
        expect(scoped?.chunks.map((c) => c.text)).toEqual(['birch']);
      });
    }
  });
});
