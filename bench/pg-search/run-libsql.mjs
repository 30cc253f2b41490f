// bench/pg-search.mjs: the libSQL index (bench/memory.mjs's chosen method) on the largest size, for
// ratios.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { seededRandom } from '@oxydra/testkit';
import { Retriever } from '../../packages/memory/dist/retrieval/index.js';
import { openDatabase } from '../../packages/memory/dist/store/libsql/db.js';
import { migrate } from '../../packages/memory/dist/store/libsql/migrate.js';
import { measureQueries } from '../search-corpus.mjs';
import { ingest } from './ingest.mjs';
import { TOP_K } from './shared.mjs';

export async function runLibsql(notes, embedder, { ingest: mode, queries }) {
  const dir = mkdtempSync(join(tmpdir(), 'oxydra-bench-pg-search-'));
  const client = await openDatabase({ path: join(dir, 'memory.db') });
  try {
    await migrate(client);
    const retriever = new Retriever(client, embedder, { topK: TOP_K });
    const ingested = await ingest(undefined, retriever, notes, mode);
    await retriever.search({ query: 'warm up', topK: TOP_K }); // loads the vector cache
    return {
      ingest: ingested,
      hybrid: await measureQueries(retriever, notes, seededRandom(7), { queries, topK: TOP_K }),
    };
  } finally {
    client.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
