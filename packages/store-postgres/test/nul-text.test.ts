/**
 * NUL characters (U+0000), which PostgreSQL's text type refuses (SQLSTATE 22021), in what a
 * person or a model writes (withoutNul of @oxydra/types drops them before a store sees
 * them): a conversation message holding one is indexed without it, and what is said after it is
 * found; a note holding one is indexed; a search whose tag filter holds one answers. Before, each
 * failed on PostgreSQL alone, and the conversation's chunk failed again at every later turn, so
 * nothing said after it was ever indexed. The stores' own inputs (notes, tags, a session search)
 * are pinned by the shared store contracts, on both stores.
 */
import { createDeterministicEmbedder, Retriever } from '@oxydra/memory';
import { expect, it } from 'vitest';
import { describePostgres, freshStoresEach } from './postgres-helpers.js';

describePostgres('NUL characters on PostgreSQL', () => {
  const stores = freshStoresEach();

  function retriever(): Retriever {
    const embedder = createDeterministicEmbedder({ dimensions: 16 });
    return new Retriever(stores().searchIndex({ id: embedder.modelId, dimensions: 16 }), embedder);
  }

  it('indexes a conversation whose message holds one, and what is said after it', async () => {
    const index = retriever();
    const { id: sessionId } = await stores().sessions.create({});
    const first = [{ role: 'user' as const, content: 'the kumquat\u0000 harvest' }];
    expect((await index.indexConversation({ sessionId, messages: first })).chunks).toBe(1);
    const later = [...first, { role: 'assistant' as const, content: 'the persimmon orchard' }];
    expect(await index.indexConversation({ sessionId, messages: later })).toEqual({ chunks: 1, embedded: 1 });
    const texts = async (query: string) => (await index.search({ query })).map((hit) => hit.text);
    expect(await texts('kumquat')).toContain('the kumquat harvest');
    expect(await texts('persimmon')).toContain('the persimmon orchard');
  });

  it('indexes a note holding one, and answers a search whose tag filter holds one', async () => {
    const index = retriever();
    await index.indexNote({ id: 'n1', content: 'quince\u0000 jelly', tags: ['fru\u0000it'] });
    const hits = await index.search({ query: 'quince', tags: ['fru\u0000it'] });
    expect(hits.map((hit) => hit.text)).toEqual(['quince jelly']);
  });
});
