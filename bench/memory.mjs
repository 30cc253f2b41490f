#!/usr/bin/env node
// Memory retrieval at scale: notes are indexed through the real Retriever (chunking, the
// deterministic 256-dim embedder, one write transaction per note) into a fresh libSQL file,
// then hybrid searches run at each size. Reports, per size: ingest rate (chunks/s), hybrid query
// p50/p95, bytes on disk per chunk beyond its text, and hit@8 (the note a query was made from
// is among the 8 results) as a sanity check that speed was not bought with quality; for the
// chosen method also the recall of its approximate vector candidates against an exact scan.
// Targets: >= 1,000 chunks/s ingest, p50 <= 10 ms at 100k chunks, <= 4 KB per chunk beyond text.
//
// --compare also runs the vector methods that were not chosen, on the same corpus and the same
// chunks/FTS tables, differing only in how vectors are stored and searched:
//   libsql-index-float1bit / libsql-index-float8: libSQL's DiskANN index (libsql_vector_idx,
//     compressed neighbours, max_neighbors 16) queried with vector_top_k;
//   sql-brute-force: vector_distance_cos over every row, ORDER BY ... LIMIT.
// Usage: node bench/memory.mjs [--sizes 10000,100000] [--queries 200] [--compare] [--methods a,b]
//        [--root <another build>]
// (prints one JSON object; needs `npm run build`; the libSQL index at 100k takes minutes)
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { seededRandom } from '@oxydra/testkit';
import { makeCorpus, measureQueries, queryFor } from './search-corpus.mjs';

const { values } = parseArgs({
  options: {
    sizes: { type: 'string', default: '10000,100000' },
    queries: { type: 'string', default: '200' },
    compare: { type: 'boolean', default: false },
    methods: { type: 'string' },
    // Another build's packages (e.g. /work/base, main's build): an A/B in one session.
    root: { type: 'string', default: new URL('..', import.meta.url).pathname },
  },
});
const dist = (file) =>
  import(pathToFileURL(join(resolve(values.root), 'packages', 'memory', 'dist', file)).href);
const { createDeterministicEmbedder } = await dist('embedders/deterministic.js');
const { chunkText, contentHash, fuseScores, Retriever } = await dist('retrieval/index.js');
const { openDatabase } = await dist('store/libsql/db.js');
const { migrate } = await dist('store/libsql/migrate.js');
const { ftsCandidates } = await dist('store/libsql/search-index/fts-search.js');
const { VectorCache, vectorCandidates } = await dist('store/libsql/search-index/vector-cache.js');
const sizes = values.sizes.split(',').map(Number);
const queryCount = Number(values.queries);
const TOP_K = 8;
const DIMS = 256;

// --- Vector methods not chosen, over the same chunks and FTS tables. ---

const num = (value) => Number(value ?? 0);
const NO_FILTER = {
  includeNotes: true,
  includeConversation: true,
  userId: undefined,
  sessionId: undefined,
  tags: [],
};

class SqlVectorIndex {
  constructor(client, embedder, variant) {
    this.client = client;
    this.embedder = embedder;
    this.variant = variant;
  }

  async setup() {
    await this.client.execute(
      `CREATE TABLE alt_vectors (chunk_id INTEGER PRIMARY KEY, embedding F32_BLOB(${DIMS}))`,
    );
    if (this.variant !== 'brute') {
      await this.client.execute(
        `CREATE INDEX alt_vectors_idx ON alt_vectors (libsql_vector_idx(embedding, 'metric=cosine', 'compress_neighbors=${this.variant}', 'max_neighbors=16'))`,
      );
    }
  }

  async indexNote(note) {
    const pieces = chunkText(note.content);
    const vectors = await this.embedder.embed(pieces.map((p) => p.text));
    const createdAt = new Date().toISOString();
    const statements = [
      {
        sql: "DELETE FROM alt_vectors WHERE chunk_id IN (SELECT id FROM chunks WHERE source_type = 'note' AND source_id = ?)",
        args: [note.id],
      },
      { sql: "DELETE FROM chunks WHERE source_type = 'note' AND source_id = ?", args: [note.id] },
    ];
    pieces.forEach((piece, i) => {
      statements.push(
        {
          sql: `INSERT INTO chunks (source_type, source_id, ordinal, text, content_hash, tags, created_at)
                VALUES ('note', ?, ?, ?, ?, '[]', ?)`,
          args: [note.id, i, piece.text, contentHash(piece.text), createdAt],
        },
        {
          sql: 'INSERT INTO alt_vectors (chunk_id, embedding) VALUES (last_insert_rowid(), ?)',
          args: [blob(vectors[i])],
        },
      );
    });
    await this.client.batch(statements, 'write');
  }

