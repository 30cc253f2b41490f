#!/usr/bin/env node
// The PostgreSQL search index (PostgresSearchIndex: pgvector HNSW + tsvector) at scale, through
// the real Retriever as the kernel uses it: notes are indexed in bulk as a store copy's reindex
// does (one bulkLoad: the HNSW index dropped, indexNotes writing chunks with the deterministic
// 256-dim embedder, replaceSources per ~128 chunks, then the index built once), or one by one
// as saving a note does (--ingest note: replaceSource, the index kept up row by row), into a scratch
// database made for the run and dropped after, then hybrid searches run (the query embedded, both candidate lists, the chunks
// fetched). Corpus and queries are bench/memory.mjs's (bench/search-corpus.mjs); each note is
// saved for one of USERS users (--users, 10 unless told), so a search scoped to a user sees a tenth of the chunks.
//
// The index grows through each of --sizes in turn (the same notes, one database): at each size,
// the ingest rate of the chunks added since the previous size, hybrid query p50/p95 and hit@8
// (unscoped, and scoped to the query's note's user as a deployment searches: hybrid_scoped_user),
// each side's p50 alone (the vector side also scoped), HNSW recall@10 against exact search
// (brute-force distance over the same chunks in the same scope: the same WHERE with index scans
// off), unscoped and scoped to a user, for the store's own ef_search and a few others (tuning;
// scoped at each --scoped-ef, with that statement's p50); the table's and each index's size,
// PostgreSQL's memory (shared_buffers, how much of the index it holds, the bench's backends'
// resident memory) and node's RSS. Unless --skip-libsql, the libSQL index (bench/memory.mjs's
// chosen method) ingests and answers the largest size in the same run, for ratios.
// Targets: >= 1,000 chunks/s ingest, hybrid p50 <= 15 ms at 100k, recall@10 >= 0.95.
// --sides-ab: at each size also the hybrid queries with the two sides in one statement and on two
// connections at once (stores opened with hybridSidesApartFrom Infinity and 0), in the order
// one, apart, apart, one: where the store's SIDES_APART_FROM comes from (docs/postgres.md).
// Usage: node bench/pg-search.mjs [--sizes 20000,50000,100000] [--queries 200]
//   [--recall-queries 100] [--skip-libsql] [--ingest bulk|note] [--corpus uniform|topics|docs]
//   [--embedder deterministic|static] [--sides-ab] [--database NAME] [--scoped-ef 200,400,800]
//   [--scoped-scan strict_order,relaxed_order] [--users 10]
//   (--database: load into database NAME and keep it after the run; when NAME already holds the
//   loaded index, skip the load and measure it again, so query variants can be compared on one
//   database without reloading: one size only, and the same --corpus/--embedder/--sizes/--users)
//   (--chunks N is --sizes N; --corpus: bench/search-corpus.mjs's openCorpus, docs being real English
//   text, bench/docs-corpus.mjs; --embedder: bench/bench-embedder.mjs, static being a GloVe word-vector
//   model read by the product's model2vec embedder, static needing --corpus docs; needs
//   `npm run build` and pgvector; OXYDRA_BENCH_POSTGRES_URL names a database to connect to first,
//   default postgres://postgres@127.0.0.1:5432/postgres, whose role may create and drop databases)
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { seededRandom } from '@oxydra/testkit';
import { chunkText, Retriever } from '../packages/memory/dist/retrieval/index.js';
import { openDatabase } from '../packages/memory/dist/store/libsql/db.js';
import { migrate } from '../packages/memory/dist/store/libsql/migrate.js';
import { openPostgresStores } from '../packages/store-postgres/dist/index.js';
import { openEmbedder } from './bench-embedder.mjs';
import { measureQueries, openCorpus, queryFor, recallQuery } from './search-corpus.mjs';
import { percentile } from './stats.mjs';

// pg as @oxydra/store-postgres has it (the bench's admin connection and its exact scans).
const pg = createRequire(new URL('../packages/store-postgres/package.json', import.meta.url))('pg');

