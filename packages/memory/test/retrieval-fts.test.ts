/** The full-text half: safe MATCH expressions from any input, and dropping common words. */
import type { Client, InStatement } from '@libsql/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDeterministicEmbedder } from '../src/embedders/deterministic.js';
import { buildFtsQuery, Retriever } from '../src/retrieval/index.js';
import { ftsTerms } from '../src/store/libsql/search-index/fts-query.js';
import {
  COMMON_WORD_CHUNKS,
  CommonWords,
  countWords,
  ftsCandidates,
  ftsMatch,
} from '../src/store/libsql/search-index/fts-search.js';
import { scopeFilter } from '../src/store/libsql/search-index/scope.js';
import { LibsqlSearchIndex } from '../src/store/libsql/search-index/store.js';
import { VectorCache } from '../src/store/libsql/search-index/vector-cache.js';
import { type TempDb, tempDb } from './retrieval-helpers.js';

const HOSTILE = [
  '"',
  '""',
  "'",
  'NEAR(deploy script, 2)',
  'deploy NEAR script',
  '*',
  'deploy*',
  '(',
  ')',
  '(deploy OR',
  'AND',
  'OR OR OR',
  'NOT deploy',
  '-deploy',
  '^deploy',
  'text:deploy',
  '{text}: deploy',
  'deploy + script',
  '"unbalanced quote',
  '\u0000 \u202e deploy',
  'café naïve 東京 😀',
];

/** Note chunks with no vectors, straight into the table: enough of them to make words common. */
function chunkRows(count: number, text: (i: number) => string): InStatement[] {
  const now = new Date().toISOString();
  return Array.from({ length: count }, (_, i) => ({
    sql: `INSERT INTO chunks (source_type, source_id, ordinal, text, content_hash, tags, created_at)
          VALUES ('note', ?, 0, ?, ?, '[]', ?)`,
    args: [`note-${i}`, text(i), `h${i}`, now],
  }));
}

/**
 * Calls `seen` with the statements of every batch and every single statement (as a list of one)
 * `client` runs from now on: the search counts its words in one statement, through execute.
 */
function watchBatches(client: Client, seen: (stmts: Parameters<Client['batch']>[0]) => void): void {
  const batch = client.batch.bind(client);
  client.batch = ((stmts: Parameters<typeof batch>[0], mode?: Parameters<typeof batch>[1]) => {
    seen(stmts);
    return batch(stmts, mode);
  }) as typeof batch;
  const execute = client.execute.bind(client);
  client.execute = ((stmt: InStatement) => {
    seen([stmt]);
    return execute(stmt);
  }) as typeof execute;
}

describe('buildFtsQuery', () => {
  it('quotes every word, so FTS operators are only words', () => {
    expect(buildFtsQuery('deploy NEAR script')).toBe('"deploy" OR "near" OR "script"');
    expect(buildFtsQuery('NOT (a OR b)*')).toBe('"b"');
    expect(buildFtsQuery('"quoted" ^start text:col')).toBe(
      '"text col" OR "quoted" OR "start" OR "text" OR "col"',
    );
  });

  it('adds identifiers as phrases of their parts', () => {
    expect(ftsTerms('see OXY-4711 today')).toEqual({
      phrases: ['"oxy 4711"'],
      words: ['"see"', '"oxy"', '"4711"', '"today"'],
    });
    expect(buildFtsQuery('parse_config')).toBe('"parse config" OR "parse" OR "config"');
  });

  it('drops stop words unless there is nothing else', () => {
    expect(buildFtsQuery('what is the deploy script')).toBe('"deploy" OR "script"');
    expect(buildFtsQuery('to be or not to be')).toBe('"to" OR "be" OR "or" OR "not"');
    expect(buildFtsQuery('  ')).toBeUndefined();
    expect(buildFtsQuery('!!! ---')).toBeUndefined();
  });
});

