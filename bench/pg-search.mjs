#!/usr/bin/env node
// The PostgreSQL search index (PostgresSearchIndex: pgvector HNSW + tsvector) at scale, through
// the real Retriever as the kernel uses it: notes are indexed one by one (chunking, the
// deterministic 256-dim embedder, replaceSource) into a scratch database made for the run and
// dropped after, then hybrid searches run (the query embedded, both candidate lists, the chunks
// fetched). Corpus and queries are bench/memory.mjs's (bench/search-corpus.mjs).
//
// Reports: ingest chunks/s; hybrid query p50/p95 and hit@8; each side's p50 alone; HNSW
// recall@10 against an exact scan (the same ORDER BY with index scans off) for the store's own
// ef_search and for a few others (tuning); node's RSS; the table's and each index's size. Unless
// --skip-libsql, the libSQL index (bench/memory.mjs's chosen method) ingests and answers the same
// corpus and queries in the same run, for ratios.
// Targets: >= 1,000 chunks/s ingest, hybrid p50 <= 15 ms at 100k chunks, recall@10 >= 0.95.
// Usage: node bench/pg-search.mjs [--chunks 100000] [--queries 200] [--recall-queries 100]
//   [--skip-libsql]   (needs `npm run build` and pgvector; OXYDRA_BENCH_POSTGRES_URL names a
//   database to connect to first, default postgres://postgres@127.0.0.1:5432/postgres, whose
//   role may create and drop databases)
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { seededRandom } from '@oxydra/testkit';
import { createDeterministicEmbedder } from '../packages/memory/dist/embedders/deterministic.js';
import { chunkText, Retriever } from '../packages/memory/dist/retrieval/index.js';
import { openDatabase } from '../packages/memory/dist/store/libsql/db.js';
import { migrate } from '../packages/memory/dist/store/libsql/migrate.js';
import { openPostgresStores } from '../packages/store-postgres/dist/index.js';
import { makeCorpus, measureQueries, queryFor } from './search-corpus.mjs';
import { percentile } from './stats.mjs';

// pg as @oxydra/store-postgres has it (the bench's admin connection and its exact scans).
const pg = createRequire(new URL('../packages/store-postgres/package.json', import.meta.url))('pg');

const { values } = parseArgs({
  options: {
    chunks: { type: 'string', default: '100000' },
    queries: { type: 'string', default: '200' },
    'recall-queries': { type: 'string', default: '100' },
    'skip-libsql': { type: 'boolean', default: false },
  },
});
const CHUNKS = Number(values.chunks);
const QUERIES = Number(values.queries);
const RECALL_QUERIES = Number(values['recall-queries']);
const TOP_K = 8;
const DIMS = 256;
const SCHEMA = 'bench';
const ADMIN_URL = process.env.OXYDRA_BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const round = (x, d = 3) => Math.round(x * 10 ** d) / 10 ** d;
const mb = (bytes) => round(Number(bytes) / 2 ** 20, 1);

/** Indexes notes through `retriever` until the corpus holds CHUNKS chunks; the same notes for every index. */
async function ingest(retriever, notes) {
  const start = performance.now();
  let chunks = 0;
  for (const note of notes) {
    await retriever.indexNote(note);
    chunks += chunkText(note.content).length;
  }
  const seconds = (performance.now() - start) / 1000;
  return { chunks, seconds: round(seconds, 1), chunks_per_s: Math.round(chunks / seconds) };
}

/** p50 of each side alone, as the retriever asks it (topK × 4 candidates, no scope). */
async function sides(store, embedder, notes) {
  const random = seededRandom(13);
  const text = [];
  const vector = [];
  for (let i = 0; i < 100; i++) {
    const query = queryFor(notes[Math.floor(random() * notes.length)], random).text;
    const [q] = await embedder.embed([query]);
    let start = performance.now();
    await store.searchVector(q, {}, TOP_K * 4);
    vector.push(performance.now() - start);
    start = performance.now();
    await store.searchText(query, {}, TOP_K * 4);
    text.push(performance.now() - start);
  }
  const p50 = (samples) =>
    round(
      percentile(
        [...samples].sort((a, b) => a - b),
        50,
      ),
    );
  return { vector_p50_ms: p50(vector), text_p50_ms: p50(text) };
}

/**
 * recall@10 of the HNSW search against the exact top 10 (the same ORDER BY with index scans off:
 * a sequential scan computing every distance). `store` is the store's own searchVector (its
 * ef_search); the ef_search_<n> rows run the same query with that ef_search, for tuning.
 */
async function recall(client, store, embedder, notes, key) {
  const random = seededRandom(11);
  const column = `(embedding::public.vector(${DIMS}))`;
  const nearest = async (vector, settings) => {
    await client.query('BEGIN');
    try {
      await client.query(settings);
      const { rows } = await client.query(
        `SELECT id FROM ${SCHEMA}.search_chunks WHERE model_key = ${key}
         ORDER BY ${column} OPERATOR(public.<=>) $1::public.vector(${DIMS}) LIMIT 10`,
        [`[${vector.join(',')}]`],
      );
      return rows.map((row) => Number(row.id));
    } finally {
      await client.query('COMMIT');
    }
  };
  const efs = [40, 100, 200, 400];
  const found = { store: 0, ...Object.fromEntries(efs.map((ef) => [`ef_search_${ef}`, 0])) };
  let wanted = 0;
  for (let i = 0; i < RECALL_QUERIES; i++) {
    const [q] = await embedder.embed([queryFor(notes[Math.floor(random() * notes.length)], random).text]);
    const exact = new Set(await nearest(q, 'SET LOCAL enable_indexscan = off'));
    wanted += exact.size;
    const approx = (await store.searchVector(q, {}, 10)).map((c) => c.chunkId);
    found.store += approx.filter((id) => exact.has(id)).length;
    for (const ef of efs) {
      const ids = await nearest(q, `SET LOCAL hnsw.ef_search = ${ef}`);
      found[`ef_search_${ef}`] += ids.filter((id) => exact.has(id)).length;
    }
  }
  return Object.fromEntries(Object.entries(found).map(([name, n]) => [name, round(n / wanted)]));
}