const { values } = parseArgs({
  options: {
    sizes: { type: 'string', default: '20000,50000,100000' },
    chunks: { type: 'string' },
    queries: { type: 'string', default: '200' },
    'recall-queries': { type: 'string', default: '100' },
    'skip-libsql': { type: 'boolean', default: false },
    ingest: { type: 'string', default: 'bulk' },
    corpus: { type: 'string', default: 'uniform' },
    embedder: { type: 'string', default: 'deterministic' },
    'sides-ab': { type: 'boolean', default: false },
    database: { type: 'string' },
    'scoped-ef': { type: 'string', default: '200,400,800' },
    'scoped-scan': { type: 'string', default: 'strict_order' },
    users: { type: 'string', default: '10' },
  },
});
const SIZES = (values.chunks ?? values.sizes)
  .split(',')
  .map(Number)
  .sort((a, b) => a - b);
if (SIZES.some((n) => !Number.isInteger(n) || n <= 0)) throw new Error(`bad --sizes ${values.sizes}`);
if (values.ingest !== 'bulk' && values.ingest !== 'note')
  throw new Error(`bad --ingest ${values.ingest}: bulk or note`);
const INGEST = values.ingest;
/** Notes per indexNotes call in bulk mode (the retriever writes them in batches of ~128 chunks). */
const BULK_NOTES = 1000;
/** Linux's USER_HZ: /proc/<pid>/stat counts CPU time in these. */
const CLOCK_TICKS = 100;
const QUERIES = Number(values.queries);
/** ef_search values at which the recall rows also run a search scoped to a user, and time it. */
const SCOPED_EFS = values['scoped-ef'].split(',').map(Number);
if (SCOPED_EFS.some((n) => !Number.isInteger(n) || n <= 0))
  throw new Error(`bad --scoped-ef ${values['scoped-ef']}`);
/** hnsw.iterative_scan modes of those rows: strict_order (the store's), relaxed_order. */
const SCOPED_SCANS = values['scoped-scan'].split(',');
if (SCOPED_SCANS.some((mode) => mode !== 'strict_order' && mode !== 'relaxed_order'))
  throw new Error(`bad --scoped-scan ${values['scoped-scan']}: strict_order and/or relaxed_order`);
/** The scoped rows: [name, ef_search, iterative scan mode]. */
const SCOPED_ROWS = SCOPED_SCANS.flatMap((mode) =>
  SCOPED_EFS.map((ef) => [`scoped_${mode === 'strict_order' ? '' : 'relaxed_'}ef_search_${ef}`, ef, mode]),
);
const RECALL_QUERIES = Number(values['recall-queries']);
const TOP_K = 8;
// The embedder first: a bad --embedder or --corpus fails before any work.
const embedder = await openEmbedder(values.embedder, values.corpus);
const DIMS = embedder.dimensions;
/** Notes are saved for USERS users in turn: a search scoped to one sees 1/USERS of the chunks. */
const USERS = Number(values.users);
if (!Number.isInteger(USERS) || USERS <= 0) throw new Error(`bad --users ${values.users}`);
const SCHEMA = 'bench';
const ADMIN_URL = process.env.OXYDRA_BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const round = (x, d = 3) => Math.round(x * 10 ** d) / 10 ** d;
const mb = (bytes) => round(Number(bytes) / 2 ** 20, 1);
const p50 = (samples) =>
  round(
    percentile(
      [...samples].sort((a, b) => a - b),
      50,
    ),
  );

/** CPU ms used so far by the PostgreSQL backends serving `database` (undefined: not readable). */
async function backendsCpuMs(client) {
  const { rows } = await client.query('SELECT pid FROM pg_stat_activity WHERE datname = current_database()');
  let ms = 0;
  for (const { pid } of rows) {
    try {
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
      ms += ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
    } catch {
      return undefined;
    }
  }
  return ms;
}

/**
 * Indexes `notes` through `retriever`: one at a time as the kernel does when a note is saved
 * (--ingest note), or in bulk as a copy's reindex does (--ingest bulk: one bulkLoad around
 * indexNotes calls, a batch of about 128 chunks per write, then the HNSW build: index_build_s).
 * Where the time went: node's CPU (chunking, embedding, the driver) and, one note at a time, the
 * CPU of this database's backends (tsvector, GIN and HNSW inserts) over the wall time (backends
 * that come and go meanwhile are missed; the pool keeps its connections).
 */
