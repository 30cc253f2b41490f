/**
 * The SearchIndexStore contract: every implementation runs these against a real backend. They pin
 * atomic replacement (a failed replace keeps the old chunks, a search never sees a mix), appends
 * in order, deletion of text and vectors together, user scoping (another user's chunks, and
 * chunks saved without a user, never reach a user's search), session and tag scoping, hostile
 * text in content, tags and queries, vectors of another model listed as missing until put, and
 * bulk loads (searches right and writers going on meanwhile, everything found after, a failed
 * load's own error), a hybrid search answering what its two sides answer, with their chunks, and
 * each chunk's taint (conversation recall's) kept and answered with it.
 */
import type {
  NewChunk,
  SearchCandidate,
  SearchIndexStore,
  SearchModel,
  SearchScope,
  SearchSource,
} from '@oxydra/types';
import { describe, expect, it } from 'vitest';
import { HOSTILE_TEXT, openEach, rejection, type StoreOpener } from './harness.js';

/** What the suite needs of a backend besides the store: stores for other models on the same data, and sessions. */
export interface SearchIndexFixture {
  /** A store on the same data for `model` (as a retriever with that embedder would open). */
  open(model: SearchModel): SearchIndexStore;
  /** Makes the session `id` exist where the backend ties conversation chunks to sessions. */
  addSession(id: string, userId?: string): Promise<void>;
}

const DIMS = 32;
const MODEL: SearchModel = { id: 'contract-model', dimensions: DIMS };
const OTHER_MODEL: SearchModel = { id: 'contract-other', dimensions: DIMS };

/** A unit vector along axis `axis`, leaning a little towards `lean` (so ties cannot happen). */
function axis(index: number, lean = (index + 1) % DIMS): Float32Array {
  const vector = new Float32Array(DIMS);
  vector[index % DIMS] = 1;
  vector[lean] = 0.1;
  return vector;
}

let hashes = 0;
function chunk(text: string, vector = axis(hashes)): NewChunk {
  hashes += 1;
  return { text, hash: `h${hashes}-${text.length}`, vector };
}

const note = (id: string): SearchSource => ({ type: 'note', id });
const conversation = (id: string): SearchSource => ({ type: 'conversation', id });

