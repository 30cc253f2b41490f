// bench/pg-search.mjs: the PostgreSQL index in a scratch database (or a kept one, --database),
// grown through each size: ingest, queries, each side, recall, memory and sizes at each.
import { createRequire } from 'node:module';
import { loadavg } from 'node:os';
import { seededRandom } from '@oxydra/testkit';
import { Retriever } from '../../packages/memory/dist/retrieval/index.js';
import { openPostgresStores } from '../../packages/store-postgres/dist/index.js';
import { measureQueries } from '../search-corpus.mjs';
import { ingest } from './ingest.mjs';
import { recall } from './recall.mjs';
import { mb, round, SCHEMA, TOP_K } from './shared.mjs';
import { sides, sidesApartOrNot } from './sides.mjs';
import { postgresMemory, sizes } from './storage.mjs';

// pg as @oxydra/store-postgres has it (the bench's admin connection and its exact scans).
const pg = createRequire(new URL('../../packages/store-postgres/package.json', import.meta.url))('pg');

/**
 * `options`: adminUrl, dims, ingest (bulk or note), queries, recallQueries, scopedRows, sidesAb,
 * database (kept, or undefined: a scratch one dropped after).
 */
export async function runPostgres(notes, embedder, cuts, options) {
  const { adminUrl, dims } = options;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  const kept = options.database;
  if (kept !== undefined && (!/^[a-z_][a-z0-9_]*$/.test(kept) || cuts.length !== 1))
    throw new Error(`--database ${kept}: a lowercase SQL name, with one size`);
  const database = kept ?? `oxydra_bench_${process.pid}`;
  const exists =
    kept !== undefined &&
    (await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [kept])).rows.length > 0;
  if (!exists) await admin.query(`CREATE DATABASE ${database}`);
  const url = new URL(adminUrl);
  url.pathname = `/${database}`;
  const stores = await openPostgresStores({ url: url.href, schema: SCHEMA });
  const client = new pg.Client({ connectionString: url.href });
  try {
    await client.connect();
    const store = stores.searchIndex({ id: embedder.modelId, dimensions: dims });
    const retriever = new Retriever(store, embedder, { topK: TOP_K });
    const { rows: version } = await client.query(
      "SELECT extversion FROM pg_extension WHERE extname = 'vector'",
    );
    const results = [];
    let from = 0;
    for (const cut of cuts) {
      // A kept database already holds this size's notes (the same seed, corpus and sizes).
      const ingested = exists
        ? 'reused'
        : await ingest(client, retriever, notes.slice(from, cut.notes), options.ingest);
      from = cut.notes;
      const rssAfterIngest = mb(process.memoryUsage().rss);
      // What autovacuum would soon do on a live database: planner statistics for the new rows.
      const analyzeStart = performance.now();
      if (!exists) await client.query(`VACUUM ANALYZE ${SCHEMA}.search_chunks`);
      const analyzeSeconds = round((performance.now() - analyzeStart) / 1000, 1);
      const seen = notes.slice(0, cut.notes);
      const queries = await measureQueries(retriever, seen, seededRandom(7), {
        queries: options.queries,
        topK: TOP_K,
      });
      // As a deployment searches: each query for its note's user (a tenth of the chunks).
      const scopedQueries = await measureQueries(retriever, seen, seededRandom(7), {
        queries: options.queries,
        topK: TOP_K,
        scoped: true,
      });
      const bySide = await sides(store, embedder, seen);
      const sidesAb = options.sidesAb ? await sidesApartOrNot(url.href, embedder, seen, options) : undefined;
      const { rows } = await client.query(`SELECT key FROM ${SCHEMA}.search_models WHERE model_id = $1`, [
        embedder.modelId,
      ]);
      const recallAt10 = await recall(client, store, embedder, seen, rows[0].key, options);
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