async function ingest(client, retriever, notes) {
  const pgBefore = client ? await backendsCpuMs(client) : undefined;
  const nodeBefore = process.cpuUsage();
  const start = performance.now();
  let chunks = 0;
  let written;
  if (INGEST === 'bulk') {
    // As `oxydra store copy` indexes a copy: one bulk load (the HNSW index built once after).
    await retriever.bulkLoad(async () => {
      for (let i = 0; i < notes.length; i += BULK_NOTES)
        chunks += (await retriever.indexNotes(notes.slice(i, i + BULK_NOTES))).chunks;
      written = performance.now();
    });
  } else {
    for (const note of notes) chunks += (await retriever.indexNote(note)).chunks;
  }
  const seconds = (performance.now() - start) / 1000;
  const node = process.cpuUsage(nodeBefore);
  const pgAfter = client ? await backendsCpuMs(client) : undefined;
  const perChunk = (ms) => (ms === undefined ? undefined : round(ms / chunks));
  return {
    mode: INGEST,
    chunks,
    seconds: round(seconds, 1),
    ...(written === undefined ? {} : { index_build_s: round((start + seconds * 1000 - written) / 1000, 1) }),
    chunks_per_s: Math.round(chunks / seconds),
    cpu_ms_per_chunk: {
      node: perChunk((node.user + node.system) / 1000),
      // Not in bulk: the load's own session and the build's parallel workers are gone by the end.
      postgres: perChunk(
        INGEST === 'bulk' || pgAfter === undefined || pgBefore === undefined ? undefined : pgAfter - pgBefore,
      ),
      wall: perChunk(seconds * 1000),
    },
  };
}

/**
 * p50 of each side alone, as the retriever asks it (topK × 4 candidates, no scope), and of the
 * vector side scoped to the query's note's user (vector_scoped_user_p50_ms).
 */
