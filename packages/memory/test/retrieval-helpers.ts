/** Shared by the retrieval-*.test.ts files: a migrated database in a fresh temp dir. */
import type { Client } from '@libsql/client';
import { tempWorkspace } from '@oxydra/testkit/helpers';
import type { Embedder } from '@oxydra/types';
import { openDatabase } from '../src/store/libsql/db.js';
import { migrate } from '../src/store/libsql/migrate.js';
import type { ScopeFilter } from '../src/store/libsql/search-index/scope.js';

/** A filter that lets every chunk through. */
export const ALL_SCOPES: ScopeFilter = {
  includeNotes: true,
  includeConversation: true,
  userId: undefined,
  sessionId: undefined,
  tags: [],
};

export interface TempDb {
  client: Client;
  path: string;
  /** Another client on the same file, as a second process would have. */
  open(): Promise<Client>;
  cleanup(): Promise<void>;
}

export async function tempDb(): Promise<TempDb> {
  const dir = tempWorkspace({ prefix: 'oxydra-retrieval-' });
  const path = dir.path('memory.db');
  const client = await openDatabase({ path });
  await migrate(client);
  const others: Client[] = [];
  return {
    client,
    path,
    async open() {
      const other = await openDatabase({ path });
      others.push(other);
      return other;
    },
    async cleanup() {
      for (const other of others) other.close();
      client.close();
      dir.cleanup();
    },
  };
}

/** Conversation chunks belong to a session row (foreign key), as the session store writes it. */
export async function addSession(client: Client, id: string, userId?: string): Promise<void> {
  const now = new Date().toISOString();
  await client.execute({
    sql: 'INSERT INTO sessions (id, user_id, created_at, updated_at) VALUES (?, ?, ?, ?)',
    args: [id, userId ?? null, now, now],
  });
}

/** An embedder that records its calls and delegates, for counting what was embedded. */
export function countingEmbedder(inner: Embedder): Embedder & { calls: string[][] } {
  const calls: string[][] = [];
  return {
    modelId: inner.modelId,
    dimensions: inner.dimensions,
    calls,
    embed: async (texts) => {
      calls.push([...texts]);
      return inner.embed(texts);
    },
  };
}

export function cosine(a: Float32Array, b: Float32Array): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * b[i]!;
    na += a[i]! ** 2;
    nb += b[i]! ** 2;
  }
  return na === 0 || nb === 0 ? 0 : dot / Math.sqrt(na * nb);
}