export function searchIndexStoreContract(open: StoreOpener<SearchIndexFixture>): void {
  describe('SearchIndexStore contract', () => {
    let fixture: SearchIndexFixture;
    let store: SearchIndexStore;
    openEach(open, (current) => {
      fixture = current.store;
      store = fixture.open(MODEL);
    });

    const texts = async (candidates: SearchCandidate[]) =>
      (await store.chunks(candidates.map((c) => c.chunkId))).map((c) => c.text).sort();

    it('replaces a source atomically: the new chunks only, and a failed replace keeps the old', async () => {
      await store.replaceSource(note('n1'), [chunk('amber falcon one'), chunk('amber falcon two')]);
      await store.replaceSource(note('n1'), [chunk('amber heron three')]);
      expect(await texts(await store.searchText('amber', {}, 10))).toEqual(['amber heron three']);
      const broken = [chunk('amber owl four'), { ...chunk('amber owl five'), vector: new Float32Array(3) }];
      expect(await rejection(() => store.replaceSource(note('n1'), broken))).toBeDefined();
      expect(await texts(await store.searchText('amber', {}, 10))).toEqual(['amber heron three']);
      expect((await store.counts()).chunks).toBe(1);

      // Searches racing replacements see one version whole, never a mix. (A search is two reads,
      // the candidates then their chunks: on a server store a replace can commit between them, so
      // the chunks of the version found are gone, all of them, and that search finds nothing. The
      // retriever drops such vanished candidates; a mix would be a replace seen half done.)
      const versions = [
        ['cobalt alpha', 'cobalt beta'],
        ['cobalt gamma', 'cobalt delta'],
      ];
      await store.replaceSource(
        note('race'),
        versions[0]!.map((text) => chunk(text)),
      );
      const seen: string[][] = [];
      await Promise.all([
        (async () => {
          for (let i = 1; i <= 10; i++) {
            await store.replaceSource(
              note('race'),
              versions[i % 2]!.map((text) => chunk(text)),
            );
          }
        })(),
        (async () => {
          for (let i = 0; i < 10; i++) seen.push(await texts(await store.searchText('cobalt', {}, 10)));
        })(),
      ]);
      for (const found of seen)
        expect([[], [...versions[0]!].sort(), [...versions[1]!].sort()]).toContainEqual(found);
      // Searched when nothing races, it finds the last version whole.
      expect(await texts(await store.searchText('cobalt', {}, 10))).toEqual([...versions[0]!].sort());
    });

    it('appends after the last chunk and reports the hashes and vectors a source holds', async () => {
      await fixture.addSession('s1');
      const first = chunk('first turn words');
      const second = chunk('second turn words');
      await store.appendChunks(conversation('s1'), [first], { sessionId: 's1' });
      await store.appendChunks(conversation('s1'), [second], { sessionId: 's1' });
      expect(await store.presentHashes(conversation('s1'), [first.hash, second.hash, 'nope'])).toEqual(
        new Set([first.hash, second.hash]),
      );
      expect(await store.presentHashes(note('s1'), [first.hash])).toEqual(new Set());
      const vectors = await store.sourceVectors(conversation('s1'));
      expect([...vectors.keys()].sort()).toEqual([first.hash, second.hash].sort());
      expect(Array.from(vectors.get(first.hash) ?? [])).toEqual(Array.from(first.vector));
      const found = await store.chunks((await store.searchText('turn words', {}, 10)).map((c) => c.chunkId));
      expect(found.map((c) => c.sessionId)).toEqual(['s1', 's1']);
      expect(found.every((c) => c.source.type === 'conversation' && c.source.id === 's1')).toBe(true);
      expect(await store.chunks([-1, 999_999])).toEqual([]);
    });

    it("keeps each chunk's taint and answers it with the chunk, by every way of writing and reading", async () => {
      await fixture.addSession('taint-chat');
      const page = [
        { kind: 'web' as const, source: 'https://evil.example/a?q="x"' },
        { kind: 'mcp' as const, source: HOSTILE_TEXT.join(' | ') },
      ];
      const tainted = { ...chunk('saffron tainted words', axis(7)), taint: page };
      const clean = chunk('saffron clean words', axis(8));
      await store.appendChunks(conversation('taint-chat'), [clean, tainted], { sessionId: 'taint-chat' });
      await store.replaceSource(note('taint-note'), [
        { ...chunk('saffron note words', axis(9)), taint: [page[0]!] },
      ]);
      if (store.replaceSources) {
        await store.replaceSources([
          {
            source: note('taint-bulk'),
            chunks: [{ ...chunk('saffron bulk words', axis(10)), taint: [page[1]!] }],
          },
        ]);
      }
      const byText = (await store.searchText('saffron', {}, 10)).map((c) => c.chunkId);
      const taintOf = (chunks: { text: string; taint?: unknown }[]) =>
        Object.fromEntries(chunks.map((c) => [c.text, c.taint]));
      const read = taintOf(await store.chunks(byText));
      expect(read['saffron tainted words']).toEqual(page);
      expect(read['saffron clean words']).toBeUndefined();
      expect(read['saffron note words']).toEqual([page[0]]);
      if (store.replaceSources) expect(read['saffron bulk words']).toEqual([page[1]]);
      const hybrid = await store.searchHybrid({ vector: axis(7), text: 'saffron', scope: {}, limit: 10 });
      expect(taintOf(hybrid.chunks)).toEqual(read);
    });

    it('deletes a source with its text and its vectors', async () => {
      const kept = chunk('granite kept', axis(5));
      await store.replaceSource(note('gone'), [
        chunk('granite gone', axis(3)),
        chunk('granite also gone', axis(4)),
      ]);
      await store.replaceSource(note('kept'), [kept]);
      expect(await store.deleteSource(note('gone'))).toBe(2);
      expect(await store.deleteSource(note('gone'))).toBe(0);
      expect(await texts(await store.searchText('granite', {}, 10))).toEqual(['granite kept']);
      expect(await texts(await store.searchVector(axis(3), {}, 10))).toEqual(['granite kept']);
      const counts = await store.counts();
      expect(counts).toMatchObject({ chunks: 1, notes: 1, conversations: 0, missingVectors: 0 });
      expect(counts.vectorsByModel).toEqual({ [MODEL.id]: 1 });
      expect(await store.sourceVectors(note('gone'))).toEqual(new Map());
    });

    it("never answers a user's search with another user's chunks, nor with chunks saved without a user", async () => {
      await fixture.addSession('alice-chat', 'alice');
      await fixture.addSession('bob-chat', 'bob');
      await store.replaceSource(note('a'), [chunk('velvet note of alice', axis(1))], { userId: 'alice' });
      await store.replaceSource(note('b'), [chunk('velvet note of bob', axis(1, 3))], { userId: 'bob' });
      await store.replaceSource(note('nobody'), [chunk('velvet note of nobody', axis(1, 4))]);
      await store.appendChunks(conversation('alice-chat'), [chunk('velvet chat of alice', axis(1, 5))], {
        userId: 'alice',
        sessionId: 'alice-chat',
      });
      await store.appendChunks(conversation('bob-chat'), [chunk('velvet chat of bob', axis(1, 6))], {
        userId: 'bob',
        sessionId: 'bob-chat',
      });
      const both = async (scope: SearchScope) => {
        const byText = await texts(await store.searchText('velvet', scope, 10));
        const byVector = await texts(await store.searchVector(axis(1), scope, 10));
        expect(byVector).toEqual(byText);
        return byText;
      };
      expect(await both({ userId: 'alice' })).toEqual(['velvet chat of alice', 'velvet note of alice']);
      expect(await both({ userId: 'bob', includeConversation: false })).toEqual(['velvet note of bob']);
      expect(await both({ userId: 'carol' })).toEqual([]);
      expect(await both({ userId: 'alice', sessionId: 'bob-chat' })).toEqual(['velvet note of alice']);
      expect(await both({ userId: 'alice', includeNotes: false, includeConversation: false })).toEqual([]);
      expect(await both({ sessionId: 'alice-chat', includeNotes: false })).toEqual(['velvet chat of alice']);
      expect(await both({})).toHaveLength(5);
    });

    it('answers a hybrid search as its two sides would, with the chunks of both, in any scope', async () => {
      await fixture.addSession('hy-chat', 'alice');
      await store.replaceSource(
        note('hy1'),
        [chunk('tundra lynx notes', axis(2)), chunk('plain words', axis(9))],
        {
          userId: 'alice',
          tags: ['t'],
        },
      );
      await store.replaceSource(note('hy2'), [chunk('tundra fox', axis(2, 4))], { userId: 'bob' });
      await store.appendChunks(conversation('hy-chat'), [chunk('lynx tracks in the tundra', axis(11))], {
        userId: 'alice',
        sessionId: 'hy-chat',
      });
      const scopes: SearchScope[] = [
        {},
        { userId: 'alice' },
        { userId: 'alice', includeConversation: false, tags: ['t'] },
        { sessionId: 'other-chat' },
        { userId: 'carol' },
      ];
      for (const scope of scopes) {
        for (const limit of [1, 10]) {
          const found = await store.searchHybrid({ vector: axis(2), text: 'tundra lynx', scope, limit });
          expect(found.vector).toEqual(await store.searchVector(axis(2), scope, limit));
          expect(found.text).toEqual(await store.searchText('tundra lynx', scope, limit));
          const ids = [...new Set([...found.vector, ...found.text].map((c) => c.chunkId))];
          const byId = (a: { id: number }, b: { id: number }) => a.id - b.id;
          expect([...found.chunks].sort(byId)).toEqual((await store.chunks(ids)).sort(byId));
        }
      }
      // A side left out proposes nothing; neither side, nothing at all.
      const vectorOnly = await store.searchHybrid({ vector: axis(9), scope: {}, limit: 3 });
      expect(vectorOnly.text).toEqual([]);
      expect(vectorOnly.vector).toEqual(await store.searchVector(axis(9), {}, 3));
      expect(vectorOnly.chunks.find((c) => c.id === vectorOnly.vector[0]?.chunkId)).toMatchObject({
        text: 'plain words',
        source: note('hy1'),
        userId: 'alice',
        tags: ['t'],
      });
      const textOnly = await store.searchHybrid({ text: 'lynx tracks', scope: {}, limit: 5 });
      expect(textOnly.vector).toEqual([]);
      expect(textOnly.chunks.map((c) => c.text).sort()).toEqual([
        'lynx tracks in the tundra',
        'tundra lynx notes',
      ]);
      expect(textOnly.chunks.find((c) => c.text.startsWith('lynx'))).toMatchObject({
        sessionId: 'hy-chat',
        source: conversation('hy-chat'),
      });
      expect(await store.searchHybrid({ text: '!!! ???', scope: {}, limit: 5 })).toEqual({
        vector: [],
        text: [],
        chunks: [],
      });
      expect(await store.searchHybrid({ scope: {}, limit: 5 })).toEqual({ vector: [], text: [], chunks: [] });
      expect(
        await rejection(() => store.searchHybrid({ vector: new Float32Array(3), scope: {}, limit: 5 })),
      ).toBeDefined();
    });

    it('filters by tags: chunks carrying every tag asked for', async () => {
      await store.replaceSource(note('t1'), [chunk('saffron one', axis(7))], { tags: ['a', 'b'] });
      await store.replaceSource(note('t2'), [chunk('saffron two', axis(7, 9))], { tags: ['a'] });
      await store.replaceSource(note('t3'), [chunk('saffron three', axis(7, 10))], {
        tags: [HOSTILE_TEXT[1]],
      });
      const both = async (tags: string[]) => {
        const byText = await texts(await store.searchText('saffron', { tags }, 10));
        expect(await texts(await store.searchVector(axis(7), { tags }, 10))).toEqual(byText);
        return byText;
      };
      expect(await both(['a'])).toEqual(['saffron one', 'saffron two']);
      expect(await both(['a', 'b'])).toEqual(['saffron one']);
      expect(await both([HOSTILE_TEXT[1]])).toEqual(['saffron three']);
      expect(await both(['c'])).toEqual([]);
      const [tagged] = await store.chunks(
        (await store.searchText('saffron three', {}, 1)).map((c) => c.chunkId),
      );
      expect(tagged?.tags).toEqual([HOSTILE_TEXT[1]]);
    });

    it('keeps hostile text exact and takes it as a query without failing', async () => {
      const stored = HOSTILE_TEXT.map((text, i) => chunk(`${text} marker${i}`, axis(i)));
      await store.replaceSource(note('hostile'), stored, { userId: HOSTILE_TEXT[1] });
      const all = await store.chunks((await store.searchVector(axis(0), {}, 50)).map((c) => c.chunkId));
      expect(all.map((c) => c.text).sort()).toEqual(stored.map((c) => c.text).sort());
      expect(all.every((c) => c.userId === HOSTILE_TEXT[1])).toBe(true);
      for (const [i, text] of HOSTILE_TEXT.entries()) {
        const found = await store.searchText(text, { userId: HOSTILE_TEXT[1] }, 10);
        expect(found.every((c) => Number.isFinite(c.score))).toBe(true);
        expect(await texts(await store.searchText(`${text} marker${i}`, {}, 10))).toContain(stored[i]!.text);
      }
      expect(await store.searchText(HOSTILE_TEXT[0], { userId: 'someone else' }, 10)).toEqual([]);
    });

    it('ranks vectors by cosine similarity and refuses a vector of other dimensions', async () => {
      await store.replaceSource(
        note('v'),
        Array.from({ length: 8 }, (_, i) => chunk(`vector ${i}`, axis(i))),
      );
      const [best, next] = await store.searchVector(axis(3), {}, 2);
      expect((await store.chunks([best!.chunkId]))[0]?.text).toBe('vector 3');
      expect(best!.score).toBeCloseTo(1, 3);
      expect(best!.score).toBeGreaterThan(next!.score);
      expect(await rejection(() => store.searchVector(new Float32Array(DIMS + 1), {}, 2))).toBeDefined();
      expect(await store.searchVector(axis(3), {}, 0)).toEqual([]);
    });

    it('answers a zero query vector (words the embedder does not know) with no vector candidates', async () => {
      await store.replaceSource(note('z'), [chunk('zero lynx', axis(2)), chunk('zero basalt', axis(5))]);
      const zero = new Float32Array(DIMS);
      expect(await store.searchVector(zero, {}, 10)).toEqual([]);
      const hybrid = await store.searchHybrid({ vector: zero, text: 'lynx', scope: {}, limit: 10 });
      expect(hybrid.vector).toEqual([]);
      expect(hybrid.text).toEqual(await store.searchText('lynx', {}, 10));
      expect(await texts(hybrid.text)).toEqual(['zero lynx']);
    });

    it('bulk loads: searches meanwhile stay right, other writers go on, and after it every write is found', async () => {
      await store.replaceSource(note('before'), [chunk('basalt before', axis(1))]);
      const reader = fixture.open(MODEL);
      const during: string[][] = [];
      const loaded = await store.bulkLoad(async () => {
        const b1 = [
          { source: note('b1'), chunks: [chunk('basalt one', axis(2)), chunk('basalt two', axis(3))] },
        ];
        await (store.replaceSources?.(b1) ?? store.replaceSource(b1[0]!.source, b1[0]!.chunks));
        await store.replaceSource(note('b2'), [chunk('basalt three', axis(4))], { userId: 'u1' });
        // Another store on the same data (another process) reads and writes mid-load, and a
        // bulk load begun inside this one joins it instead of waiting for it.
        await reader.replaceSource(note('b3'), [chunk('basalt four', axis(5))]);
        during.push(await texts(await reader.searchVector(axis(4), {}, 1)));
        during.push(await texts(await reader.searchVector(axis(5), { userId: 'u1' }, 5)));
        during.push(await texts(await store.searchText('basalt', {}, 10)));
        return store.bulkLoad(async () => 'joined');
      });
      expect(loaded).toBe('joined');
      expect(during).toEqual([
        ['basalt three'],
        ['basalt three'],
        ['basalt before', 'basalt four', 'basalt one', 'basalt three', 'basalt two'],
      ]);
      for (const [i, text] of ['basalt before', 'basalt three', 'basalt four'].entries()) {
        expect(await texts(await reader.searchVector(axis([1, 4, 5][i]!), {}, 1))).toEqual([text]);
      }
      expect((await store.counts()).chunks).toBe(5);

      // A load that fails rejects with its own error; what it wrote is found, and the store
      // keeps answering ordinary writes and searches.
      const failure = await rejection(() =>
        store.bulkLoad(async () => {
          await store.replaceSource(note('b4'), [chunk('basalt five', axis(6))]);
          throw new Error('the load broke');
        }),
      );
      expect((failure as Error).message).toBe('the load broke');
      await store.replaceSource(note('b5'), [chunk('basalt six', axis(7))]);
      expect(await texts(await store.searchVector(axis(6), {}, 1))).toEqual(['basalt five']);
      expect(await texts(await reader.searchVector(axis(7), {}, 1))).toEqual(['basalt six']);
    });

    it("lists chunks without the model's vector until they get one, in id order and by pages", async () => {
      await store.replaceSource(
        note('m'),
        ['one', 'two', 'three'].map((text) => chunk(`moss ${text}`)),
      );
      const other = fixture.open(OTHER_MODEL);
      expect((await store.missingVectors(10)).map((c) => c.text)).toEqual([]);
      const missing = await other.missingVectors(10);
      expect(missing.map((c) => c.text)).toEqual(['moss one', 'moss two', 'moss three']);
      const ids = missing.map((c) => c.id);
      expect([...ids].sort((a, b) => a - b)).toEqual(ids);
      expect((await other.missingVectors(2, ids[0])).map((c) => c.id)).toEqual(ids.slice(1));
      expect((await other.counts()).missingVectors).toBe(3);

      await other.putVectors(missing.slice(0, 2).map((c, i) => ({ chunkId: c.id, vector: axis(i) })));
      expect((await other.missingVectors(10)).map((c) => c.id)).toEqual([ids[2]]);
      // A chunk holds one vector: the other model's replaced this model's.
      expect((await store.missingVectors(10)).map((c) => c.id)).toEqual(ids.slice(0, 2));
      expect((await store.counts()).vectorsByModel).toEqual({ [MODEL.id]: 1, [OTHER_MODEL.id]: 2 });
      // Searching by vector sees this model's vectors only.
      expect((await other.searchVector(axis(0), {}, 10)).map((c) => c.chunkId).sort()).toEqual(
        ids.slice(0, 2).sort(),
      );
      // A chunk deleted meanwhile gets no vector.
      await store.deleteSource(note('m'));
      await other.putVectors([{ chunkId: ids[2]!, vector: axis(2) }]);
      expect(await other.counts()).toMatchObject({ chunks: 0, missingVectors: 0, vectorsByModel: {} });
    });
  });
}
