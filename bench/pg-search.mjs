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
// Each job is a module of bench/pg-search/: ingest, sides (each side alone, and --sides-ab),
// recall, storage (sizes and PostgreSQL's memory), run-postgres and run-libsql; shared.mjs is what
// they share.
import { parseArgs } from 'node:util';
import { chunkText } from '../packages/memory/dist/retrieval/index.js';
import { openEmbedder } from './bench-embedder.mjs';
import { runLibsql } from './pg-search/run-libsql.mjs';
import { runPostgres } from './pg-search/run-postgres.mjs';
import { round, TOP_K } from './pg-search/shared.mjs';
import { openCorpus } from './search-corpus.mjs';

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
// The embedder first: a bad --embedder or --corpus fails before any work.
const embedder = await openEmbedder(values.embedder, values.corpus);
const DIMS = embedder.dimensions;
/** Notes are saved for USERS users in turn: a search scoped to one sees 1/USERS of the chunks. */
const USERS = Number(values.users);
if (!Number.isInteger(USERS) || USERS <= 0) throw new Error(`bad --users ${values.users}`);
const ADMIN_URL = process.env.OXYDRA_BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

const corpus = await openCorpus(values.corpus, 42);
const notes = [];
const cuts = [];
for (let chunks = 0; cuts.length < SIZES.length; ) {
  const note = corpus.note();
  notes.push({ ...note, userId: `user-${notes.length % USERS}` });
  chunks += chunkText(note.content).length;
  if (chunks >= SIZES[cuts.length]) cuts.push({ chunks, notes: notes.length });
}
const options = {
  adminUrl: ADMIN_URL,
  dims: DIMS,
  ingest: INGEST,
  queries: QUERIES,
  recallQueries: RECALL_QUERIES,
  scopedRows: SCOPED_ROWS,
  sidesAb: values['sides-ab'],
  database: values.database,
};
const postgres = await runPostgres(notes, embedder, cuts, options);
const largest = postgres.sizes.at(-1);
const libsql = values['skip-libsql'] ? undefined : await runLibsql(notes, embedder, options);
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
