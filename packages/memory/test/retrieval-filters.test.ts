/**
 * Scoping: tags, user, session and source filters hold on both halves of the search. Each case
 * runs three retrievers over the same data (hybrid, vectors only, full text only), so a filter
 * missing from either the SQL or the in-memory scan fails here.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDeterministicEmbedder } from '../src/embedders/deterministic.js';
import { type RetrievalQuery, Retriever } from '../src/retrieval/index.js';
import { addSession, type TempDb, tempDb } from './retrieval-helpers.js';

let db: TempDb;
const retrievers: Record<string, Retriever> = {};

beforeAll(async () => {
  db = await tempDb();
  const embedder = createDeterministicEmbedder();
  retrievers.hybrid = new Retriever(db.client, embedder);
  retrievers.vectors = new Retriever(db.client, embedder, { vectorWeight: 1, ftsWeight: 0 });
  retrievers.fts = new Retriever(db.client, embedder, { vectorWeight: 0, ftsWeight: 1 });
  const index = retrievers.hybrid;
  // Every text mentions the harbour lanterns, so every chunk is a candidate on both halves.
  await index.indexNote({
    id: 'note-alice-ops',
    content: 'Harbour lanterns: ops runbook.',
    tags: ['ops'],
    userId: 'alice',
  });
  await index.indexNote({
    id: 'note-alice-both',
    content: 'Harbour lanterns: ops and security review.',
    tags: ['ops', 'security'],
    userId: 'alice',
  });
  await index.indexNote({
    id: 'note-bob',
    content: 'Harbour lanterns: bob notes.',
    tags: ['ops'],
    userId: 'bob',
  });
  await index.indexNote({ id: 'note-shared', content: 'Harbour lanterns: note without a user.' });
  await addSession(db.client, 'session-1', 'alice');
  await addSession(db.client, 'session-2', 'alice');
  await index.indexConversation({
    sessionId: 'session-1',
    userId: 'alice',
    messages: [{ role: 'user', content: 'Harbour lanterns in session one?' }],
  });
  await index.indexConversation({
    sessionId: 'session-2',
    userId: 'alice',
    messages: [{ role: 'user', content: 'Harbour lanterns in session two?' }],
  });
});

afterAll(async () => {
  await db.cleanup();
});

/** Note ids, or session ids for conversation hits; sorted, per retriever. */
async function sources(query: Omit<RetrievalQuery, 'query'>): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  for (const [name, retriever] of Object.entries(retrievers)) {
    const hits = await retriever.search({ query: 'harbour lanterns', topK: 20, ...query });
    out[name] = hits.map((hit) => hit.noteId ?? `conversation:${hit.sessionId}`).sort();
  }
  return out;
}

function same(expected: string[]): Record<string, string[]> {
  return { hybrid: expected, vectors: expected, fts: expected };
}

describe('search filters, on both halves', () => {
  it('finds everything without a filter', async () => {
    expect(await sources({})).toEqual(
      same([
        'conversation:session-1',
        'conversation:session-2',
        'note-alice-both',
        'note-alice-ops',
        'note-bob',
        'note-shared',
      ]),
    );
  });

  it('userId: only that user, not chunks saved without a user', async () => {
    expect(await sources({ userId: 'bob' })).toEqual(same(['note-bob']));
    expect(await sources({ userId: 'nobody' })).toEqual(same([]));
  });

  it('tags: chunks carrying all of them (conversations have none)', async () => {
    expect(await sources({ tags: ['ops'] })).toEqual(same(['note-alice-both', 'note-alice-ops', 'note-bob']));
    expect(await sources({ tags: ['security', ' ops '] })).toEqual(same(['note-alice-both']));
    expect(await sources({ tags: ['missing'] })).toEqual(same([]));
  });

  it('sessionId: that session of the conversations, notes still visible', async () => {
    expect(await sources({ sessionId: 'session-2', userId: 'alice' })).toEqual(
      same(['conversation:session-2', 'note-alice-both', 'note-alice-ops']),
    );
  });

  it('includeNotes / includeConversation', async () => {
    expect(await sources({ includeNotes: false })).toEqual(
      same(['conversation:session-1', 'conversation:session-2']),
    );
    expect(await sources({ includeConversation: false, userId: 'alice' })).toEqual(
      same(['note-alice-both', 'note-alice-ops']),
    );
    expect(await sources({ includeConversation: false, includeNotes: false })).toEqual(same([]));
  });
});
