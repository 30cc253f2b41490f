/**
 * The PostgreSQL SearchIndexStore: chunks of notes and conversations in search_chunks, each with
 * its English tsvector (GIN) and at most one vector (pgvector, HNSW per model); see
 * migration.ts for the tables and model.ts for the per-model index.
 *
 * Atomic across processes: replaceSource, appendChunks and deleteSource take a transaction
 * advisory lock on the source (schema, type, id) first, so two writers of one source take turns
 * (without it, a second replace's DELETE would not see the rows the first one inserted, and both
 * versions would stay). A search is one statement, so it reads one snapshot: the old chunks or
 * the new, never a mix; a hybrid search reads its candidates and their chunks in that one
 * statement too (candidates.ts), up to SIDES_APART_FROM chunks. From there each side is a statement
 * of its own, both at once on two connections (faster there: docs/postgres.md), so its two lists
 * may come from two snapshots: a source replaced between them can show both versions once.
 * appendChunks numbers its chunks after the source's last under that lock.
 *
 * A write is one round trip (a turn's prompt and answer are appended to its session's source):
 * its lock, its one statement and the COMMIT go out together (PgDatabase.batch), so each writer
 * below sends its statement before it awaits anything. A failed statement turns the COMMIT into
 * a ROLLBACK, reported as that statement's error.
 */

import {
  checkSearchModel,
  checkVectorDimensions,
  isZeroVector,
  normaliseTags,
} from '@oxydra/memory/store-input';
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
  SourceReplacement,
} from '@oxydra/types';
import { parseTaint, taintText } from '@oxydra/types';
import type { PgDatabase, Sql } from '../database.js';
import { lastPerSource, replaceSourcesSql } from './bulk.js';
import { bulkLoad } from './bulk-load.js';
import { candidateCtes, type HybridRow, hybridSql, joinSides } from './candidates.js';
import { commonLexemes } from './common-lexemes.js';
import { vectorSearchRows } from './filtered-scan.js';
import { indexSize } from './index-size.js';
import { afterLock } from './locks.js';
import { prepareModel } from './model.js';
import type { ModelSql } from './model-sql.js';
import type { PeriodicReading } from './periodic-reading.js';

interface ChunkRow {
  id: number;
  source_type: string;
  source_id: string;
  session_id: string | null;
  user_id: string | null;
  text: string;
  content_hash: string;
  tags: string[];
  /** taintText's JSON, or null. */
  taint: string | null;
}

/**
 * Chunks (all models') from which a hybrid search with both sides runs them on two connections
 * at once rather than in one statement: measured with bench/pg-search.mjs (docs/postgres.md).
 */
const SIDES_APART_FROM = 5_000;

type HybridChunkRow = ChunkRow & HybridRow;

/** The largest half-precision value (the HNSW index's halfvec). */
const HALF_MAX = 65504;

/** pgvector's text form: `[1,2.5,-3]` (float32 values print back to the same float32). */
function vectorText(vector: Float32Array): string {
  return `[${vector.join(',')}]`;
}

function parseVector(text: string): Float32Array {
  return Float32Array.from(text.slice(1, -1).split(','), Number);
}

/** Vector candidates nearest first (the full-precision distance, ties by id), scored by similarity. */
function vectorOrder(rows: { id: number; distance: number }[]): SearchCandidate[] {
  rows.sort((a, b) => a.distance - b.distance || a.id - b.id);
  return rows.map((row) => ({ chunkId: row.id, score: 1 - row.distance }));
}

function toChunk(row: ChunkRow): IndexedChunk {
  const chunk: IndexedChunk = {
    id: row.id,
    source: { type: row.source_type === 'conversation' ? 'conversation' : 'note', id: row.source_id },
    text: row.text,
    hash: row.content_hash,
    tags: row.tags,
  };
  if (row.session_id !== null) chunk.sessionId = row.session_id;
  if (row.user_id !== null) chunk.userId = row.user_id;
  const taint = parseTaint(row.taint);
  if (taint !== undefined) chunk.taint = taint;
  return chunk;
}

export class PostgresSearchIndex implements SearchIndexStore {
  readonly model: SearchModel;
  readonly #db: PgDatabase;
  #prepared: Promise<ModelSql> | undefined;
  /** Bulk loads under way through this store: a call made meanwhile joins them (bulk-load.ts). */
  #loads = 0;
  readonly #size: PeriodicReading<number>;
  /** Lexemes the statistics show common, which the full-text side need not count (common-lexemes.ts). */
  readonly #common: PeriodicReading<readonly string[]>;
  readonly #sidesApartFrom: number;