async function sizes(client) {
  const { rows } = await client.query(
    `SELECT c.relname AS name, pg_relation_size(c.oid) AS bytes,
            pg_total_relation_size(c.oid) AS total
     FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = $1 AND c.relname LIKE 'search_chunks%'`,
    [SCHEMA],
  );
  const table = rows.find((row) => row.name === 'search_chunks');
  return {
    table_total_mb: mb(table.total),
    heap_mb: mb(table.bytes),
    ...Object.fromEntries(
      rows.filter((row) => row !== table).map((row) => [`${row.name}_mb`, mb(row.bytes)]),
    ),
  };
}

async function runPostgres(notes, embedder) {
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  const database = `oxydra_bench_${process.pid}`;
  await admin.query(`CREATE DATABASE ${database}`);
  const url = new URL(ADMIN_URL);
  url.pathname = `/${database}`;
  const stores = await openPostgresStores({ url: url.href, schema: SCHEMA });
  const client = new pg.Client({ connectionString: url.href });
  try {
    await client.connect();
    const store = stores.searchIndex({ id: embedder.modelId, dimensions: DIMS });
    const retriever = new Retriever(store, embedder, { topK: TOP_K });
    const ingested = await ingest(retriever, notes);
    const rssAfterIngest = mb(process.memoryUsage().rss);
    // What autovacuum would soon do on a live database: planner statistics for the new rows.
    const analyzeStart = performance.now();
    await client.query(`VACUUM ANALYZE ${SCHEMA}.search_chunks`);
    const analyzeSeconds = round((performance.now() - analyzeStart) / 1000, 1);
    const queries = await measureQueries(retriever, notes, seededRandom(7), {
      queries: QUERIES,
      topK: TOP_K,
    });
    const bySide = await sides(store, embedder, notes);
    const { rows } = await client.query(`SELECT key FROM ${SCHEMA}.search_models WHERE model_id = $1`, [
      embedder.modelId,
    ]);
    const recallAt10 = await recall(client, store, embedder, notes, rows[0].key);
    const { rows: version } = await client.query(
      "SELECT extversion FROM pg_extension WHERE extname = 'vector'",
    );
    return {
      pgvector: version[0]?.extversion,
      ingest: ingested,
      vacuum_analyze_s: analyzeSeconds,
      hybrid: queries,
      ...bySide,
      recall_at_10_vs_exact: recallAt10,
      node_rss_mb: { after_ingest: rssAfterIngest, after_queries: mb(process.memoryUsage().rss) },
      sizes: await sizes(client),
    };
  } finally {
    await client.end().catch(() => {});
    await stores.close();
    await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    await admin.end();
  }
}

async function runLibsql(notes, embedder) {
  const dir = mkdtempSync(join(tmpdir(), 'oxydra-bench-pg-search-'));
  const client = await openDatabase({ path: join(dir, 'memory.db') });
  try {
    await migrate(client);
    const retriever = new Retriever(client, embedder, { topK: TOP_K });
    const ingested = await ingest(retriever, notes);
    await retriever.search({ query: 'warm up', topK: TOP_K }); // loads the vector cache
    return {
      ingest: ingested,
      hybrid: await measureQueries(retriever, notes, seededRandom(7), { queries: QUERIES, topK: TOP_K }),
    };
  } finally {
    client.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const corpus = makeCorpus(42);
const notes = [];
for (let chunks = 0; chunks < CHUNKS; ) {
  const note = corpus.note();
  notes.push(note);
  chunks += chunkText(note.content).length;
}
const embedder = createDeterministicEmbedder({ dimensions: DIMS });
const postgres = await runPostgres(notes, embedder);
process.stderr.write(`postgres: ${JSON.stringify(postgres)}\n`);
const libsql = values['skip-libsql'] ? undefined : await runLibsql(notes, embedder);
process.stdout.write(
  `${JSON.stringify(
    {
      benchmark: 'pg-search',
      node: process.version,
      chunks: CHUNKS,
      notes: notes.length,
      dimensions: DIMS,
      top_k: TOP_K,
      queries: QUERIES,
      targets: '>= 1000 chunks/s ingest, hybrid p50 <= 15 ms at 100k chunks, HNSW recall@10 >= 0.95',
      postgres,
      meets_targets: {
        ingest_ok: postgres.ingest.chunks_per_s >= 1000,
        query_p50_ok: postgres.hybrid.query_p50_ms <= 15,
        recall_ok: postgres.recall_at_10_vs_exact.store >= 0.95,
      },
      ...(libsql
        ? {
            libsql,
            ratio_postgres_to_libsql: {
              ingest_chunks_per_s: round(postgres.ingest.chunks_per_s / libsql.ingest.chunks_per_s, 2),
              hybrid_p50: round(postgres.hybrid.query_p50_ms / libsql.hybrid.query_p50_ms, 2),
            },
          }
        : {}),
    },
    null,
    2,
  )}\n`,
);
