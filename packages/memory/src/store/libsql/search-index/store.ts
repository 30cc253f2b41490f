/**
 * The SearchIndexStore on the memory file: chunks in `chunks`, FTS5 over their text, one vector
 * per chunk in `chunk_vectors` (migration 003). Its private accelerations: the in-memory
 * sign-code scan with int16 rerank copies (vector-cache.ts) and the
 * common-word verdicts of the full-text side (fts-search.ts). Those modules load at the first
 * search: a process that only indexes what was said (a first run in a workspace, with nothing
 * yet to recall) never loads them.
 */
import type { Client, InStatement } from '@libsql/client';
import type {
  AppendedChunks,
  ChunkToEmbed,
  HybridCandidates,
  HybridQuery,
  IndexedChunk,
  NewChunk,
  ReplacedSource,
  SearchCandidate,
  SearchIndexCounts,
  SearchIndexStore,
  SearchModel,
  SearchScope,
  SearchSource,
} from '@oxydra/types';
import { taintText } from '@oxydra/types';
import { checkSearchModel, checkVectorDimensions, normaliseTags } from '../../../store-input.js';
import { groupWrite } from '../../local/write-group.js';
import {
  type ChunkRow,
  chunkColumns,
  chunkOf,
  deleteSource,
  insertChunk,
  num,
  PRUNE_TOMBSTONES,
  replaceVector,
  storedVector,
} from './codes.js';
import type { TextCandidates } from './fts-search.js';
import type { VectorCache } from './vector-cache.js';

/** A stored float32 blob as a vector (copied: the blob's buffer may be shared or unaligned). */
function vectorOf(value: unknown): Float32Array | undefined {
  if (!(value instanceof ArrayBuffer) && !(value instanceof Uint8Array)) return undefined;
  const bytes = value instanceof ArrayBuffer ? new Uint8Array(value) : value;
  if (bytes.byteLength % 4 !== 0) return undefined;
  return new Float32Array(bytes.slice().buffer);
}

const toCandidates = (scores: Map<number, number>): SearchCandidate[] =>
  Array.from(scores, ([chunkId, score]) => ({ chunkId, score }));

/** The two scans, with the state they keep between searches (the vector cache, common words). */
interface Searches {
  /** The full-text candidates' scores, best first, and their rows (read in the same statement). */
  text(query: string, scope: SearchScope, limit: number): Promise<TextCandidates>;
  vector(vector: Float32Array, scope: SearchScope, limit: number): Promise<Map<number, number>>;
}

export class LibsqlSearchIndex implements SearchIndexStore {
  readonly model: SearchModel;
  readonly #client: Client;
  readonly #dims: { id: string; dims: number };
  #cache: VectorCache | undefined;
  #searches: Promise<Searches> | undefined;
  /** Candidate rows read lately (ChunkRows, below), from the first search on. */
  #rows: ChunkRows | undefined;

  constructor(client: Client, model: SearchModel) {
    this.#client = client;
    this.model = checkSearchModel(model);
    this.#dims = { id: model.id, dims: model.dimensions };
  }

  /** How many vectors the in-memory scan holds now (what a reload or catch-up left it with). */
  get cachedVectors(): number {
    return this.#cache?.size ?? 0;
  }

