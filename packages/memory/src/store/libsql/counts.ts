/** How much the memory file holds, for `oxydra doctor`: whole-table counts in one read. */
import type { Client } from '@libsql/client';

export interface MemoryCounts {
  sessions: number;
  notes: number;
}

export async function memoryCounts(client: Client): Promise<MemoryCounts> {
  const [sessions, notes] = await client.batch(
    ['SELECT count(*) AS n FROM sessions', 'SELECT count(*) AS n FROM notes'],
    'read',
  );
  return { sessions: Number(sessions?.rows[0]?.n ?? 0), notes: Number(notes?.rows[0]?.n ?? 0) };
}
