/**
 * The vector cache's memo of a query's scan (query-memo.ts) and its shared refreshes: a repeated
 * query scores only the rows added since, and finds what a full scan of the same slots finds,
 * ties and order included; recalls started together read the file once.
 */
import type { Client } from '@libsql/client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createDeterministicEmbedder } from '../src/embedders/deterministic.js';
import { Retriever } from '../src/retrieval/index.js';
import type { ScopeFilter } from '../src/store/libsql/search-index/scope.js';
import { VectorCache, vectorCandidates } from '../src/store/libsql/search-index/vector-cache.js';
import { ALL_SCOPES, addSession, type TempDb, tempDb } from './retrieval-helpers.js';

const MODEL = 'deterministic-v1-256';
const ALL = ALL_SCOPES;

let db: TempDb;
beforeEach(async () => {
  db = await tempDb();
});
afterEach(async () => {
  await db.cleanup();
});

describe('a repeated query', () => {
  it('scores only the rows added since, and finds what a full scan finds (ties, filters, removals)', async () => {
    const retriever = new Retriever(db.client, createDeterministicEmbedder());
    await addSession(db.client, 's1', 'ann');
    await addSession(db.client, 's2', 'bob');
    // Many chunks with the very same text (equal codes, equal scores): which of the tied rows
    // make a pool of 16 depends on the order the scan meets them, as the memo must keep it.
    let n = 0;
    const add = async (count: number) => {
      for (let i = 0; i < count; i++, n++) {
        const text = n % 3 === 0 ? 'harbour lantern tide' : `harbour lantern tide ledger ${n % 7}`;
        if (n % 2 === 0) await retriever.indexNote({ id: `note-${n}`, content: text, userId: 'ann' });
        else
          await retriever.indexConversation({
            sessionId: n % 4 === 1 ? 's1' : 's2',
            userId: n % 4 === 1 ? 'ann' : 'bob',
            messages: [{ role: 'user', content: `${text} said ${n}` }],
          });
      }
    };
    await add(60);
    const kept = new VectorCache(db.client, MODEL, 256);
    const reference = new VectorCache(db.client, MODEL, 256, undefined, 0);
    const [query] = await createDeterministicEmbedder().embed(['harbour lantern tide']);
    const filters: ScopeFilter[] = [
      ALL,
      { ...ALL, userId: 'ann' },
      { ...ALL, sessionId: 's2' },
      { ...ALL, includeConversation: false },
    ];
    const expectSame = async () => {
      for (const filter of filters) {
        // The same Float32Array values in a new array: the memo goes by value.
        const again = Float32Array.from(query!);
        expect(kept.search(again, 16, filter)).toEqual(reference.search(query!, 16, filter));
        const fromKept = await vectorCandidates(db.client, kept, again, 4, filter);
        const fromReference = await vectorCandidates(db.client, reference, query!, 4, filter);
        expect([...fromKept]).toEqual([...fromReference]);
      }
    };
    await kept.refresh();
    await reference.refresh();
    await expectSame();
    expect(kept.scored).toBe(60);
    await expectSame();
    // Nothing new: nothing scored again, whatever the filter.
    expect(kept.scored).toBe(60);
    await add(5);
    await expectSame();
    expect(kept.scored).toBe(65);
    // A removal moves the last slot into the hole: the memo starts over.
    await retriever.removeSource('note', 'note-2');
    await expectSame();
    expect(kept.scored).toBe(65 + 64);
    await add(3);
    await expectSame();
    expect(kept.scored).toBe(65 + 64 + 3);
    expect(reference.scored).toBeGreaterThan(kept.scored * 3);
  });

  it('keeps a few queries, the least recently used going first', async () => {
    const retriever = new Retriever(db.client, createDeterministicEmbedder());
    for (let i = 0; i < 10; i++) await retriever.indexNote({ id: `note-${i}`, content: `tide ${i}` });
    const cache = new VectorCache(db.client, MODEL, 256);
    await cache.refresh();
    const queries = await createDeterministicEmbedder().embed(['a', 'b', 'c', 'd', 'e']);
    for (const query of queries.slice(0, 4)) cache.search(query, 4, ALL);
    expect(cache.scored).toBe(40);
    cache.search(queries[0]!, 4, ALL);
    expect(cache.scored).toBe(40);
    // A fifth query takes the place of the least recently used one ('b').
    cache.search(queries[4]!, 4, ALL);
    cache.search(queries[0]!, 4, ALL);
    expect(cache.scored).toBe(50);
    cache.search(queries[1]!, 4, ALL);
    expect(cache.scored).toBe(60);
  });
});

describe('refreshes asked for together', () => {
  /** db.client, counting its batch calls (a refresh reads in one). */
  function countingBatches(client: Client): { client: Client; batches: () => number } {
    let batches = 0;
    const counted = new Proxy(client, {
      get(target, key) {
        const value = Reflect.get(target, key, target);
        if (key !== 'batch' || typeof value !== 'function')
          return typeof value === 'function' ? value.bind(target) : value;
        return (...args: unknown[]) => {
          batches++;
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      },
    });
    return { client: counted, batches: () => batches };
  }

  it('share the one not begun yet, and each sees every write finished before it was asked for', async () => {
    const retriever = new Retriever(db.client, createDeterministicEmbedder());
    await retriever.indexNote({ id: 'note-0', content: 'tide' });
    const { client, batches } = countingBatches(db.client);
    const cache = new VectorCache(client, MODEL, 256);
    await Promise.all(Array.from({ length: 20 }, () => cache.refresh()));
    expect(batches()).toBeLessThanOrEqual(2);
    expect(cache.size).toBe(1);
    // One running: a write finished after it began is read by the next one, not by that one.
    const running = cache.refresh();
    await retriever.indexNote({ id: 'note-1', content: 'ledger' });
    const next = cache.refresh();
    await Promise.all([running, next]);
    expect(cache.size).toBe(2);
  });
});
