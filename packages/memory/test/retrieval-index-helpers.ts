/**
 * Shared by the retrieval-index-*.test.ts files: a fresh migrated database and a retriever on it
 * for each test (useFreshRetriever registers the calling file's hooks), and a count query.
 */
import type { Client } from '@libsql/client';
import { afterEach, beforeEach } from 'vitest';
import { createDeterministicEmbedder } from '../src/embedders/deterministic.js';
import { Retriever } from '../src/retrieval/index.js';
import { type TempDb, tempDb } from './retrieval-helpers.js';

/** The running test's database and retriever (deterministic embedder), set by useFreshRetriever. */
export let db: TempDb;
export let retriever: Retriever;

export function useFreshRetriever(): void {
  beforeEach(async () => {
    db = await tempDb();
    retriever = new Retriever(db.client, createDeterministicEmbedder());
  });

  afterEach(async () => {
    await db.cleanup();
  });
}

export async function count(client: Client, sql: string): Promise<number> {
  const result = await client.execute(sql);
  return Number(result.rows[0]?.[0] ?? 0);
}