describe('FTS against the database', () => {
  let db: TempDb;
  let retriever: Retriever;

  beforeAll(async () => {
    db = await tempDb();
    retriever = new Retriever(db.client, createDeterministicEmbedder(), { vectorWeight: 0, ftsWeight: 1 });
    await retriever.indexNote({
      id: 'note-deploy',
      content: 'The deploy script is near the NEAR ticket OXY-4711.',
    });
    await retriever.indexNote({ id: 'note-cafe', content: 'Meet at the café in 東京 😀 on Monday.' });
    await retriever.indexNote({ id: 'note-other', content: 'Unrelated words about gardening and tomatoes.' });
  });

  afterAll(async () => {
    await db.cleanup();
  });

  it('runs every hostile query without an FTS syntax error, finding the literal words', async () => {
    for (const query of HOSTILE) {
      const hits = await retriever.search({ query });
      if (query.includes('deploy')) expect(hits[0]?.noteId, query).toBe('note-deploy');
    }
    const near = await retriever.search({ query: 'NEAR(deploy script, 2)' });
    expect(near[0]?.noteId).toBe('note-deploy');
    const unicode = await retriever.search({ query: 'cafe 東京' });
    expect(unicode[0]?.noteId).toBe('note-cafe');
  });

  it("reads the full-text candidates' rows with their ranking, not in a read of their own", async () => {
    const fresh = await tempDb();
    try {
      const search = new Retriever(fresh.client, createDeterministicEmbedder(), {
        vectorWeight: 0,
        ftsWeight: 1,
      });
      await search.indexNote({ id: 'note-a', content: 'The deploy script lives in ops.', tags: ['ops'] });
      await search.indexNote({ id: 'note-b', content: 'A deploy checklist for Fridays.' });
      const statements: string[] = [];
      watchBatches(fresh.client, (stmts) => statements.push(...stmts.map((stmt) => JSON.stringify(stmt))));
      const hits = await search.search({ query: 'deploy script' });
      expect(hits.map((hit) => [hit.noteId, hit.text, hit.tags])).toEqual([
        ['note-a', 'The deploy script lives in ops.', ['ops']],
        ['note-b', 'A deploy checklist for Fridays.', undefined],
      ]);
      expect(statements.filter((stmt) => stmt.includes('bm25'))).toHaveLength(1);
      expect(statements.filter((stmt) => stmt.includes('json_each'))).toEqual([]);
    } finally {
      await fresh.cleanup();
    }
  });

  it('finds an identifier by its exact spelling', async () => {
    const hits = await retriever.search({ query: 'OXY-4711' });
    expect(hits.map((hit) => hit.noteId)).toEqual(['note-deploy']);
  });

  it('drops words found in more than COMMON_WORD_CHUNKS chunks, keeping the rare ones', async () => {
    const big = await tempDb();
    try {
      await big.client.batch(
        chunkRows(
          COMMON_WORD_CHUNKS + 50,
          (i) => `common words everywhere ${i % 3 === 0 ? 'frequent' : ''} item${i}`,
        ),
        'write',
      );
      expect(await ftsMatch(big.client, 'common item7')).toBe('"item7"');
      // Rarest first; "frequent" (in a third of the chunks: ~517) still fits the budget.
      expect(await ftsMatch(big.client, 'frequent item7 common')).toBe('"item7" OR "frequent"');
      // Only common words: no full-text search at all (the vectors decide).
      expect(await ftsMatch(big.client, 'common words')).toBeUndefined();
      // Even alone: scoring ~1,600 chunks is the cost this avoids.
      expect(await ftsMatch(big.client, 'common')).toBeUndefined();
      expect(await ftsMatch(big.client, 'frequent')).toBe('"frequent"');
      // Words that occur nowhere are dropped, identifiers kept as phrases.
      expect(await ftsMatch(big.client, 'nowhere OXY-1')).toBe('"oxy 1"');
    } finally {
      await big.cleanup();
    }
  });

  it('drops a phrase found in more than COMMON_WORD_CHUNKS chunks, as a common word', async () => {
    const big = await tempDb();
    try {
      await big.client.batch(
        chunkRows(
          COMMON_WORD_CHUNKS + 50,
          (i) => `read notes.txt again, item${i} ${i < 40 ? 'draft-7' : ''}`,
        ),
        'write',
      );
      // Every run of a program naming the same file: the phrase is in every chunk, its words too.
      expect(await ftsMatch(big.client, 'Read notes.txt')).toBeUndefined();
      expect(await ftsMatch(big.client, 'notes.txt item7')).toBe('"item7"');
      // A phrase under the cap stays, ahead of the words; one found nowhere costs nothing, kept.
      expect(await ftsMatch(big.client, 'notes.txt draft-7 OXY-1')).toBe(
        '"draft 7" OR "oxy 1" OR "draft" OR "7"',
      );
      const common = new CommonWords();
      expect(await ftsMatch(big.client, 'notes.txt item9', common)).toBe('"item9"');
      expect(common.known('"notes txt"')).toBe(true);
    } finally {
      await big.cleanup();
    }
  });

  it('counts a phrase only when each of its counted words is common (it is in no more chunks than they are)', async () => {
    const big = await tempDb();
    try {
      await big.client.batch(
        chunkRows(COMMON_WORD_CHUNKS + 50, (i) =>
          // "alpha" and "beta" in every chunk, as the phrase "alpha beta" in ten of them only.
          i < 10 ? `alpha-beta item${i}` : `beta alpha notes.txt ${i < 40 ? 'draft-7' : ''}`,
        ),
        'write',
      );
      // "draft" is in 30 chunks, so "draft 7" is in no more: not counted (keptPhrases keeps it).
      const rare = await countWords(big.client, ['"draft 7"', '"draft"', '"7"']);
      expect([...rare]).toEqual([
        ['"draft"', 30],
        ['"7"', 30],
      ]);
      // Its words common: the phrase is counted, common or not.
      const counted = await countWords(big.client, [
        '"notes txt"',
        '"alpha beta"',
        '"notes"',
        '"alpha"',
        '"beta"',
      ]);
      expect(counted.get('"notes txt"')).toBe(COMMON_WORD_CHUNKS + 1);
      expect(counted.get('"alpha beta"')).toBe(10);
      // A word in no chunk bounds nothing (the tokenizer may read it as no token): counted.
      const absent = await countWords(big.client, ['"nowhere alpha"', '"nowhere"', '"alpha"']);
      expect(absent.get('"nowhere alpha"')).toBe(0);
      // The same search terms as counting every phrase would give.
      expect(await ftsMatch(big.client, 'notes.txt draft-7')).toBe('"draft 7" OR "draft" OR "7"');
      expect(await ftsMatch(big.client, 'alpha-beta notes.txt')).toBe('"alpha beta"');
      const common = new CommonWords();
      expect(await ftsMatch(big.client, 'alpha-beta', common)).toBe('"alpha beta"');
      // Its words known common (not counted again): the phrase is counted, and kept.
      expect(common.known('"alpha"')).toBe(true);
      expect(await ftsMatch(big.client, 'alpha-beta', common)).toBe('"alpha beta"');
      expect(await ftsMatch(big.client, 'draft-7 alpha', common)).toBe('"draft 7" OR "draft" OR "7"');
    } finally {
      await big.cleanup();
    }
  });

  it('counts every word of a search, and reads the mark, in one statement (no read transaction)', async () => {
    const big = await tempDb();
    try {
      await big.client.batch(
        chunkRows(
          COMMON_WORD_CHUNKS + 50,
          (i) => `common ${i % 3 === 0 ? 'frequent' : ''} item${i} OXY-${i % 7}`,
        ),
        'write',
      );
      const reads: string[][] = [];
      watchBatches(big.client, (stmts) => reads.push(stmts.map((stmt) => JSON.stringify(stmt))));
      const common = new CommonWords();
      expect(await ftsMatch(big.client, 'frequent item7 common OXY-3 nowhere', common)).toBe(
        '"oxy 3" OR "item7" OR "3" OR "frequent"',
      );
      // One statement holds the five counts and the mark: the same consistent read, no BEGIN/COMMIT.
      expect(reads).toHaveLength(1);
      expect(reads[0]).toHaveLength(1);
      for (const term of ['oxy 3', 'frequent', 'item7', 'common', 'nowhere', 'chunk_vector_tombstones'])
        expect(reads[0]?.[0]).toContain(term);
      // The counts are the capped counts each word has alone: "common" is in every chunk.
      expect(common.known('"common"')).toBe(true);
      expect(common.known('"frequent"')).toBe(false);
    } finally {
      await big.cleanup();
    }
  });

  it('counts a common word again once per recheck, not once per search running then', async () => {
    const big = await tempDb();
    try {
      await big.client.batch(
        chunkRows(COMMON_WORD_CHUNKS + 10, (i) => `common item${i}`),
        'write',
      );
      const common = new CommonWords();
      // Counted once, then taken as common until a recheck falls due (64 uses).
      for (let i = 0; i < 65; i++) expect(await ftsMatch(big.client, 'common', common)).toBeUndefined();
      const counted: string[] = [];
      watchBatches(big.client, (stmts) => {
        for (const stmt of stmts) if (JSON.stringify(stmt).includes('common')) counted.push('common');
      });
      // Many agents' recalls at once (a kernel's batch of turns): one of them recounts.
      const answers = await Promise.all(
        Array.from({ length: 20 }, () => ftsMatch(big.client, 'common', common)),
      );
      expect(new Set(answers)).toEqual(new Set([undefined]));
      expect(counted).toHaveLength(1);
    } finally {
      await big.cleanup();
    }
  });

  it('takes the tombstone mark from the vector cache once it is loaded, and still sees deletions', async () => {
    const big = await tempDb();
    try {
      await big.client.batch(
        chunkRows(COMMON_WORD_CHUNKS + 10, (i) => `common item${i}`),
        'write',
      );
      await big.client.execute(
        "INSERT INTO chunk_vectors (chunk_id, model_id, dims, code, vector) VALUES (1, 'm', 1, x'00', x'00')",
      );
      const cache = new VectorCache(big.client, 'm', 1);
      const common = new CommonWords(() => cache.tombstoneMark());
      const batches: string[] = [];
      watchBatches(big.client, (stmts) => batches.push(JSON.stringify(stmts)));
      // The cache not loaded yet: the search reads the mark itself (it does not load the cache).
      expect(await ftsMatch(big.client, 'common', common)).toBeUndefined();
      expect(await ftsMatch(big.client, 'common', common)).toBeUndefined();
      expect(batches.filter((b) => b.includes('chunk_vector_tombstones'))).toHaveLength(2);
      await cache.refresh();
      batches.length = 0;
      // Loaded, with a refresh queued (a recall's vector side asked first): the searches asking
      // meanwhile share it, and read no mark of their own.
      const refreshed = cache.refresh();
      const answers = await Promise.all(
        Array.from({ length: 5 }, () => ftsMatch(big.client, 'common', common)),
      );
      await refreshed;
      expect(new Set(answers)).toEqual(new Set([undefined]));
      // (The search reads the mark as its column `seq`, with its counts; the refresh as `tombstones`.)
      const marks = () => batches.filter((b) => b.includes("'chunk_vector_tombstones') AS seq"));
      expect(marks()).toEqual([]);
      expect(batches).toHaveLength(1);
      // None queued: the search reads the mark itself (not a refresh of its own, three reads).
      expect(await ftsMatch(big.client, 'common', common)).toBeUndefined();
      expect(marks()).toHaveLength(1);
      expect(batches).toHaveLength(2);
      // A chunk deleted with its vector moves the mark the refresh reads: counted again.
      await big.client.execute('DELETE FROM chunks WHERE id <= 20');
      const again = cache.refresh();
      expect(await ftsMatch(big.client, 'common', common)).toBe('"common"');
      await again;
    } finally {
      await big.cleanup();
    }
  });

  it('ranks as FTS5 orders by rank: the same candidates, scores and order, ties by rowid', async () => {
    const big = await tempDb();
    try {
      // Many equal scores (same words, same length) among different ones, more than the limit.
      const words = ['alpha', 'beta', 'gamma', 'delta'];
      await big.client.batch(
        chunkRows(
          400,
          (i) => `${words[i % 4]} ${words[(i * 7) % 4]} filler${i % 5} ${i % 9 === 0 ? 'x y z' : ''}`,
        ),
        'write',
      );
      const unfiltered = scopeFilter({});
      for (const query of ['alpha beta', 'gamma', 'delta alpha filler3', 'beta x']) {
        const match = await ftsMatch(big.client, query);
        const byRank = await big.client.execute({
          sql: 'SELECT rowid AS id, rank FROM chunks_fts WHERE chunks_fts MATCH ? ORDER BY rank LIMIT 32',
          args: [match ?? ''],
        });
        const expected = byRank.rows.map((row) => [Number(row.id), -Number(row.rank)]);
        expect(expected.length).toBe(32);
        const found = await ftsCandidates(big.client, query, 32, unfiltered);
        expect([...found.scores], query).toEqual(expected);
        // Each candidate's row, read in the ranking's statement, is the row the chunks read gives.
        const ids = [...found.scores.keys()];
        expect([...found.chunks.keys()].sort((a, b) => a - b)).toEqual([...ids].sort((a, b) => a - b));
        const index = new LibsqlSearchIndex(big.client, { id: 'm', dimensions: 1 });
        expect(await index.chunks(ids)).toEqual(ids.sort((a, b) => a - b).map((id) => found.chunks.get(id)));
      }
    } finally {
      await big.cleanup();
    }
  });

  it('remembers common words, and counts them again once chunks were deleted', async () => {
    const big = await tempDb();
    try {
      const rows = chunkRows(COMMON_WORD_CHUNKS + 10, (i) => `common item${i}`);
      await big.client.batch(rows, 'write');
      // Every statement that reaches the database, to see which words were counted.
      const statements: string[] = [];
      watchBatches(big.client, (stmts) => {
        for (const stmt of stmts) statements.push(JSON.stringify(stmt));
      });
      const common = new CommonWords();
      expect(await ftsMatch(big.client, 'common item7', common)).toBe('"item7"');
      statements.length = 0;
      expect(await ftsMatch(big.client, 'common item8', common)).toBe('"item8"');
      expect(statements.filter((s) => s.includes('common'))).toEqual([]);
      expect(statements.filter((s) => s.includes('item8'))).toHaveLength(1);

      // A chunk deleted with its vector moves the tombstone mark: the verdict is counted again.
      await big.client.execute(
        "INSERT INTO chunk_vectors (chunk_id, model_id, dims, code, vector) VALUES (1, 'm', 1, x'00', x'00')",
      );
      await big.client.execute(`DELETE FROM chunks WHERE id <= 20`);
      expect(await ftsMatch(big.client, 'common', common)).toBe('"common"');

      // Deleted by hand with no vector (no tombstone): recounted within 64 uses.
      await big.client.batch(rows.slice(0, 20), 'write');
      expect(await ftsMatch(big.client, 'common', common)).toBeUndefined();
      await big.client.execute(
        `DELETE FROM chunks WHERE source_id IN ('note-0', 'note-1', 'note-2', 'note-3', 'note-4', 'note-5', 'note-6', 'note-7', 'note-8', 'note-9', 'note-10')`,
      );
      const answers = new Set<string | undefined>();
      for (let i = 0; i < 65; i++) answers.add(await ftsMatch(big.client, 'common', common));
      expect([...answers]).toEqual([undefined, '"common"']);
    } finally {
      await big.cleanup();
    }
  });
});
