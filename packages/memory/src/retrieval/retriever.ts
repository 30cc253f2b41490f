/**
 * Hybrid retrieval over notes and conversations, as Oxydra does it: vector candidates and
 * FTS5 bm25 candidates (top_k × 4 each), each list min-max normalised, score = 0.7·v + 0.3·f,
 * deduplicated by content, filtered by tags, user and session.
 */
import type { Client, InStatement, Row } from '@libsql/client';
import type { Embedder, EmbedOptions, SearchHit } from '@oxydra/types';
import { ConversationIndex } from '../store/libsql/conversation-index.js';
import { type ChunkOptions, chunkText, contentHash, dedupByHash } from './chunking.js';
import { CommonWords } from './common-words.js';
import { embedChecked, storedVector } from './embed.js';
import { ftsCandidates } from './fts-search.js';
import { fuseScores } from './fusion.js';
import { aboveFloor, relevanceFloor } from './relevance.js';
import { normaliseTags, type ScopeFilter, type SourceType } from './scope.js';
import { Serial } from './serial.js';
import {
  type ChunkRow,
  deleteSource,
  insertChunk,
  PRUNE_TOMBSTONES,
  replaceVector,
  type StoredVector,
} from './statements.js';
import type {
  ConversationInput,
  IndexResult,
  NoteInput,
  ReindexOptions,
  RetrievalQuery,
  RetrievalStats,
  RetrieverOptions,
} from './types.js';
import { VectorCache } from './vector-cache.js';
import { vectorCandidates } from './vector-search.js';

