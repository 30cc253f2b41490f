/**
 * The PostgreSQL search index's writes and searches beyond the shared contract: writers of one
 * source in two pools (as two processes) take turns, a bulk write replaces many sources, appends
 * from two pools number their chunks without gaps; the full-text index's pending list is bounded;
 * a hybrid search answers alike in one statement and on two connections; a query's tsquery
 * syntax is taken as words, and words or phrases in too many chunks are left out as common. The
 * vector index: search-index-vector.test.ts.
 */

import { COMMON_WORD_CHUNKS } from '@oxydra/memory/store-input';
import { openPostgresStores, type PostgresStores } from '@oxydra/store-postgres';
import { pollUntil } from '@oxydra/testkit/helpers';
import type { SearchIndexStore, SearchSource } from '@oxydra/types';
import pg from 'pg';
import { expect, it } from 'vitest';
import { adminQuery, describePostgres, dropSchema, freshSchema, POSTGRES_URL } from './postgres-helpers.js';
import { chunk, DB_POLL, MODEL, note, twoPools, unit } from './search-index-helpers.js';

describePostgres('PostgreSQL search index: writes and searches', () => {
  const openTwo = twoPools();
  it('serialises replacements of one source across pools: one version stays whole', async () => {
    const { first, second, close } = await openTwo();
    try {
      const stores = [first.searchIndex(MODEL), second.searchIndex(MODEL)];
      const version = (writer: number, round: number) =>
        Array.from({ length: 3 }, (_, i) => chunk(`cedar w${writer} r${round} c${i}`, i));
      const versionOf = (text: string) => text.split(' ').slice(1, 3).join(' ');
      await stores[0]!.replaceSource(note('shared'), version(9, 0));
      // A reader of its own reads the source's rows in one statement (one snapshot) while the
      // writers run. Connected before they start: connecting took longer than all 30 writes on a
      // loaded machine, and the reader then saw none of them.
      const reader = new pg.Client({ connectionString: POSTGRES_URL });
      await reader.connect();
      let writing = true;
      const seen: string[][] = [];
      const writes = Promise.all(
        stores.map(async (store, writer) => {
          for (let round = 0; round < 15; round++)
            await store.replaceSource(note('shared'), version(writer, round));
        }),
      ).finally(() => {
        writing = false;
      });
      try {
        // At least one read, however fast the writers are.
        do {
          const { rows } = await reader.query<{ text: string }>(
            `SELECT text FROM ${first.schema}.search_chunks WHERE source_id = 'shared'`,
          );
          seen.push(rows.map((row) => row.text));
        } while (writing);
        await writes;
      } finally {
        await reader.end();
      }
      // Every read between the writes saw one version whole (three chunks of one writer's round).
      for (const texts of seen) {
        expect(texts).toHaveLength(3);
        expect(new Set(texts.map(versionOf)).size).toBe(1);
      }
      const rows = await adminQuery<{ text: string; ordinal: number }>(
        `SELECT text, ordinal FROM ${first.schema}.search_chunks ORDER BY ordinal`,
      );
      expect(rows).toHaveLength(3);
      expect(rows.map((row) => row.ordinal)).toEqual([0, 1, 2]);
      const [writer, round] = rows[0]!.text.split(' ').slice(1, 3);
      expect(rows.map((row) => row.text)).toEqual([0, 1, 2].map((i) => `cedar ${writer} ${round} c${i}`));
    } finally {
      await close();
    }
  });

  it('replaces many sources in one write (bulk): the last of a source given twice, fields per source, empty removes', async () => {
    const { first, second, close } = await openTwo();
    try {
      const [a, b] = [first.searchIndex(MODEL), second.searchIndex(MODEL)];
      await a.replaceSource(note('gone'), [chunk('gone one', 1)]);
      await a.replaceSource(note('kept'), [chunk('kept old', 2)]);
      await a.replaceSources!([
        { source: note('kept'), chunks: [chunk('kept first try', 3)] },
        { source: note('gone'), chunks: [] },
        {
          source: note('n1'),
          chunks: [chunk('alder one', 4), chunk('alder two', 5)],
          fields: { userId: 'u1', tags: ['b', 'a'] },
        },
        { source: note('kept'), chunks: [chunk('kept new', 6)], fields: { userId: 'u2' } },
      ]);
      const rows = await adminQuery<{
        source_id: string;
        ordinal: number;
        text: string;
        user_id: string | null;
        tags: string[];
      }>(
        `SELECT source_id, ordinal, text, user_id, tags FROM ${first.schema}.search_chunks ORDER BY source_id, ordinal`,
      );
      expect(rows).toEqual([
        { source_id: 'kept', ordinal: 0, text: 'kept new', user_id: 'u2', tags: [] },
        { source_id: 'n1', ordinal: 0, text: 'alder one', user_id: 'u1', tags: ['a', 'b'] },
        { source_id: 'n1', ordinal: 1, text: 'alder two', user_id: 'u1', tags: ['a', 'b'] },
      ]);
      // Each side of a search sees the bulk's chunks with their scope.
      const [nearest] = await a.searchVector(unit(5), { userId: 'u1', tags: ['a'] }, 1);
      expect((await a.chunks([nearest!.chunkId]))[0]?.text).toBe('alder two');
      expect(await a.searchVector(unit(5), { userId: 'u2', tags: ['a'] }, 5)).toEqual([]);
      expect((await a.searchText('alder', { userId: 'u1' }, 5)).length).toBe(2);
      // Vectors of several sources in one read, in the order asked; a source without any is empty.
      const vectors = await a.sourcesVectors!([note('n1'), note('none'), note('kept')]);
      expect(vectors.map((m) => [...m.keys()].sort())).toEqual([
        ['hash-alder one', 'hash-alder two'],
        [],
        ['hash-kept new'],
      ]);
      expect([...vectors[0]!.get('hash-alder two')!]).toEqual([...unit(5)]);
      // Two pools writing overlapping batches in opposite orders, at once: both finish (the
      // sources are locked in one order), and each source ends whole, as one writer's.
      const batch = (writer: number, ids: string[]) =>
        ids.map((id) => ({
          source: note(id),
          chunks: [chunk(`${id} w${writer} x`, 1), chunk(`${id} w${writer} y`, 2)],
        }));
      const ids = Array.from({ length: 20 }, (_, i) => `shared-${i}`);
      await Promise.all(
        Array.from({ length: 5 }, (_, round) => [
          a.replaceSources!(batch(0, round % 2 ? ids : [...ids].reverse())),
          b.replaceSources!(batch(1, round % 2 ? [...ids].reverse() : ids)),
        ]).flat(),
      );
      const shared = await adminQuery<{ source_id: string; texts: string[] }>(
        `SELECT source_id, array_agg(text ORDER BY ordinal) AS texts FROM ${first.schema}.search_chunks
         WHERE source_id LIKE 'shared-%' GROUP BY source_id`,
      );
      expect(shared).toHaveLength(20);
      for (const { source_id, texts } of shared) {
        const writer = texts[0]!.split(' ')[1];
        expect(texts).toEqual([`${source_id} ${writer} x`, `${source_id} ${writer} y`]);
      }
    } finally {
      await close();
    }
  });

  it('numbers appends from two pools after the last chunk, without gaps or repeats', async () => {
    const { first, second, close } = await openTwo();
    try {
      await first.sessions.create({ id: 'chat' });
      const stores = [first.searchIndex(MODEL), second.searchIndex(MODEL)];
      const source: SearchSource = { type: 'conversation', id: 'chat' };
      await Promise.all(
        stores.map(async (store, writer) => {
          for (let turn = 0; turn < 10; turn++) {
            await store.appendChunks(
              source,
              [chunk(`w${writer} t${turn} a`, turn), chunk(`w${writer} t${turn} b`, turn + 1)],
              {
                sessionId: 'chat',
              },
            );
          }
        }),
      );
      const rows = await adminQuery<{ text: string; ordinal: number }>(
        `SELECT text, ordinal FROM ${first.schema}.search_chunks ORDER BY ordinal`,
      );
      expect(rows.map((row) => row.ordinal)).toEqual(Array.from({ length: 40 }, (_, i) => i));
      // Each append's two chunks stay next to each other.
      for (let i = 0; i < 40; i += 2) expect(rows[i + 1]!.text).toBe(rows[i]!.text.replace(/ a$/, ' b'));
      // Deleting the session deletes its chunks.
      await first.sessions.delete('chat');
      expect((await stores[0]!.counts()).chunks).toBe(0);
    } finally {
      await close();
    }
  });

  it("bounds the full-text index's pending list that every full-text search reads whole (256 kB)", async () => {
    const { first, admin, close } = await openTwo();
    try {
      const [index] = await admin<{ reloptions: string[] | null }>(
        `SELECT c.reloptions FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE n.nspname = $1 AND c.relname = 'search_chunks_text'`,
        [first.schema],
      );
      expect(index?.reloptions).toEqual(['gin_pending_list_limit=256']);
    } finally {
      await close();
    }
  });

  it('answers a hybrid search the same with its sides in one statement and on two connections at once', async () => {
    const name = freshSchema();
    const one = await openPostgresStores({
      url: POSTGRES_URL,
      schema: name,
      hybridSidesApartFrom: Number.POSITIVE_INFINITY,
    });
    const apart = await openPostgresStores({ url: POSTGRES_URL, schema: name, hybridSidesApartFrom: 0 });
    try {
      const words = ['tundra lynx', 'river otter', 'lynx tracks in snow', 'otter and lynx', 'pine marten'];
      const writer = one.searchIndex(MODEL);
      for (let i = 0; i < 12; i++) {
        await writer.replaceSource(
          { type: 'note', id: `n${i}` },
          [chunk(`${words[i % words.length]} ${i}`, i), chunk(`aside ${i}`, i + 5)],
          { userId: i % 2 === 0 ? 'u1' : 'u2', tags: i % 3 === 0 ? ['wild'] : [] },
        );
      }
      /** Chunks in id order: the two ways list them in different orders, the lists themselves alike. */
      const answer = async (
        stores: PostgresStores,
        query: Parameters<SearchIndexStore['searchHybrid']>[0],
      ) => {
        const found = await stores.searchIndex(MODEL).searchHybrid(query);
        return { ...found, chunks: [...found.chunks].sort((a, b) => a.id - b.id) };
      };
      const queries = [
        { vector: unit(2), text: 'lynx', scope: {}, limit: 5 },
        { vector: unit(0), text: 'otter lynx', scope: { userId: 'u1' }, limit: 4 },
        { vector: unit(3), text: 'lynx', scope: { tags: ['wild'] }, limit: 8 },
        { vector: unit(7), text: 'nothing matches this', scope: {}, limit: 3 },
      ];
      let both = 0;
      for (const query of queries) {
        const single = await answer(one, query);
        expect(await answer(apart, query)).toEqual(single);
        const byVector = new Set(single.vector.map((c) => c.chunkId));
        both += single.text.filter((c) => byVector.has(c.chunkId)).length;
      }
      // Chunks found by both sides are there: the two ways join them alike.
      expect(both).toBeGreaterThan(0);
    } finally {
      await apart.close();
      await one.close();
      await dropSchema(name);
    }
  });

  it('takes tsquery syntax in a query as words: operators, quotes, prefixes and backslashes', async () => {
    const { first, close } = await openTwo();
    try {
      const store = first.searchIndex(MODEL);
      await store.replaceSource(note('ops'), [
        chunk('quartz ticket OXY-4711 parse_config', 1),
        chunk('quartz basalt', 2),
      ]);
      for (const query of [
        'quartz & !basalt',
        'quartz | ',
        "'quartz':* <-> (",
        '\\quartz\\',
        '!!!',
        '<2> & | ( )',
        "a:B & 'it''s'",
      ]) {
        const found = await store.searchText(query, {}, 10);
        expect(found.every((c) => Number.isFinite(c.score))).toBe(true);
      }
      // "!basalt" is the word "basalt", not NOT basalt: both chunks match, the one with both words first.
      const both = await store.searchText('quartz & !basalt', {}, 10);
      expect((await store.chunks(both.map((c) => c.chunkId))).map((c) => c.text).sort()).toEqual([
        'quartz basalt',
        'quartz ticket OXY-4711 parse_config',
      ]);
      expect(both[0]!.score).toBeGreaterThan(both[1]!.score);
      const [ticket] = await store.searchText('oxy-4711', {}, 10);
      expect((await store.chunks([ticket!.chunkId]))[0]?.text).toContain('OXY-4711');
      expect(await store.searchText('!!! &&& |||', {}, 10)).toEqual([]);
    } finally {
      await close();
    }
  });

  it('leaves out words found in more than COMMON_WORD_CHUNKS chunks, keeping the rare ones', async () => {
    const { first, close } = await openTwo();
    try {
      const store = first.searchIndex(MODEL);
      const many = Array.from({ length: COMMON_WORD_CHUNKS + 5 }, (_, i) =>
        chunk(`everywhere filler ${i}`, i),
      );
      await store.replaceSource(note('common'), many);
      await store.replaceSource(note('rare'), [chunk('everywhere zircon', 3)]);
      // The common word alone: the full-text side sits the query out (the vectors decide).
      expect(await store.searchText('everywhere', {}, 10)).toEqual([]);
      const found = await store.searchText('everywhere zircon', {}, 10);
      expect((await store.chunks(found.map((c) => c.chunkId))).map((c) => c.text)).toEqual([
        'everywhere zircon',
      ]);
    } finally {
      await close();
    }
  });

  it('takes a word the statistics show far past COMMON_WORD_CHUNKS as common without counting it', async () => {
    const { first, schema, admin, close } = await openTwo();
    try {
      const store = first.searchIndex(MODEL);
      // Past common-lexemes.ts's ESTIMATE_MARGIN (1.5) times the cap, by ANALYZE's estimate.
      const many = Array.from({ length: Math.ceil(1.5 * COMMON_WORD_CHUNKS) + 50 }, (_, i) =>
        chunk(`everywhere filler ${i}`, i),
      );
      await store.replaceSource(note('common'), many);
      // Statistics that say "everywhere" is in every chunk, then the chunks gone without a new
      // ANALYZE (autovacuum off, so none comes): only a word taken from the statistics unseen
      // can be left out now, as counting finds it in one chunk.
      await admin(`ALTER TABLE ${schema}.search_chunks SET (autovacuum_enabled = off)`);
      await admin(`ANALYZE ${schema}.search_chunks`);
      await store.deleteSource(note('common'));
      await store.replaceSource(note('rare'), [chunk('everywhere zircon', 3)]);
      // Read in the background after a search asks: at first the word is counted and found.
      await pollUntil(
        async () => (await store.searchText('everywhere', {}, 10)).length === 0,
        'the statistics to make "everywhere" common',
        DB_POLL,
      );
      const found = await store.searchText('everywhere zircon', {}, 10);
      expect((await store.chunks(found.map((c) => c.chunkId))).map((c) => c.text)).toEqual([
        'everywhere zircon',
      ]);
    } finally {
      await close();
    }
  });

  it('leaves out a phrase found in more than COMMON_WORD_CHUNKS chunks, as a common word', async () => {
    const { first, close } = await openTwo();
    try {
      const store = first.searchIndex(MODEL);
      const many = Array.from({ length: COMMON_WORD_CHUNKS + 5 }, (_, i) =>
        chunk(`run the deploy-script again ${i}`, i),
      );
      await store.replaceSource(note('common'), many);
      await store.replaceSource(note('rare'), [chunk('deploy-script zircon', 3)]);
      // The phrase and its words in every chunk: the full-text side sits the query out.
      expect(await store.searchText('deploy-script', {}, 10)).toEqual([]);
      const found = await store.searchText('deploy-script zircon', {}, 10);
      expect((await store.chunks(found.map((c) => c.chunkId))).map((c) => c.text)).toEqual([
        'deploy-script zircon',
      ]);
      // A phrase under the cap is still searched for.
      await store.replaceSource(note('ticket'), [chunk('see OXY-4711', 4)]);
      const ticket = await store.searchText('OXY-4711 deploy-script', {}, 10);
      expect((await store.chunks(ticket.map((c) => c.chunkId))).map((c) => c.text)).toEqual(['see OXY-4711']);
    } finally {
      await close();
    }
  });
});
