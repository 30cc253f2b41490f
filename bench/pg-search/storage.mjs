// bench/pg-search.mjs: the search tables' and indexes' sizes, and PostgreSQL's memory.
import { readFileSync } from 'node:fs';
import { mb, SCHEMA } from './shared.mjs';

export async function sizes(client) {
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
export async function postgresMemory(client) {
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
