// bench/pg-search.mjs: HNSW recall@10 against exact search, unscoped and scoped to a user, at the
// store's ef_search and others.
import { seededRandom } from '@oxydra/testkit';
import { recallQuery } from '../search-corpus.mjs';
import { p50, round, SCHEMA } from './shared.mjs';

/**
 * recall@10 of the store's searchVector against exact search (queries whose vector is zero passed
 * over: recallQuery): the same chunks (the model's), the
 * same scope condition, ordered by the full-precision cosine distance with index scans off (a
 * sequential scan computing every distance; checked by EXPLAIN). Unscoped, and scoped to one user
 * (a tenth of the chunks: the filtered case). The ef_search_<n> rows run the index's own ORDER BY
 * with that ef_search, unscoped, for tuning; the scoped_ef_search_<n> rows the same scoped to the
 * user (--scoped-ef) with the store's iterative scan (strict_order; scoped_relaxed_ef_search_<n>
 * with relaxed_order, --scoped-scan), with the p50 of that statement alone (<row>_p50_ms: the
 * server's work and one round trip), each query's settings run one after the other, so the
 * settings' times are interleaved.
 */
export async function recall(client, store, embedder, notes, key, { dims, scopedRows, recallQueries }) {
  const random = seededRandom(11);
  const vector = `public.vector(${dims})`;
  const { rows: defs } = await client.query(
    `SELECT pg_get_indexdef(i.indexrelid, 1, true) AS expr FROM pg_index i
     JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = $1 AND c.relname LIKE 'search_chunks_hnsw%' AND pg_get_indexdef(i.indexrelid) LIKE $2`,
    [SCHEMA, `%model_key = ${key})`],
  );
  if (defs.length !== 1) throw new Error(`expected one HNSW index for model ${key}, found ${defs.length}`);
  const indexed = defs[0].expr.startsWith('(') ? defs[0].expr : `(${defs[0].expr})`;
  const indexedType = /halfvec/.test(indexed) ? `public.halfvec(${dims})` : vector;
  /** `query`'s rows with `settings` in effect; `times`, when given, gets the query's own ms. */
  const inTransaction = async (settings, query, params, times) => {
    await client.query('BEGIN');
    try {
      for (const setting of settings) await client.query(setting);
      const start = performance.now();
      const { rows } = await client.query(query, params);
      times?.push(performance.now() - start);
      return rows;
    } finally {
      await client.query('COMMIT');
    }
  };
  const exactSql = (where) =>
    `SELECT id FROM ${SCHEMA}.search_chunks WHERE model_key = ${key}${where}
     ORDER BY (embedding::${vector}) OPERATOR(public.<=>) $1::${vector}, id LIMIT 10`;
  const exactSettings = ['SET LOCAL enable_indexscan = off', 'SET LOCAL enable_bitmapscan = off'];
  const plan = await inTransaction(exactSettings, `EXPLAIN ${exactSql('')}`, [
    `[${new Array(dims).fill(0.1)}]`,
  ]);
  if (plan.some((row) => /hnsw/.test(row['QUERY PLAN'])))
    throw new Error('the exact scan uses the HNSW index');
  const exact = async (q, where, params) =>
    new Set(
      (await inTransaction(exactSettings, exactSql(where), [`[${q.join(',')}]`, ...params])).map((r) =>
        Number(r.id),
      ),
    );
  const efs = [40, 100, 200, 400, 800];
  const found = {
    store: 0,
    store_scoped_user: 0,
    ...Object.fromEntries(efs.map((ef) => [`ef_search_${ef}`, 0])),
    ...Object.fromEntries(scopedRows.map(([name]) => [name, 0])),
  };
  const scopedMsOf = Object.fromEntries(scopedRows.map(([name]) => [name, []]));
  let wanted = 0;
  let wantedScoped = 0;
  const storeMs = [];
  const scopedMs = [];
  const skipped = { count: 0 };
  for (let i = 0; i < recallQueries; i++) {
    const { note, vector: q } = await recallQuery(embedder, notes, random, skipped);
    const all = await exact(q, '', []);
    wanted += all.size;
    let start = performance.now();
    const approx = (await store.searchVector(q, {}, 10)).map((c) => c.chunkId);
    storeMs.push(performance.now() - start);
    found.store += approx.filter((id) => all.has(id)).length;
    const user = note.userId;
    const mine = await exact(q, ' AND user_id = $2', [user]);
    wantedScoped += mine.size;
    start = performance.now();
    const scoped = (await store.searchVector(q, { userId: user }, 10)).map((c) => c.chunkId);
    scopedMs.push(performance.now() - start);
    found.store_scoped_user += scoped.filter((id) => mine.has(id)).length;
    for (const ef of efs) {
      const ids = await inTransaction(
        [`SET LOCAL hnsw.ef_search = ${ef}`],
        `SELECT id FROM ${SCHEMA}.search_chunks WHERE model_key = ${key}
         ORDER BY ${indexed} OPERATOR(public.<=>) $1::${indexedType} LIMIT 10`,
        [`[${q.join(',')}]`],
      );
      found[`ef_search_${ef}`] += ids.filter((row) => all.has(Number(row.id))).length;
    }
    for (const [name, ef, mode] of scopedRows) {
      // The bench's client has pgvector's default (iterative scans off): set as the store's are.
      const ids = await inTransaction(
        [`SET LOCAL hnsw.ef_search = ${ef}`, `SET LOCAL hnsw.iterative_scan = ${mode}`],
        `SELECT id FROM ${SCHEMA}.search_chunks WHERE model_key = ${key} AND user_id = $2
         ORDER BY ${indexed} OPERATOR(public.<=>) $1::${indexedType} LIMIT 10`,
        [`[${q.join(',')}]`, user],
        scopedMsOf[name],
      );
      found[name] += ids.filter((row) => mine.has(Number(row.id))).length;
    }
  }
  return {
    ...Object.fromEntries(
      Object.entries(found).map(([name, n]) => [
        name,
        round(n / (name === 'store_scoped_user' || name.startsWith('scoped_') ? wantedScoped : wanted)),
      ]),
    ),
    ...Object.fromEntries(scopedRows.map(([name]) => [`${name}_p50_ms`, p50(scopedMsOf[name])])),
    zero_vector_queries_skipped: skipped.count,
    store_k10_p50_ms: p50(storeMs),
    store_scoped_user_k10_p50_ms: p50(scopedMs),
  };
}