  /** `sidesApartFrom`: SIDES_APART_FROM unless told (a test or the bench comparing the two ways). */
  constructor(db: PgDatabase, model: SearchModel, sidesApartFrom = SIDES_APART_FROM) {
    this.model = checkSearchModel(model);
    this.#db = db;
    this.#size = indexSize(db);
    this.#common = commonLexemes(db);
    this.#sidesApartFrom = sidesApartFrom;
  }

  /** The model's key and SQL, prepared at the first call (again after a failure). */
  #sql(): Promise<ModelSql> {
    if (!this.#prepared) {
      this.#prepared = prepareModel(this.#db, this.model);
      this.#prepared.catch(() => {
        this.#prepared = undefined;
      });
    }
    return this.#prepared;
  }

  async bulkLoad<T>(work: () => Promise<T>): Promise<T> {
    if (this.#loads > 0) return work();
    this.#loads += 1;
    try {
      return await bulkLoad(this.#db, await this.#sql(), work);
    } finally {
      this.#loads -= 1;
    }
  }

  async replaceSource(
    source: SearchSource,
    chunks: readonly NewChunk[],
    fields: ReplacedSource = {},
  ): Promise<void> {
    const vectors = chunks.map((chunk) => this.#vector(chunk.vector));
    const model = await this.#sql();
    await this.#db.batch((sql) =>
      afterLock(sql, source, async () => {
        if (chunks.length === 0) {
          await sql.query('DELETE FROM search_chunks WHERE source_type = $1 AND source_id = $2', [
            source.type,
            source.id,
          ]);
          return;
        }
        await this.#insert(sql, model, source, chunks, vectors, {
          userId: fields.userId,
          sessionId: undefined,
          tags: normaliseTags(fields.tags),
          mode: 'replace',
        });
      }),
    );
  }

  async replaceSources(replacements: readonly SourceReplacement[]): Promise<void> {
    const distinct = lastPerSource(replacements);
    if (distinct.length === 0) return;
    const vectors = distinct.map((r) => r.chunks.map((chunk) => this.#vector(chunk.vector)));
    const tags = distinct.map((r) => normaliseTags(r.fields?.tags));
    const model = await this.#sql();
    const sources = distinct.map((r) => r.source);
    await this.#db.batch((sql) =>
      afterLock(sql, sources, () => replaceSourcesSql(sql, model, distinct, vectors, tags)),
    );
  }

  async appendChunks(
    source: SearchSource,
    chunks: readonly NewChunk[],
    fields: AppendedChunks = {},
  ): Promise<void> {
    if (chunks.length === 0) return;
    const vectors = chunks.map((chunk) => this.#vector(chunk.vector));
    const model = await this.#sql();
    await this.#db.batch((sql) =>
      afterLock(sql, source, () =>
        this.#insert(sql, model, source, chunks, vectors, {
          userId: fields.userId,
          sessionId: fields.sessionId,
          tags: [],
          mode: 'append',
        }),
      ),
    );
  }

  async deleteSource(source: SearchSource): Promise<number> {
    return this.#db.batch((sql) =>
      afterLock(sql, source, async () => {
        const { rowCount } = await sql.query(
          'DELETE FROM search_chunks WHERE source_type = $1 AND source_id = $2',
          [source.type, source.id],
        );
        return rowCount ?? 0;
      }),
    );
  }

  async presentHashes(source: SearchSource, hashes: readonly string[]): Promise<Set<string>> {
    if (hashes.length === 0) return new Set();
    const { rows } = await this.#db.run((sql) =>
      sql.query<{ content_hash: string }>(
        `SELECT DISTINCT content_hash FROM search_chunks
         WHERE source_type = $1 AND source_id = $2 AND content_hash = ANY($3::text[])`,
        [source.type, source.id, hashes],
      ),
    );
    return new Set(rows.map((row) => row.content_hash));
  }

  async sourceVectors(source: SearchSource): Promise<Map<string, Float32Array>> {
    const model = await this.#sql();
    const { rows } = await this.#db.run((sql) =>
      sql.query<{ content_hash: string; embedding: string }>(
        `SELECT content_hash, embedding::text AS embedding FROM search_chunks
         WHERE source_type = $1 AND source_id = $2 AND model_key = $3`,
        [source.type, source.id, model.key],
      ),
    );
    return new Map(rows.map((row) => [row.content_hash, parseVector(row.embedding)]));
  }

  async sourcesVectors(sources: readonly SearchSource[]): Promise<Map<string, Float32Array>[]> {
    if (sources.length === 0) return [];
    const model = await this.#sql();
    const { rows } = await this.#db.run((sql) =>
      sql.query<{ n: number; content_hash: string; embedding: string }>(
        `SELECT s.n, c.content_hash, c.embedding::text AS embedding
         FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS s (type, id, n)
         JOIN search_chunks c ON c.source_type = s.type AND c.source_id = s.id
         WHERE c.model_key = $3`,
        [sources.map((s) => s.type), sources.map((s) => s.id), model.key],
      ),
    );
    const maps = sources.map(() => new Map<string, Float32Array>());
    for (const row of rows) maps[row.n - 1]?.set(row.content_hash, parseVector(row.embedding));
    return maps;
  }

  async putVectors(vectors: readonly { chunkId: number; vector: Float32Array }[]): Promise<void> {
    if (vectors.length === 0) return;
    const texts = vectors.map(({ vector }) => this.#vector(vector));
    const model = await this.#sql();
    // A chunk deleted meanwhile matches no row: it gets no vector.
    await this.#db.run((sql) =>
      sql.query(
        `UPDATE search_chunks c SET model_key = $1, embedding = v.embedding::${model.type}
         FROM unnest($2::bigint[], $3::text[]) AS v (id, embedding) WHERE c.id = v.id`,
        [model.key, vectors.map((v) => v.chunkId), texts],
      ),
    );
  }

  async missingVectors(limit: number, afterId = -1): Promise<ChunkToEmbed[]> {
    const model = await this.#sql();
    const { rows } = await this.#db.run((sql) =>
      sql.query<{ id: number; text: string }>(
        `SELECT id, text FROM search_chunks WHERE model_key IS DISTINCT FROM $1 AND id > $2
         ORDER BY id LIMIT $3`,
        [model.key, afterId, limit],
      ),
    );
    return rows.map((row) => ({ id: row.id, text: row.text }));
  }

  async searchText(query: string, scope: SearchScope, limit: number): Promise<SearchCandidate[]> {
    if (limit <= 0) return [];
    const values: unknown[] = [];
    const sides = candidateCtes(
      await this.#sql(),
      { text: query, scope, limit, common: this.#common.value() },
      values,
    );
    if (!sides.text) return [];
    const { rows } = await this.#db.run((sql) =>
      sql.query<{ id: number; score: number }>(
        `WITH ${sides.ctes.join(',\n')} SELECT id, score FROM text_hits ORDER BY score DESC, id`,
        values,
      ),
    );
    return rows.map((row) => ({ chunkId: row.id, score: row.score }));
  }

  async searchVector(vector: Float32Array, scope: SearchScope, limit: number): Promise<SearchCandidate[]> {
    const text = this.#vector(vector);
    // Similar to nothing (its cosine distance is NaN everywhere): no statement, as on libSQL.
    if (limit <= 0 || isZeroVector(vector)) return [];
    const values: unknown[] = [];
    const model = await this.#sql();
    const sides = candidateCtes(model, { vector: text, scope, limit }, values);
    const rows = await vectorSearchRows<{ id: number; distance: number }>(
      this.#db,
      model,
      scope,
      `WITH ${sides.ctes.join(',\n')} SELECT id, distance FROM vector_hits`,
      values,
    );
    return vectorOrder(rows);
  }

  async searchHybrid(query: HybridQuery): Promise<HybridCandidates> {
    // A zero vector (a text of words the embedder does not know) leaves the vector side out.
    const checked = query.vector === undefined ? undefined : this.#vector(query.vector);
    const vector = query.vector === undefined || isZeroVector(query.vector) ? undefined : checked;
    const none: HybridCandidates = { vector: [], text: [], chunks: [] };
    if (query.limit <= 0) return none;
    const model = await this.#sql();
    const { scope, limit } = query;
    const apart = vector !== undefined && query.text !== undefined && this.#apart();
    const rows = apart
      ? joinSides(
          ...(await Promise.all([
            this.#hybridRows(model, { vector, scope, limit }),
            this.#hybridRows(model, { text: query.text, scope, limit }),
          ])),
        )
      : await this.#hybridRows(model, { vector, text: query.text, scope, limit });
    const byVector: { id: number; distance: number }[] = [];
    const byText: { id: number; score: number }[] = [];
    for (const { id, distance, text_score: score } of rows) {
      if (distance !== null) byVector.push({ id, distance });
      if (score !== null) byText.push({ id, score });
    }
    byText.sort((a, b) => b.score - a.score || a.id - b.id);
    return {
      vector: vectorOrder(byVector),
      text: byText.map((row) => ({ chunkId: row.id, score: row.score })),
      chunks: rows.map(toChunk),
    };
  }

  /** The sides on two connections at once: a large index, both asked (each takes longer than a round trip). */
  #apart(): boolean {
    return this.#size.value() >= this.#sidesApartFrom;
  }

  /** hybridSql's rows for the sides `query` asks (a side it leaves out is absent). */
  async #hybridRows(
    model: ModelSql,
    query: { vector?: string | undefined; text?: string | undefined; scope: SearchScope; limit: number },
  ): Promise<HybridChunkRow[]> {
    const values: unknown[] = [];
    const common = query.text === undefined ? [] : this.#common.value();
    const statement = hybridSql(candidateCtes(model, { ...query, common }, values));
    if (statement === undefined) return [];
    if (query.vector !== undefined)
      return vectorSearchRows<HybridChunkRow>(this.#db, model, query.scope, statement, values);
    const { rows } = await this.#db.run((sql) => sql.query<HybridChunkRow>(statement, values));
    return rows;
  }

  async chunks(ids: readonly number[]): Promise<IndexedChunk[]> {
    const wanted = ids.filter((id) => Number.isSafeInteger(id));
    if (wanted.length === 0) return [];
    const { rows } = await this.#db.run((sql) =>
      sql.query<ChunkRow>(
        `SELECT id, source_type, source_id, session_id, user_id, text, content_hash, tags, taint
         FROM search_chunks WHERE id = ANY($1::bigint[])`,
        [wanted],
      ),
    );
    return rows.map(toChunk);
  }

  async counts(): Promise<SearchIndexCounts> {
    const model = await this.#sql();
    const { rows } = await this.#db.run((sql) =>
      sql.query<{
        chunks: number;
        notes: number;
        conversations: number;
        current: number;
        models: Record<string, number>;
      }>(
        `SELECT count(*) AS chunks,
                count(DISTINCT source_id) FILTER (WHERE source_type = 'note') AS notes,
                count(DISTINCT source_id) FILTER (WHERE source_type = 'conversation') AS conversations,
                count(*) FILTER (WHERE model_key = $1) AS current,
                (SELECT coalesce(json_object_agg(model_id, n), '{}') FROM (
                   SELECT m.model_id, count(*) AS n FROM search_chunks c
                   JOIN search_models m ON m.key = c.model_key GROUP BY m.model_id) AS per_model
                ) AS models
         FROM search_chunks`,
        [model.key],
      ),
    );
    const row = rows[0];
    const chunks = row?.chunks ?? 0;
    return {
      chunks,
      notes: row?.notes ?? 0,
      conversations: row?.conversations ?? 0,
      vectorsByModel: row?.models ?? {},
      missingVectors: chunks - (row?.current ?? 0),
    };
  }

  /**
   * Inserts `chunks` in one statement: replacing the source's chunks (the DELETE in the same
   * statement, numbered from 0) or after its last chunk.
   */
  async #insert(
    sql: Sql,
    model: ModelSql,
    source: SearchSource,
    chunks: readonly NewChunk[],
    vectors: readonly string[],
    row: {
      userId: string | undefined;
      sessionId: string | undefined;
      tags: string[];
      mode: 'replace' | 'append';
    },
  ): Promise<void> {
    const [before, first] =
      row.mode === 'replace'
        ? ['WITH gone AS (DELETE FROM search_chunks WHERE source_type = $1 AND source_id = $2) ', '0']
        : [
            '',
            '(SELECT coalesce(max(ordinal), -1) + 1 FROM search_chunks WHERE source_type = $1 AND source_id = $2)',
          ];
    await sql.query(
      `${before}INSERT INTO search_chunks
         (source_type, source_id, session_id, user_id, tags, created_at, ordinal, text, content_hash,
          model_key, embedding, taint)
       SELECT $1::text, $2::text, $3::text, $4::text, $5::text[], $6::text, ${first} + n - 1, text, hash,
              $7::integer, embedding::${model.type}, taint
       FROM unnest($8::text[], $9::text[], $10::text[], $11::text[])
         WITH ORDINALITY AS c (text, hash, embedding, taint, n)`,
      [
        source.type,
        source.id,
        row.sessionId ?? null,
        row.userId ?? null,
        row.tags,
        new Date().toISOString(),
        model.key,
        chunks.map((chunk) => chunk.text),
        chunks.map((chunk) => chunk.hash),
        vectors,
        chunks.map((chunk) => taintText(chunk.taint)),
      ],
    );
  }

  /**
   * `vector` in pgvector's text form, refused when its dimensions are not the model's or a
   * component is beyond half precision's range (the HNSW index holds it as a halfvec).
   */
  #vector(vector: Float32Array): string {
    checkVectorDimensions(vector, this.model);
    if (vector.some((x) => !(Math.abs(x) <= HALF_MAX))) {
      throw new RangeError(
        `vector for the search index's model ${this.model.id} has a component that is not a number within ±${HALF_MAX} (half precision)`,
      );
    }
    return vectorText(vector);
  }
}
