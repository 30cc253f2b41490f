/**
 * The code store's scan (WebAssembly for large stores, code-scan.ts) against scoreCodes, the
 * JavaScript scan it replaces: the same scores to the bit, so the same selection, ties and order.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createDeterministicEmbedder } from '../src/embedders/deterministic.js';
import { Retriever } from '../src/retrieval/index.js';
import { CodeStore, TopK } from '../src/store/libsql/search-index/code-scan.js';
import { codeBytes, scoreCodes, scoreTables } from '../src/store/libsql/search-index/codes.js';
import type { ScopeFilter } from '../src/store/libsql/search-index/scope.js';
import { VectorCache, vectorCandidates } from '../src/store/libsql/search-index/vector-cache.js';
import { ALL_SCOPES, addSession, type TempDb, tempDb } from './retrieval-helpers.js';

const MODEL = 'deterministic-v1-256';
const ALL = ALL_SCOPES;

function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return state / 2 ** 32;
  };
}

/**
 * `count` random codes, a third of them copies of earlier ones (equal scores: ties), and a few
 * all-zero and all-one codes.
 */
function randomCodes(count: number, bytes: number, seed: number): Uint8Array {
  const next = random(seed);
  const codes = new Uint8Array(count * bytes);
  for (let i = 0; i < count; i++) {
    const at = i * bytes;
    if (i > 0 && next() < 1 / 3) {
      const from = Math.floor(next() * i) * bytes;
      codes.copyWithin(at, from, from + bytes);
    } else if (i % 97 === 5) {
      codes.fill(i % 2 === 0 ? 0 : 255, at, at + bytes);
    } else {
      for (let b = 0; b < bytes; b++) codes[at + b] = Math.floor(next() * 256);
    }
  }
  return codes;
}

/** A query whose coordinates are few distinct values (many equal table entries), or random. */
function query(dims: number, seed: number, coarse: boolean): Float32Array {
  const next = random(seed);
  return Float32Array.from({ length: dims }, () =>
    coarse ? Math.floor(next() * 3) - 1 : (next() * 2 - 1) * 10 ** Math.floor(next() * 6 - 3),
  );
}

function fill(store: CodeStore, codes: Uint8Array, count: number): void {
  store.grow(count);
  for (let slot = 0; slot < count; slot++) {
    store.set(slot, codes.subarray(slot * store.bytes, (slot + 1) * store.bytes));
  }
}

function reference(codes: Uint8Array, count: number, bytes: number, tables: Float64Array): Float64Array {
  const out = new Float64Array(count);
  scoreCodes(new Uint32Array(codes.buffer, 0, (count * bytes) / 4), count, bytes, tables, out);
  return out;
}

/** The first slots whose scores differ in any bit (+0/-0 and the last bit count), none when equal. */
function differences(scores: Float64Array, expected: Float64Array): number[] {
  const a = new BigUint64Array(scores.buffer, scores.byteOffset, scores.length);
  const b = new BigUint64Array(expected.buffer, expected.byteOffset, expected.length);
  const slots: number[] = [];
  for (let i = 0; i < Math.max(a.length, b.length) && slots.length < 10; i++)
    if (a[i] !== b[i]) slots.push(i);
  return slots;
}

function selection(scores: Float64Array, k: number): [number, number][] {
  const top = new TopK(k);
  for (let i = 0; i < scores.length; i++) if (scores[i]! > top.threshold) top.push(i, scores[i]!);
  return top.sortedEntries();
}

