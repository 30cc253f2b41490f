// bench/pg-search.mjs: the two sides of a hybrid search, each alone, and (--sides-ab) the hybrid
// queries with the sides in one statement against on two connections at once.
import { seededRandom } from '@oxydra/testkit';
import { Retriever } from '../../packages/memory/dist/retrieval/index.js';
import { openPostgresStores } from '../../packages/store-postgres/dist/index.js';
import { measureQueries, queryFor } from '../search-corpus.mjs';
import { p50, SCHEMA, TOP_K } from './shared.mjs';

/**
 * p50 of each side alone, as the retriever asks it (topK × 4 candidates, no scope), and of the
 * vector side scoped to the query's note's user (vector_scoped_user_p50_ms).
 */
export async function sides(store, embedder, notes) {
  const random = seededRandom(13);
  const text = [];
  const vector = [];
  const vectorScoped = [];
  for (let i = 0; i < 100; i++) {
    const note = notes[Math.floor(random() * notes.length)];
    const query = queryFor(note, random).text;
    const [q] = await embedder.embed([query]);
    let start = performance.now();
    await store.searchVector(q, {}, TOP_K * 4);
    vector.push(performance.now() - start);
    start = performance.now();
    await store.searchVector(q, { userId: note.userId }, TOP_K * 4);
    vectorScoped.push(performance.now() - start);
    start = performance.now();
    await store.searchText(query, {}, TOP_K * 4);
    text.push(performance.now() - start);
  }
  return { vector_p50_ms: p50(vector), vector_scoped_user_p50_ms: p50(vectorScoped), text_p50_ms: p50(text) };
}

/** Hybrid query p50s with the sides in one statement and apart, rounds in the order one, apart, apart, one. */
export async function sidesApartOrNot(url, embedder, seen, { dims, queries }) {
  const ways = { one_statement: Number.POSITIVE_INFINITY, apart: 0 };
  const opened = {};
  for (const [way, from] of Object.entries(ways)) {
    opened[way] = await openPostgresStores({
      url,
      schema: SCHEMA,
      migrate: false,
      hybridSidesApartFrom: from,
    });
  }
  const p50s = { one_statement: [], apart: [] };
  try {
    for (const way of ['one_statement', 'apart', 'apart', 'one_statement']) {
      const store = opened[way].searchIndex({ id: embedder.modelId, dimensions: dims });
      const retriever = new Retriever(store, embedder, { topK: TOP_K });
      const measured = await measureQueries(retriever, seen, seededRandom(7), {
        queries,
        topK: TOP_K,
      });
      p50s[way].push(measured.query_p50_ms);
    }
  } finally {
    for (const stores of Object.values(opened)) await stores.close();
  }
  return { query_p50_ms: p50s };
}
