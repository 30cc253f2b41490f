#!/usr/bin/env node
// HNSW build parameters against recall and query time on pg-search.mjs's corpus: its first
// --chunks chunk vectors (the 256-dimension deterministic embedder, or --embedder's) copied into a scratch table
// (no text, no other index), then for each --params m:ef_construction an index over halfvec built
// as a bulk load builds it (maintenance_work_mem, parallel workers), its build time and size, and
// recall@10 against exact search (a sequential scan by the full-precision distance) with the
// p50 of the approximate search at each --ef value; and the recall of an exact search over halfvec
// (the index's precision) against the full-precision one. The same queries as pg-search.mjs's recall.
// Usage: node bench/pg-hnsw-params.mjs [--chunks 100000] [--params 16:64,24:128,32:128]
//   [--ef 100,200,400] [--queries 100] [--corpus uniform|topics|docs] [--embedder deterministic|static]
//   (needs `npm run build` and pgvector; --corpus and --embedder as in pg-search.mjs)
import { createRequire } from 'node:module';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { seededRandom } from '@oxydra/testkit';
import { chunkText } from '../packages/memory/dist/retrieval/index.js';
import { openEmbedder } from './bench-embedder.mjs';
import { openCorpus, recallQuery } from './search-corpus.mjs';
import { percentile } from './stats.mjs';

const pg = createRequire(new URL('../packages/store-postgres/package.json', import.meta.url))('pg');
const { values } = parseArgs({
  options: {
    chunks: { type: 'string', default: '100000' },
    params: { type: 'string', default: '16:64,24:128,32:128' },
    ef: { type: 'string', default: '100,200,400' },
    queries: { type: 'string', default: '100' },
    workers: { type: 'string', default: '1' },
    corpus: { type: 'string', default: 'uniform' },
    embedder: { type: 'string', default: 'deterministic' },
  },
});
const CHUNKS = Number(values.chunks);
const PARAMS = values.params.split(',').map((p) => p.split(':').map(Number));
const EFS = values.ef.split(',').map(Number);
const QUERIES = Number(values.queries);
const USERS = 10;
const ADMIN_URL = process.env.OXYDRA_BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const round = (x, d = 3) => Math.round(x * 10 ** d) / 10 ** d;
const load = () => loadavg().map((x) => round(x, 1));
const text = (v) => `[${v.join(',')}]`;

const embedder = await openEmbedder(values.embedder, values.corpus);
const DIMS = embedder.dimensions;
const corpus = await openCorpus(values.corpus, 42);
const notes = [];
const pieces = [];
while (pieces.length < CHUNKS) {
  const note = corpus.note();
  notes.push({ ...note, userId: `user-${notes.length % USERS}` });
  for (const c of chunkText(note.content)) pieces.push(c.text);
}
const admin = new pg.Client({ connectionString: ADMIN_URL });
await admin.connect();
const database = `oxydra_bench_hnsw_${process.pid}`;
await admin.query(`CREATE DATABASE ${database}`);
const url = new URL(ADMIN_URL);
url.pathname = `/${database}`;
const client = new pg.Client({ connectionString: url.href });
const results = [];
const skipped = { count: 0 };
let halfvecExactRecall;
try {
  await client.connect();
  await client.query('CREATE EXTENSION vector');
  await client.query(`CREATE TABLE t (id serial PRIMARY KEY, v vector(${DIMS}))`);
  for (let i = 0; i < pieces.length; i += 1000) {
    const vectors = await embedder.embed(pieces.slice(i, i + 1000));
    await client.query('INSERT INTO t (v) SELECT v::vector FROM unnest($1::text[]) AS v', [
      vectors.map(text),
    ]);
  }
  await client.query('VACUUM ANALYZE t');
  const random = seededRandom(11);
  const queries = [];
  for (let i = 0; i < QUERIES; i++)
    queries.push(text((await recallQuery(embedder, notes, random, skipped)).vector));
  await client.query('SET enable_indexscan = off');
  const exact = [];
  for (const q of queries) {
    const { rows } = await client.query('SELECT id FROM t ORDER BY v <=> $1::vector, id LIMIT 10', [q]);
    exact.push(new Set(rows.map((r) => r.id)));
  }
  // The ceiling the halfvec index puts on recall, whatever the graph: the exact top 10 by the
  // half-precision distance (a sequential scan too) against the full-precision one. Where
  // neighbours lie close together, rounding to halfvec reorders them.
  let halfFound = 0;
  let halfWanted = 0;
  for (const [i, q] of queries.entries()) {
    const { rows } = await client.query(
      `SELECT id FROM t ORDER BY v::halfvec(${DIMS}) <=> $1::halfvec(${DIMS}), id LIMIT 10`,
      [q],
    );
    halfFound += rows.filter((r) => exact[i].has(r.id)).length;
    halfWanted += exact[i].size;
  }
  halfvecExactRecall = round(halfFound / halfWanted);
  process.stderr.write(`exact search over halfvec: recall@10 ${halfvecExactRecall}\n`);
  await client.query('RESET enable_indexscan');
  await client.query("SET hnsw.iterative_scan = 'strict_order'");
  for (const [m, efc] of PARAMS) {
    await client.query("SET maintenance_work_mem = '1GB'");
    await client.query(`SET max_parallel_maintenance_workers = ${Number(values.workers)}`);
    const loadBefore = load();
    const start = performance.now();
    await client.query(
      `CREATE INDEX t_hnsw ON t USING hnsw ((v::halfvec(${DIMS})) halfvec_cosine_ops) WITH (m = ${m}, ef_construction = ${efc})`,
    );
    const build = round((performance.now() - start) / 1000, 1);
    const { rows: size } = await client.query("SELECT pg_relation_size('t_hnsw') AS b");
    const result = {
      m,
      ef_construction: efc,
      build_s: build,
      index_mb: round(size[0].b / 2 ** 20, 1),
      load_before: loadBefore,
      load_after: load(),
      ef: {},
    };
    for (const ef of EFS) {
      await client.query(`SET hnsw.ef_search = ${ef}`);
      let found = 0;
      let wanted = 0;
      const ms = [];
      for (const [i, q] of queries.entries()) {
        const t0 = performance.now();
        const { rows } = await client.query(
          `SELECT id FROM t ORDER BY v::halfvec(${DIMS}) <=> $1::halfvec(${DIMS}) LIMIT 10`,
          [q],
        );
        ms.push(performance.now() - t0);
        found += rows.filter((r) => exact[i].has(r.id)).length;
        wanted += exact[i].size;
      }
      result.ef[ef] = {
        recall_at_10: round(found / wanted),
        p50_ms: round(
          percentile(
            ms.sort((a, b) => a - b),
            50,
          ),
          2,
        ),
      };
    }
    process.stderr.write(`${JSON.stringify(result)}\n`);
    results.push(result);
    await client.query('DROP INDEX t_hnsw');
  }
} finally {
  await client.end().catch(() => {});
  await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
  await admin.end();
}
process.stdout.write(
  `${JSON.stringify({ benchmark: 'pg-hnsw-params', corpus: values.corpus, ...(corpus.source ? { corpus_source: corpus.source } : {}), embedder: embedder.modelId, chunks: CHUNKS, dimensions: DIMS, queries: QUERIES, zero_vector_queries_skipped: skipped.count, halfvec_exact_recall_at_10: halfvecExactRecall, results }, null, 2)}\n`,
);