describe('code store scan', () => {
  for (const dims of [256, 100, 1536]) {
    it(`scores ${dims}-dimension codes to the bit as scoreCodes, in WebAssembly`, () => {
      const bytes = codeBytes(dims);
      const count = dims === 1536 ? 3000 : 9000;
      const codes = randomCodes(count, bytes, dims);
      const store = new CodeStore(bytes, 0);
      fill(store, codes, count);
      expect(store.wasm).toBe(true);
      for (const [seed, coarse] of [
        [1, false],
        [2, true],
        [3, false],
      ] as const) {
        const tables = scoreTables(query(dims, seed, coarse));
        const expected = reference(codes, count, bytes, tables);
        const out = new Float64Array(count);
        store.scoreInto(tables, count, out);
        expect(differences(out, expected)).toEqual([]);
        expect(selection(out, 512)).toEqual(selection(expected, 512));
        // Ties: copies score the same, so the pool holds equal scores.
        expect(new Set(selection(out, 512).map(([, score]) => score)).size).toBeLessThan(512);
      }
    });
  }

  it('scores any span (a repeated query scoring only new slots) as a full scan does', () => {
    const bytes = 32;
    const count = 10000;
    const codes = randomCodes(count, bytes, 7);
    const store = new CodeStore(bytes, 0);
    fill(store, codes, count);
    const tables = scoreTables(query(256, 9, false));
    const expected = reference(codes, count, bytes, tables);
    const out = new Float64Array(count);
    // Spans below and above the JavaScript cut-off, across the 4,096-code blocks, to the end.
    for (const [from, to] of [
      [0, 3],
      [3, 200],
      [200, 5000],
      [5000, 8193],
      [8193, 8200],
      [8200, count],
    ] as const) {
      store.scoreInto(tables, to, out, from);
    }
    expect(differences(out, expected)).toEqual([]);
  });

  it('keeps its codes when it moves into WebAssembly and grows there, and moves a slot', () => {
    const bytes = 16;
    const codes = randomCodes(6000, bytes, 11);
    const store = new CodeStore(bytes, 2048);
    fill(store, codes, 1024);
    expect(store.wasm).toBe(false);
    const tables = scoreTables(query(100, 4, false));
    const small = new Float64Array(1024);
    store.scoreInto(tables, 1024, small);
    expect(differences(small, reference(codes, 1024, bytes, tables))).toEqual([]);
    // 1,024 → 2,048 (into WebAssembly, codes copied) → 8,192 (the memory grows: new views).
    for (const capacity of [2048, 8192]) {
      store.grow(capacity);
      for (let slot = 1024; slot < Math.min(capacity, 6000); slot++) {
        store.set(slot, codes.subarray(slot * bytes, (slot + 1) * bytes));
      }
    }
    expect(store.wasm).toBe(true);
    // The last slot moves into slot 10's place, as a removal does.
    store.move(5999, 10);
    codes.copyWithin(10 * bytes, 5999 * bytes, 6000 * bytes);
    const out = new Float64Array(5999);
    store.scoreInto(tables, 5999, out);
    expect(differences(out, reference(codes, 5999, bytes, tables))).toEqual([]);
  });
});

describe('the vector cache scanning in WebAssembly', () => {
  let db: TempDb;
  beforeEach(async () => {
    db = await tempDb();
  });
  afterEach(async () => {
    await db.cleanup();
  });

  it('finds what the JavaScript scan finds: pools, ties, order, filters, after a removal', async () => {
    const retriever = new Retriever(db.client, createDeterministicEmbedder());
    await addSession(db.client, 's1', 'ann');
    // A third of the chunks share one text (equal codes: ties in every pool).
    for (let n = 0; n < 420; n++) {
      const text = n % 3 === 0 ? 'harbour lantern tide' : `harbour lantern ${n % 11} tide ledger ${n}`;
      if (n % 2 === 0) await retriever.indexNote({ id: `note-${n}`, content: text, userId: 'ann' });
      else
        await retriever.indexConversation({
          sessionId: 's1',
          userId: 'ann',
          messages: [{ role: 'user', content: text }],
        });
    }
    // No memo: every search scans every code (over 256: the WebAssembly path, not the small-span one).
    const wasm = new VectorCache(db.client, MODEL, 256, undefined, 0, 0);
    const js = new VectorCache(db.client, MODEL, 256, undefined, 0, Number.POSITIVE_INFINITY);
    const queries = await createDeterministicEmbedder().embed([
      'harbour lantern tide',
      'ledger 7',
      'tide 3 ledger',
    ]);
    const filters: ScopeFilter[] = [ALL, { ...ALL, includeConversation: false }, { ...ALL, sessionId: 's1' }];
    const expectSame = async () => {
      for (const query of queries) {
        for (const filter of filters) {
          expect(wasm.search(query, 128, filter)).toEqual(js.search(query, 128, filter));
          const fromWasm = await vectorCandidates(db.client, wasm, query, 8, filter);
          expect([...fromWasm]).toEqual([...(await vectorCandidates(db.client, js, query, 8, filter))]);
        }
      }
    };
    await expectSame();
    await retriever.removeSource('note', 'note-4');
    await expectSame();
  });
});