async function sides(store, embedder, notes) {
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
async function recall(client, store, embedder, notes, key) {
  const random = seededRandom(11);
  const vector = `public.vector(${DIMS})`;
  const { rows: defs } = await client.query(
    `SELECT pg_get_indexdef(i.indexrelid, 1, true) AS expr FROM pg_index i
     JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = $1 AND c.relname LIKE 'search_chunks_hnsw%' AND pg_get_indexdef(i.indexrelid) LIKE $2`,
    [SCHEMA, `%model_key = ${key})`],
  );
  if (defs.length !== 1) throw new Error(`expected one HNSW index for model ${key}, found ${defs.length}`);
  const indexed = defs[0].expr.startsWith('(') ? defs[0].expr : `(${defs[0].expr})`;
  const indexedType = /halfvec/.test(indexed) ? `public.halfvec(${DIMS})` : vector;
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
    `[${new Array(DIMS).fill(0.1)}]`,
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
    ...Object.fromEntries(SCOPED_ROWS.map(([name]) => [name, 0])),
  };
  const scopedMsOf = Object.fromEntries(SCOPED_ROWS.map(([name]) => [name, []]));
  let wanted = 0;
  let wantedScoped = 0;
  const storeMs = [];
  const scopedMs = [];
  const skipped = { count: 0 };
  for (let i = 0; i < RECALL_QUERIES; i++) {
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
    for (const [name, ef, mode] of SCOPED_ROWS) {
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
    ...Object.fromEntries(SCOPED_ROWS.map(([name]) => [`${name}_p50_ms`, p50(scopedMsOf[name])])),
    zero_vector_queries_skipped: skipped.count,
    store_k10_p50_ms: p50(storeMs),
    store_scoped_user_k10_p50_ms: p50(scopedMs),
  };
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

/** kB of a /proc/<pid>/smaps_rollup field, or undefined (another machine, no permission). */
function smaps(pid, field) {
  try {
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(
      readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'),
    );
    return match ? Number(match[1]) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * PostgreSQL's memory: shared_buffers, how many MB of the search tables and indexes are in it
 * (pg_buffercache, when the server has it), and the resident memory of this database's backends
 * (RSS counts the shared buffers each has touched; PSS shares them out), read from /proc when
 * the server runs on this machine.
 */
async function postgresMemory(client) {
  const setting = async (name) =>
    (await client.query('SELECT setting::bigint * 8192 AS bytes FROM pg_settings WHERE name = $1', [name]))
      .rows[0]?.bytes;
  const memory = { shared_buffers_mb: mb(await setting('shared_buffers')) };
  try {
    await client.query('CREATE EXTENSION IF NOT EXISTS pg_buffercache');
    const { rows } = await client.query(
      `SELECT c.relname AS name, count(*) * 8192 AS bytes FROM pg_buffercache b
       JOIN pg_class c ON b.relfilenode = pg_relation_filenode(c.oid)
       JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE b.reldatabase = (SELECT oid FROM pg_database WHERE datname = current_database())
         AND n.nspname = $1 AND c.relname LIKE 'search_chunks%'
       GROUP BY c.relname`,
      [SCHEMA],
    );
    memory.in_shared_buffers_mb = Object.fromEntries(rows.map((row) => [row.name, mb(row.bytes)]));
  } catch {
    memory.in_shared_buffers_mb = 'pg_buffercache not available';
  }
  const { rows } = await client.query('SELECT pid FROM pg_stat_activity WHERE datname = current_database()');
  const rss = rows.map((row) => smaps(row.pid, 'Rss'));
  const pss = rows.map((row) => smaps(row.pid, 'Pss'));
  if (rss.every((kb) => kb !== undefined)) {
    memory.backends = rows.length;
    memory.backends_rss_mb = mb(rss.reduce((a, b) => a + b, 0) * 1024);
    memory.backends_pss_mb = mb(pss.reduce((a, b) => a + (b ?? 0), 0) * 1024);
  }
  return memory;
}

/** Hybrid query p50s with the sides in one statement and apart, rounds in the order one, apart, apart, one. */
async function sidesApartOrNot(url, embedder, seen) {
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
      const store = opened[way].searchIndex({ id: embedder.modelId, dimensions: DIMS });
      const retriever = new Retriever(store, embedder, { topK: TOP_K });
      const measured = await measureQueries(retriever, seen, seededRandom(7), {
        queries: QUERIES,
        topK: TOP_K,
      });
      p50s[way].push(measured.query_p50_ms);
    }
  } finally {
    for (const stores of Object.values(opened)) await stores.close();
  }
  return { query_p50_ms: p50s };
}

async function runPostgres(notes, embedder, cuts) {
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  const kept = values.database;
  if (kept !== undefined && (!/^[a-z_][a-z0-9_]*$/.test(kept) || cuts.length !== 1))
    throw new Error(`--database ${kept}: a lowercase SQL name, with one size`);
  const database = kept ?? `oxydra_bench_${process.pid}`;
  const exists =
    kept !== undefined &&
    (await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [kept])).rows.length > 0;
  if (!exists) await admin.query(`CREATE DATABASE ${database}`);
  const url = new URL(ADMIN_URL);
  url.pathname = `/${database}`;
  const stores = await openPostgresStores({ url: url.href, schema: SCHEMA });
  const client = new pg.Client({ connectionString: url.href });
  try {
    await client.connect();
    const store = stores.searchIndex({ id: embedder.modelId, dimensions: DIMS });
    const retriever = new Retriever(store, embedder, { topK: TOP_K });
    const { rows: version } = await client.query(
      "SELECT extversion FROM pg_extension WHERE extname = 'vector'",
    );
    const results = [];
    let from = 0;
    for (const cut of cuts) {
      // A kept database already holds this size's notes (the same seed, corpus and sizes).
      const ingested = exists ? 'reused' : await ingest(client, retriever, notes.slice(from, cut.notes));
      from = cut.notes;
      const rssAfterIngest = mb(process.memoryUsage().rss);
      // What autovacuum would soon do on a live database: planner statistics for the new rows.
      const analyzeStart = performance.now();
      if (!exists) await client.query(`VACUUM ANALYZE ${SCHEMA}.search_chunks`);
      const analyzeSeconds = round((performance.now() - analyzeStart) / 1000, 1);
      const seen = notes.slice(0, cut.notes);
      const queries = await measureQueries(retriever, seen, seededRandom(7), {
        queries: QUERIES,
        topK: TOP_K,
      });
      // As a deployment searches: each query for its note's user (a tenth of the chunks).
      const scopedQueries = await measureQueries(retriever, seen, seededRandom(7), {
        queries: QUERIES,
        topK: TOP_K,
        scoped: true,
      });
      const bySide = await sides(store, embedder, seen);
      const sidesAb = values['sides-ab'] ? await sidesApartOrNot(url.href, embedder, seen) : undefined;
      const { rows } = await client.query(`SELECT key FROM ${SCHEMA}.search_models WHERE model_id = $1`, [
        embedder.modelId,
      ]);
      const recallAt10 = await recall(client, store, embedder, seen, rows[0].key);
      const result = {
        chunks: cut.chunks,
        notes: cut.notes,
        ingest: ingested,
        vacuum_analyze_s: analyzeSeconds,
        hybrid: queries,
        hybrid_scoped_user: scopedQueries,
        ...bySide,
        ...(sidesAb ? { hybrid_sides: sidesAb } : {}),
        recall_at_10_vs_exact: recallAt10,
        postgres_memory: await postgresMemory(client),
        node_rss_mb: { after_ingest: rssAfterIngest, after_queries: mb(process.memoryUsage().rss) },
        sizes: await sizes(client),
        load_average: loadavg().map((x) => round(x, 1)),
      };
      process.stderr.write(`postgres @${cut.chunks}: ${JSON.stringify(result)}\n`);
      results.push(result);
    }
    return { pgvector: version[0]?.extversion, sizes: results };
  } finally {
    await client.end().catch(() => {});
    await stores.close();
    if (kept === undefined) await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    await admin.end();
  }
}

async function runLibsql(notes, embedder) {
  const dir = mkdtempSync(join(tmpdir(), 'oxydra-bench-pg-search-'));
  const client = await openDatabase({ path: join(dir, 'memory.db') });
  try {
    await migrate(client);
    const retriever = new Retriever(client, embedder, { topK: TOP_K });
    const ingested = await ingest(undefined, retriever, notes);
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

const corpus = await openCorpus(values.corpus, 42);
const notes = [];
const cuts = [];
for (let chunks = 0; cuts.length < SIZES.length; ) {
  const note = corpus.note();
  notes.push({ ...note, userId: `user-${notes.length % USERS}` });
  chunks += chunkText(note.content).length;
  if (chunks >= SIZES[cuts.length]) cuts.push({ chunks, notes: notes.length });
}
const postgres = await runPostgres(notes, embedder, cuts);
const largest = postgres.sizes.at(-1);
const libsql = values['skip-libsql'] ? undefined : await runLibsql(notes, embedder);
process.stdout.write(
  `${JSON.stringify(
    {
      benchmark: 'pg-search',
      node: process.version,
      sizes: SIZES,
      corpus: values.corpus,
      ...(corpus.source ? { corpus_source: corpus.source } : {}),
      embedder: embedder.modelId,
      dimensions: DIMS,
      top_k: TOP_K,
      queries: QUERIES,
      recall_queries: RECALL_QUERIES,
      targets: '>= 1000 chunks/s ingest, hybrid p50 <= 15 ms at 100k chunks, HNSW recall@10 >= 0.95',
      postgres,
      meets_targets_at_largest: {
        chunks: largest.chunks,
        ingest_ok: largest.ingest === 'reused' ? 'reused' : largest.ingest.chunks_per_s >= 1000,
        query_p50_ok: largest.hybrid.query_p50_ms <= 15,
        recall_ok: largest.recall_at_10_vs_exact.store >= 0.95,
        recall_scoped_ok: largest.recall_at_10_vs_exact.store_scoped_user >= 0.95,
      },
      ...(libsql
        ? {
            libsql,
            ratio_postgres_to_libsql: {
              ingest_chunks_per_s: round(largest.ingest.chunks_per_s / libsql.ingest.chunks_per_s, 2),
              hybrid_p50: round(largest.hybrid.query_p50_ms / libsql.hybrid.query_p50_ms, 2),
            },
          }
        : {}),
    },
    null,
    2,
  )}\n`,
);