function num(value: unknown): number {
  return typeof value === 'bigint' ? Number(value) : Number(value ?? 0);
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function parseTags(value: unknown): string[] {
  try {
    const parsed: unknown = JSON.parse(str(value) ?? '[]');
    return Array.isArray(parsed) ? parsed.filter((tag): tag is string => typeof tag === 'string') : [];
  } catch {
    return [];
  }
}

function checkWeight(name: string, value: number): number {
  if (!Number.isFinite(value) || value < 0)
    throw new RangeError(`${name} must be a number >= 0, got ${value}`);
  return value;
}

export class Retriever {
  private readonly topK: number;
  private readonly weights: { vector: number; fts: number };
  private readonly chunking: ChunkOptions;
  private readonly reindexBatchSize: number;
  private readonly cache: VectorCache;
  private readonly commonWords = new CommonWords();
  private readonly writes = new Serial();
  /** Conversations waiting to be indexed, written together (conversation-index.ts). */
  private readonly conversations: ConversationIndex;
  private readonly model: { id: string; dims: number };
  private readonly minSimilarity: number;
  private readonly onEmbedUsage: RetrieverOptions['onEmbedUsage'];

  constructor(
    private readonly client: Client,
    private readonly embedder: Embedder,
    options: RetrieverOptions = {},
  ) {
    if (!Number.isInteger(embedder.dimensions) || embedder.dimensions < 1) {
      throw new RangeError(
        `embedder ${embedder.modelId} has no known vector size yet (dimensions ${embedder.dimensions}): embed once first, or set its dimensions`,
      );
    }
    this.topK = options.topK ?? 8;
    this.weights = {
      vector: checkWeight('vectorWeight', options.vectorWeight ?? 0.7),
      fts: checkWeight('ftsWeight', options.ftsWeight ?? 0.3),
    };
    this.chunking = {
      ...(options.size !== undefined ? { size: options.size } : {}),
      ...(options.overlap !== undefined ? { overlap: options.overlap } : {}),
    };
    this.reindexBatchSize = options.reindexBatchSize ?? 128;
    this.model = { id: embedder.modelId, dims: embedder.dimensions };
    this.minSimilarity = options.minSimilarity ?? relevanceFloor(embedder.modelId);
    this.cache = new VectorCache(client, embedder.modelId, embedder.dimensions);
    this.onEmbedUsage = options.onEmbedUsage;
    this.conversations = new ConversationIndex({
      client,
      embedder,
      chunking: this.chunking,
      model: this.model,
      usageFor: (userId) => this.usageFor(userId),
      writes: this.writes,
    });
  }

  /** Each embedding request's usage, told to onEmbedUsage with the user it was for. */
  private usageFor(userId: string | undefined): EmbedOptions {
    const report = this.onEmbedUsage;
    return report ? { onUsage: (usage) => report(usage, userId) } : {};
  }

  /** Index a note, replacing whatever was indexed for it before. Unchanged chunks keep their vectors. */
  indexNote(note: NoteInput): Promise<IndexResult> {
    return this.writes.run(async () => {
      const pieces = dedupByHash(
        chunkText(note.content, this.chunking).map((c) => ({ ...c, hash: contentHash(c.text) })),
      );
      const tags = JSON.stringify(normaliseTags(note.tags));
      const existing = await this.client.execute({
        sql: `SELECT c.content_hash, v.code, v.vector FROM chunks c
              JOIN chunk_vectors v ON v.chunk_id = c.id AND v.model_id = ? AND v.dims = ?
              WHERE c.source_type = 'note' AND c.source_id = ?`,
        args: [this.model.id, this.model.dims, note.id],
      });
      const reusable = new Map<string, StoredVector>();
      for (const row of existing.rows) {
        const code = row.code;
        const vector = row.vector;
        if (code instanceof ArrayBuffer && vector instanceof ArrayBuffer) {
          reusable.set(String(row.content_hash), {
            code: new Uint8Array(code),
            vector: new Uint8Array(vector),
          });
        }
      }
      const missing = pieces.filter((piece) => !reusable.has(piece.hash));
      const fresh = await embedChecked(
        this.embedder,
        missing.map((piece) => piece.text),
        this.usageFor(note.userId),
      );
      missing.forEach((piece, i) => {
        const vector = fresh[i];
        if (vector) reusable.set(piece.hash, storedVector(vector));
      });
      const createdAt = new Date().toISOString();
      const statements: InStatement[] = [deleteSource('note', note.id)];
      pieces.forEach((piece, ordinal) => {
        const row: ChunkRow = {
          sourceType: 'note',
          sourceId: note.id,
          sessionId: undefined,
          userId: note.userId,
          ordinal,
          text: piece.text,
          hash: piece.hash,
          tags,
          createdAt,
        };
        const vector = reusable.get(piece.hash);
        if (vector) statements.push(...insertChunk(row, vector, this.model));
      });
      statements.push(PRUNE_TOMBSTONES);
      await this.client.batch(statements, 'write');
      return { chunks: pieces.length, embedded: missing.length };
    });
  }

  /**
   * Add a conversation's messages to the index. Idempotent: a message whose text the session
   * already has indexed adds nothing, so passing the whole history again only adds what is new.
   */
  indexConversation(input: ConversationInput): Promise<IndexResult> {
    return this.conversations.index(input);
  }

  /** Forget a note (by note id) or a conversation (by session id). Returns the chunks removed. */
  removeSource(type: SourceType, id: string): Promise<number> {
    return this.writes.run(async () => {
      const [removed] = await this.client.batch([deleteSource(type, id), PRUNE_TOMBSTONES], 'write');
      return removed?.rowsAffected ?? 0;
    });
  }

  async search(query: RetrievalQuery): Promise<SearchHit[]> {
    const text = query.query.trim();
    const topK = Math.max(1, Math.min(100, Math.floor(query.topK ?? this.topK)));
    if (text === '') return [];
    // What was queued for indexing before this search (a turn committed a moment ago, whose
    // indexing runs in the background) is found by it.
    await this.writes.idle();
    const filter: ScopeFilter = {
      includeNotes: query.includeNotes ?? true,
      includeConversation: query.includeConversation ?? true,
      userId: query.userId,
      sessionId: query.sessionId,
      tags: normaliseTags(query.tags),
    };
    const candidates = topK * 4;
    const [embedded] =
      this.weights.vector > 0 ? await embedChecked(this.embedder, [text], this.usageFor(query.userId)) : [];
    const vector = embedded
      ? aboveFloor(
          await vectorCandidates(this.client, this.cache, embedded, candidates, filter),
          this.minSimilarity,
        )
      : new Map<number, number>();
    const fts =
      this.weights.fts > 0
        ? await ftsCandidates(this.client, text, candidates, filter, this.commonWords)
        : new Map<number, number>();
    const fused = fuseScores(vector, fts, this.weights);
    if (fused.length === 0) return [];
    const rows = await this.client.execute({
      sql: `SELECT id, source_type, source_id, session_id, text, content_hash, tags FROM chunks
            WHERE id IN (SELECT value FROM json_each(?))`,
      args: [JSON.stringify(fused.map((f) => f.id))],
    });
    const byId = new Map<number, Row>(rows.rows.map((row) => [num(row.id), row]));
    const hits: SearchHit[] = [];
    const seen = new Set<string>();
    for (const { id, score } of fused) {
      const row = byId.get(id);
      // Gone since the candidates were read (deleted meanwhile), or the same text again.
      if (!row || seen.has(String(row.content_hash))) continue;
      seen.add(String(row.content_hash));
      hits.push(this.hit(row, score));
      if (hits.length === topK) break;
    }
    return hits;
  }

  /** Embed again every chunk whose vector is missing or from another model, in batches. */
  async reindex(options: ReindexOptions = {}): Promise<{ reembedded: number }> {
    const stale = `FROM chunks c LEFT JOIN chunk_vectors v ON v.chunk_id = c.id
                   WHERE (v.id IS NULL OR v.model_id <> ? OR v.dims <> ?)`;
    const counted = await this.client.execute({
      sql: `SELECT count(*) AS n ${stale}`,
      args: [this.model.id, this.model.dims],
    });
    const total = num(counted.rows[0]?.n);
    let done = 0;
    let after = -1;
    options.onProgress?.({ done, total });
    while (done < total) {
      options.signal?.throwIfAborted();
      // One batch per turn of the write queue, so notes saved meanwhile are not held up.
      const batch = await this.writes.run(async () => {
        const rows = await this.client.execute({
          sql: `SELECT c.id, c.text ${stale} AND c.id > ? ORDER BY c.id LIMIT ?`,
          args: [this.model.id, this.model.dims, after, this.reindexBatchSize],
        });
        if (rows.rows.length === 0) return 0;
        const vectors = await embedChecked(
          this.embedder,
          rows.rows.map((row) => String(row.text)),
          this.usageFor(undefined),
        );
        const statements: InStatement[] = [];
        rows.rows.forEach((row, i) => {
          const vector = vectors[i];
          if (vector) statements.push(...replaceVector(num(row.id), storedVector(vector), this.model));
        });
        statements.push(PRUNE_TOMBSTONES);
        await this.client.batch(statements, 'write');
        after = num(rows.rows.at(-1)?.id);
        return rows.rows.length;
      });
      if (batch === 0) break;
      done += batch;
      options.onProgress?.({ done: Math.min(done, total), total });
    }
    return { reembedded: done };
  }

  async stats(): Promise<RetrievalStats> {
    await this.writes.idle();
    const [counts, models] = await this.client.batch(
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
      if (model === this.model.id && num(row.dims) === this.model.dims) current = num(row.n);
    }
    const row = counts?.rows[0];
    const chunks = num(row?.chunks);
    return {
      chunks,
      notes: num(row?.notes),
      conversations: num(row?.conversations),
      modelId: this.model.id,
      dimensions: this.model.dims,
      vectorsByModel,
      stale: chunks - current,
    };
  }

  private hit(row: Row, score: number): SearchHit {
    const source = row.source_type === 'conversation' ? 'conversation' : 'note';
    const hit: SearchHit = { text: String(row.text), source, score };
    if (source === 'note') {
      hit.noteId = String(row.source_id);
      const tags = parseTags(row.tags);
      if (tags.length > 0) hit.tags = tags;
    } else {
      const session = str(row.session_id);
      if (session !== undefined) hit.sessionId = session;
    }
    return hit;
  }
}