  /** The scans, their modules loaded at the first search (the same ones after). */
  #searching(): Promise<Searches> {
    this.#searches ??= Promise.all([
      import('./fts-search.js'),
      import('./scope.js'),
      import('./vector-cache.js'),
    ]).then(([{ CommonWords, ftsCandidates }, { scopeFilter }, { VectorCache, vectorCandidates }]) => {
      const cache = new VectorCache(this.#client, this.#dims.id, this.#dims.dims);
      this.#rows = new ChunkRows();
      // The mark that common words' verdicts hang on, from the refresh the vector side reads anyway.
      const commonWords = new CommonWords(() => cache.tombstoneMark());
      this.#cache = cache;
      return {
        text: (query, scope, limit) =>
          ftsCandidates(this.#client, query, limit, scopeFilter(scope), commonWords),
        vector: (vector, scope, limit) =>
          vectorCandidates(this.#client, cache, vector, limit, scopeFilter(scope)),
      };
    });
    return this.#searches;
  }

  /**
   * Nothing to defer: the vectors are a flat table scanned through an in-memory cache, not an
   * index maintained per row, so a bulk load's writes cost what they would one by one.
   */
  bulkLoad<T>(work: () => Promise<T>): Promise<T> {
    return work();
  }

  async replaceSource(
    source: SearchSource,
    chunks: readonly NewChunk[],
    fields: ReplacedSource = {},
  ): Promise<void> {
    const base = this.#row(source, fields.userId, undefined, JSON.stringify(normaliseTags(fields.tags)));
    const statements: InStatement[] = [deleteSource(source.type, source.id)];
    chunks.forEach((chunk, ordinal) => {
      statements.push(...this.#insert({ ...base, ordinal, text: chunk.text, hash: chunk.hash }, chunk));
    });
    statements.push(PRUNE_TOMBSTONES);
    await this.#client.batch(statements, 'write');
  }

  /**
   * One group-commit job (write-group.ts): calls made together share a COMMIT, each in its own
   * savepoint, so one failing (its session deleted meanwhile) fails alone.
   */
  async appendChunks(
    source: SearchSource,
    chunks: readonly NewChunk[],
    fields: AppendedChunks = {},
  ): Promise<void> {
    if (chunks.length === 0) return;
    const base = this.#row(source, fields.userId, fields.sessionId, '[]');
    const statements = chunks.flatMap((chunk) =>
      this.#insert({ ...base, ordinal: undefined, text: chunk.text, hash: chunk.hash }, chunk),
    );
    await groupWrite(this.#client, (tx) => tx.batch(statements));
  }

  async deleteSource(source: SearchSource): Promise<number> {
    const [removed] = await this.#client.batch(
      [deleteSource(source.type, source.id), PRUNE_TOMBSTONES],
      'write',
    );
    return removed?.rowsAffected ?? 0;
  }

  async presentHashes(source: SearchSource, hashes: readonly string[]): Promise<Set<string>> {
    if (hashes.length === 0) return new Set();
    const known = await this.#client.execute({
      sql: `SELECT content_hash FROM chunks WHERE source_type = ? AND source_id = ?
            AND content_hash IN (SELECT value FROM json_each(?))`,
      args: [source.type, source.id, JSON.stringify(hashes)],
    });
    return new Set(known.rows.map((row) => String(row.content_hash)));
  }

  async sourceVectors(source: SearchSource): Promise<Map<string, Float32Array>> {
    const existing = await this.#client.execute({
      sql: `SELECT c.content_hash, v.vector FROM chunks c
            JOIN chunk_vectors v ON v.chunk_id = c.id AND v.model_id = ? AND v.dims = ?
            WHERE c.source_type = ? AND c.source_id = ?`,
      args: [this.#dims.id, this.#dims.dims, source.type, source.id],
    });
    const vectors = new Map<string, Float32Array>();
    for (const row of existing.rows) {
      const vector = vectorOf(row.vector);
      if (vector?.length === this.#dims.dims) vectors.set(String(row.content_hash), vector);
    }
    return vectors;
  }

  async putVectors(vectors: readonly { chunkId: number; vector: Float32Array }[]): Promise<void> {
    if (vectors.length === 0) return;
    const statements = vectors.flatMap(({ chunkId, vector }) =>
      replaceVector(chunkId, storedVector(this.#checked(vector)), this.#dims),
    );
    statements.push(PRUNE_TOMBSTONES);
    await this.#client.batch(statements, 'write');
  }

  async missingVectors(limit: number, afterId = -1): Promise<ChunkToEmbed[]> {
    const rows = await this.#client.execute({
      sql: `SELECT c.id, c.text FROM chunks c LEFT JOIN chunk_vectors v ON v.chunk_id = c.id
            WHERE (v.id IS NULL OR v.model_id <> ? OR v.dims <> ?) AND c.id > ? ORDER BY c.id LIMIT ?`,
      args: [this.#dims.id, this.#dims.dims, afterId, limit],
    });
    return rows.rows.map((row) => ({ id: num(row.id), text: String(row.text) }));
  }

  async searchText(query: string, scope: SearchScope, limit: number): Promise<SearchCandidate[]> {
    return toCandidates((await (await this.#searching()).text(query, scope, limit)).scores);
  }

  async searchVector(vector: Float32Array, scope: SearchScope, limit: number): Promise<SearchCandidate[]> {
    const checked = this.#checked(vector);
    return toCandidates(await (await this.#searching()).vector(checked, scope, limit));
  }

  /**
   * The two sides at once (the vector scan in memory, the full-text side in the file), then their
   * chunks: the full-text candidates' rows come with their ranking (one statement), the vector
   * candidates' from memory or one read.
   */
  async searchHybrid(query: HybridQuery): Promise<HybridCandidates> {
    const [vector, text] = await Promise.all([
      query.vector ? this.searchVector(query.vector, query.scope, query.limit) : [],
      query.text !== undefined
        ? (await this.#searching()).text(query.text, query.scope, query.limit)
        : { scores: new Map<number, number>(), chunks: new Map<number, IndexedChunk>() },
    ]);
    const ids = new Set([...vector.map((candidate) => candidate.chunkId), ...text.scores.keys()]);
    return {
      vector,
      text: toCandidates(text.scores),
      chunks: await this.#candidateChunks([...ids], vector, text.chunks),
    };
  }

  /**
   * The candidates' rows: the vector candidates' read lately from memory (ChunkRows, below): after
   * the vector side's refresh of the cache (it proposed something), so a removal is seen first,
   * and only for ids the cache proposed, which name the same chunks as its kept rows. Then the
   * rows the full-text ranking read with its candidates (`read`, the file's now); what is left is
   * read (its id is the file's now, and may have no vector).
   */
  async #candidateChunks(
    ids: number[],
    vector: readonly SearchCandidate[],
    read: ReadonlyMap<number, IndexedChunk>,
  ): Promise<IndexedChunk[]> {
    const cache = this.#cache;
    const rows = this.#rows;
    if (cache === undefined || rows === undefined || vector.length === 0) {
      const missing = ids.filter((id) => !read.has(id));
      return [...ids.flatMap((id) => read.get(id) ?? []), ...(await this.chunks(missing))];
    }
    const removals = cache.removals;
    rows.validFor(removals);
    const withVector = new Set(vector.map((candidate) => candidate.chunkId));
    const found: IndexedChunk[] = [];
    const missing: number[] = [];
    for (const id of ids) {
      const row = (withVector.has(id) ? rows.get(id) : undefined) ?? read.get(id);
      if (row === undefined) missing.push(id);
      else found.push(row);
    }
    if (missing.length === 0) return found;
    const fresh = await this.chunks(missing);
    // Not kept when the cache removed a vector during the read: the rows may predate that.
    const unchanged = cache.removals === removals;
    for (const chunk of fresh) {
      if (unchanged && withVector.has(chunk.id)) rows.keep(chunk, removals);
      found.push(chunk);
    }
    return found;
  }

  async chunks(ids: readonly number[]): Promise<IndexedChunk[]> {
    if (ids.length === 0) return [];
    const rows = await this.#client.execute({
      sql: `SELECT ${chunkColumns('chunks')} FROM chunks WHERE id IN (SELECT value FROM json_each(?))`,
      args: [JSON.stringify(ids)],
    });
    return rows.rows.map((row) => chunkOf(row));
  }

  async counts(): Promise<SearchIndexCounts> {
    const [counts, models] = await this.#client.batch(
      [
        `SELECT count(*) AS chunks,
                count(DISTINCT CASE WHEN source_type = 'note' THEN source_id END) AS notes,
                count(DISTINCT CASE WHEN source_type = 'conversation' THEN source_id END) AS conversations
         FROM chunks`,
        'SELECT model_id, dims, count(*) AS n FROM chunk_vectors GROUP BY model_id, dims',
      ],
      'read',
    );
    const vectorsByModel: Record<string, number> = {};
    let current = 0;
    for (const row of models?.rows ?? []) {
      const model = String(row.model_id);
      vectorsByModel[model] = (vectorsByModel[model] ?? 0) + num(row.n);
      if (model === this.#dims.id && num(row.dims) === this.#dims.dims) current = num(row.n);
    }
    const row = counts?.rows[0];
    const chunks = num(row?.chunks);
    return {
      chunks,
      notes: num(row?.notes),
      conversations: num(row?.conversations),
      vectorsByModel,
      missingVectors: chunks - current,
    };
  }

  #row(
    source: SearchSource,
    userId: string | undefined,
    sessionId: string | undefined,
    tags: string,
  ): Omit<ChunkRow, 'ordinal' | 'text' | 'hash' | 'taint'> {
    return {
      sourceType: source.type,
      sourceId: source.id,
      sessionId,
      userId,
      tags,
      createdAt: new Date().toISOString(),
    };
  }

  #insert(row: Omit<ChunkRow, 'taint'>, chunk: NewChunk): InStatement[] {
    const taint = taintText(chunk.taint);
    return insertChunk({ ...row, taint }, storedVector(this.#checked(chunk.vector)), this.#dims);
  }

  #checked(vector: Float32Array): Float32Array {
    return checkVectorDimensions(vector, this.model);
  }
}

/**
 * Chunk rows that recall read lately, kept so the next search does not read them again: the
 * read of a search's candidates (32 + 32 rows with their text) was the largest statement of a
 * persisted kernel turn, and one conversation's recalls keep meeting the same chunks.
 *
 * Why a kept row stays true: a chunk row is never updated (replacing a source deletes its
 * chunks and inserts new ones), only deleted, and its id may then be reused (INTEGER PRIMARY
 * KEY without AUTOINCREMENT). Only rows of chunks the vector cache proposed are kept, and served
 * only for ids it proposes again (store.ts): deleting such a chunk deletes its vector (a
 * trigger), which logs a tombstone, which the cache applies at the next search's refresh and
 * counts in `removals`. Every kept row is dropped when that count moves, so a row is served
 * only while no vector of the cache was removed since it was read. A chunk deleted between a
 * search's refresh and its read of the rows can still come back in that search, as its vector
 * candidate already could (the refresh is what the search saw).
 *
 * Bounded: MAX_ROWS rows, least recently used go first.
 */

const MAX_ROWS = 1024;

/** A copy the caller may change without changing the kept row. */
function copy(chunk: IndexedChunk): IndexedChunk {
  const copied = { ...chunk, source: { ...chunk.source }, tags: [...chunk.tags] };
  if (chunk.taint !== undefined) copied.taint = chunk.taint.map((entry) => ({ ...entry }));
  return copied;
}

class ChunkRows {
  private readonly rows = new Map<number, IndexedChunk>();
  /** The vector cache's removals when the kept rows were read. */
  private mark = -1;

  /** Forgets every row when vectors were removed since they were kept (see the file comment). */
  validFor(removals: number): void {
    if (removals === this.mark) return;
    this.rows.clear();
    this.mark = removals;
  }

  get(id: number): IndexedChunk | undefined {
    const row = this.rows.get(id);
    if (row === undefined) return undefined;
    this.rows.delete(id);
    this.rows.set(id, row);
    return copy(row);
  }

  /**
   * Keeps `chunk`, read while the vector cache had made `removals` removals and holds its
   * vector. Not kept when vectors were removed meanwhile: the row may predate a deletion.
   */
  keep(chunk: IndexedChunk, removals: number): void {
    if (removals !== this.mark) return;
    this.rows.delete(chunk.id);
    this.rows.set(chunk.id, copy(chunk));
    if (this.rows.size > MAX_ROWS) {
      const oldest = this.rows.keys().next().value;
      if (oldest !== undefined) this.rows.delete(oldest);
    }
  }

  get size(): number {
    return this.rows.size;
  }
}