  async search({ query }) {
    const candidates = TOP_K * 4;
    const [q] = await this.embedder.embed([query]);
    const vectorSql =
      this.variant === 'brute'
        ? 'SELECT chunk_id AS id, vector_distance_cos(embedding, ?) AS d FROM alt_vectors ORDER BY d LIMIT ?'
        : "SELECT v.chunk_id AS id, vector_distance_cos(v.embedding, ?1) AS d FROM vector_top_k('alt_vectors_idx', ?1, ?2) AS k JOIN alt_vectors v ON v.rowid = k.id";
    // The same full-text half as the chosen method, so only the vector half differs.
    const vector = await this.client.execute({ sql: vectorSql, args: [blob(q), candidates] });
    const fts = await ftsCandidates(this.client, query, candidates, NO_FILTER);
    const fused = fuseScores(new Map(vector.rows.map((r) => [num(r.id), 1 - num(r.d)])), fts, {
      vector: 0.7,
      fts: 0.3,
    }).slice(0, TOP_K * 2);
    const rows = await this.client.execute({
      sql: 'SELECT id, source_id, text FROM chunks WHERE id IN (SELECT value FROM json_each(?))',
      args: [JSON.stringify(fused.map((f) => f.id))],
    });
    const byId = new Map(rows.rows.map((r) => [num(r.id), r]));
    return fused
      .map((f) => byId.get(f.id))
      .filter(Boolean)
      .slice(0, TOP_K)
      .map((r) => ({ noteId: String(r.source_id), text: String(r.text) }));
  }
}

function blob(vector) {
  return new Uint8Array(vector.buffer, vector.byteOffset, vector.byteLength);
}

const METHODS = {
  'js-codes': {
    chosen: true,
    describe:
      '1-bit sign codes scanned in memory (asymmetric, table lookups), exact rerank in SQL on float32',
    create: async (client, embedder) => new Retriever(client, embedder, { topK: TOP_K }),
  },
  'libsql-index-float1bit': {
    describe: 'libsql_vector_idx, compress_neighbors=float1bit, max_neighbors=16, vector_top_k',
    create: async (client, embedder) => setup(new SqlVectorIndex(client, embedder, 'float1bit')),
  },
  'libsql-index-float8': {
    describe: 'libsql_vector_idx, compress_neighbors=float8, max_neighbors=16, vector_top_k',
    create: async (client, embedder) => setup(new SqlVectorIndex(client, embedder, 'float8')),
  },
  'sql-brute-force': {
    describe: 'vector_distance_cos over every row, ORDER BY distance LIMIT',
    create: async (client, embedder) => setup(new SqlVectorIndex(client, embedder, 'brute')),
  },
};

async function setup(index) {
  await index.setup();
  return index;
}

// --- The run. ---

/**
 * How many of the exact top-32 vector candidates (vector_distance_cos over every row) the
 * code scan + exact rerank also returns: the approximation's recall, apart from ranking quality.
 */
async function vectorRecall(client, embedder, notes, random, queries = 50) {
  const cache = new VectorCache(client, embedder.modelId, embedder.dimensions);
  let found = 0;
  let wanted = 0;
  for (let i = 0; i < queries; i++) {
    const note = notes[Math.floor(random() * notes.length)];
    const [q] = await embedder.embed([queryFor(note, random).text]);
    const approx = await vectorCandidates(client, cache, q, TOP_K * 4, NO_FILTER);
    const exact = await client.execute({
      sql: 'SELECT chunk_id FROM chunk_vectors ORDER BY vector_distance_cos(vector, ?) LIMIT ?',
      args: [blob(q), TOP_K * 4],
    });
    wanted += exact.rows.length;
    found += exact.rows.filter((row) => approx.has(num(row.chunk_id))).length;
  }
  return Math.round((found / wanted) * 1000) / 1000;
}

