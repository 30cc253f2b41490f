// bench/pg-search.mjs: notes indexed through the Retriever (in bulk or one by one), and where the
// time went.
import { readFileSync } from 'node:fs';
import { round } from './shared.mjs';

/** Notes per indexNotes call in bulk mode (the retriever writes them in batches of ~128 chunks). */
const BULK_NOTES = 1000;
/** Linux's USER_HZ: /proc/<pid>/stat counts CPU time in these. */
const CLOCK_TICKS = 100;

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
export async function ingest(client, retriever, notes, mode) {
  const pgBefore = client ? await backendsCpuMs(client) : undefined;
  const nodeBefore = process.cpuUsage();
  const start = performance.now();
  let chunks = 0;
  let written;
  if (mode === 'bulk') {
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
    mode: mode,
    chunks,
    seconds: round(seconds, 1),
    ...(written === undefined ? {} : { index_build_s: round((start + seconds * 1000 - written) / 1000, 1) }),
    chunks_per_s: Math.round(chunks / seconds),
    cpu_ms_per_chunk: {
      node: perChunk((node.user + node.system) / 1000),
      // Not in bulk: the load's own session and the build's parallel workers are gone by the end.
      postgres: perChunk(
        mode === 'bulk' || pgAfter === undefined || pgBefore === undefined ? undefined : pgAfter - pgBefore,
      ),
      wall: perChunk(seconds * 1000),
    },
  };
}