async function diskUsage(client, file) {
  await client.execute('PRAGMA wal_checkpoint(TRUNCATE)');
  const result = await client.execute(
    'SELECT count(*) AS n, sum(length(CAST(text AS BLOB))) AS bytes FROM chunks',
  );
  const chunks = num(result.rows[0]?.n);
  const textBytes = num(result.rows[0]?.bytes);
  const fileBytes = statSync(file).size;
  return {
    chunks,
    file_bytes: fileBytes,
    bytes_per_chunk_beyond_text: Math.round((fileBytes - textBytes) / chunks),
  };
}

async function runMethod(name) {
  const method = METHODS[name];
  const dir = mkdtempSync(join(tmpdir(), 'oxydra-bench-memory-'));
  const file = join(dir, 'memory.db');
  const client = await openDatabase({ path: file });
  try {
    await migrate(client);
    const embedder = createDeterministicEmbedder({ dimensions: DIMS });
    const index = await method.create(client, embedder);
    const corpus = makeCorpus(42);
    const queryRandom = seededRandom(7);
    const notes = [];
    let chunks = 0;
    let ingestMs = 0;
    const atSize = {};
    for (const size of sizes) {
      const before = chunks;
      const start = performance.now();
      while (chunks < size) {
        const note = corpus.note();
        await index.indexNote(note);
        notes.push(note);
        chunks += chunkText(note.content).length;
      }
      const elapsed = performance.now() - start;
      ingestMs += elapsed;
      const disk = await diskUsage(client, file);
      // The first search loads the vector cache (js-codes): timed apart from the queries.
      const loadStart = performance.now();
      await index.search({ query: 'warm up', topK: TOP_K });
      const firstQueryMs = performance.now() - loadStart;
      const recall = method.chosen
        ? { vector_recall_vs_exact: await vectorRecall(client, embedder, notes, seededRandom(11)) }
        : {};
      atSize[size] = {
        chunks: disk.chunks,
        notes: notes.length,
        ingest_chunks_per_s: Math.round(((chunks - before) / elapsed) * 1000),
        first_query_ms: Math.round(firstQueryMs * 10) / 10,
        ...(await measureQueries(index, notes, queryRandom, { queries: queryCount, topK: TOP_K })),
        ...recall,
        bytes_per_chunk_beyond_text: disk.bytes_per_chunk_beyond_text,
        file_mb: Math.round(disk.file_bytes / 1e5) / 10,
      };
      process.stderr.write(`${name} @ ${size}: ${JSON.stringify(atSize[size])}\n`);
    }
    return {
      method: name,
      describe: method.describe,
      ingest_chunks_per_s_overall: Math.round((chunks / ingestMs) * 1000),
      sizes: atSize,
    };
  } finally {
    client.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

function verdict(result) {
  const largest = result.sizes[Math.max(...sizes)];
  return {
    ingest_ok: result.ingest_chunks_per_s_overall >= 1000,
    query_p50_ok: largest.query_p50_ms <= 10,
    disk_ok: Object.values(result.sizes).every((s) => s.bytes_per_chunk_beyond_text <= 4096),
  };
}

const chosen = 'js-codes';
const names = values.methods ? values.methods.split(',') : values.compare ? Object.keys(METHODS) : [chosen];
for (const name of names)
  if (!METHODS[name]) throw new Error(`unknown method ${name} (${Object.keys(METHODS).join(', ')})`);
const results = [];
for (const name of names) {
  const result = await runMethod(name);
  results.push({ ...result, meets_targets: verdict(result) });
}
const main = results.find((r) => r.method === chosen);
process.stdout.write(
  `${JSON.stringify(
    {
      benchmark: 'memory',
      node: process.version,
      dimensions: DIMS,
      top_k: TOP_K,
      queries_per_size: queryCount,
      targets:
        '>= 1000 chunks/s ingest, hybrid query p50 <= 10 ms at 100k chunks, <= 4 KB per chunk beyond text',
      chosen,
      ...(main ? { result: main } : {}),
      ...(results.length > 1 || !main ? { compare: results.filter((r) => r !== main) } : {}),
    },
    null,
    2,
  )}\n`,
);
