/**
 * Hybrid retrieval over notes and conversations, as Oxydra does it: vector candidates and
 * full-text candidates (top_k × 4 each) from the search index store, each list min-max
 * normalised, score = 0.7·v + 0.3·f, deduplicated by content, filtered by tags, user and session.
 * The policy lives here (chunking, embedding, fusion, the relevance floor); the store
 * (SearchIndexStore, @oxydra/types) answers candidates.
 */
import type { Client } from '@libsql/client';
import {
  type Embedder,
  type EmbedOptions,
  type IndexedChunk,
  type NewChunk,
  type SearchHit,
  type SearchIndexStore,
  type SearchScope,
  type SearchSource,
  type SourceReplacement,
  withoutNul,
} from '@oxydra/types';
import { LibsqlSearchIndex } from '../store/libsql/search-index/store.js';
import { normaliseTags } from '../store-input.js';
import { type ChunkOptions, chunkText, contentHash, dedupByHash } from './chunking.js';
import { ConversationIndex, embedChecked, Serial } from './conversation-index.js';
import type {
  ConversationInput,
  IndexResult,
  NoteInput,
  ReindexOptions,
  RetrievalQuery,
  RetrievalStats,
  RetrieverOptions,
} from './types.js';

export type SourceType = SearchSource['type'];

/** A note's chunk with the note's taint, when it has one. */
function withTaint(chunk: NewChunk, taint: NoteInput['taint']): NewChunk {
  if (taint !== undefined && taint.length > 0) chunk.taint = taint;
  return chunk;
}

function checkWeight(name: string, value: number): number {
  if (!Number.isFinite(value) || value < 0)
    throw new RangeError(`${name} must be a number >= 0, got ${value}`);
  return value;
}

/** Whether a queued write indexes conversations of `sessionId` only (Serial's labels, conversation-index.ts). */
const onlySession = (sessions: ReadonlySet<string>, sessionId: string) =>
  [...sessions].every((id) => id === sessionId);

const scores = (candidates: readonly { chunkId: number; score: number }[]) =>
  new Map(candidates.map((candidate) => [candidate.chunkId, candidate.score]));

export class Retriever {
  private readonly topK: number;
  private readonly weights: { vector: number; fts: number };
  private readonly chunking: ChunkOptions;
  private readonly reindexBatchSize: number;
  private readonly index: SearchIndexStore;
  /** Labelled with the sessions a conversation batch indexes (conversation-index.ts). */
  private readonly writes = new Serial<ReadonlySet<string>>();
  /** Conversations waiting to be indexed, written together (conversation-index.ts). */
  private readonly conversations: ConversationIndex;
  private readonly minSimilarity: number;
  private readonly onEmbedUsage: RetrieverOptions['onEmbedUsage'];

  /**
   * `index`: a SearchIndexStore opened for the embedder's model, or a libSQL client of the memory
   * database (the embedded default: a LibsqlSearchIndex is opened on it).
   */
  constructor(
    index: Client | SearchIndexStore,
    private readonly embedder: Embedder,
    options: RetrieverOptions = {},
  ) {
    if (!Number.isInteger(embedder.dimensions) || embedder.dimensions < 1) {
      throw new RangeError(
        `embedder ${embedder.modelId} has no known vector size yet (dimensions ${embedder.dimensions}): embed once first, or set its dimensions`,
      );
    }
    this.index =
      'searchVector' in index
        ? index
        : new LibsqlSearchIndex(index, { id: embedder.modelId, dimensions: embedder.dimensions });
    if (this.index.model.id !== embedder.modelId || this.index.model.dimensions !== embedder.dimensions) {
      throw new RangeError(
        `the search index is opened for ${this.index.model.id} (${this.index.model.dimensions} dimensions), the embedder is ${embedder.modelId} (${embedder.dimensions}): open the index for the embedder's model`,
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
    this.minSimilarity = options.minSimilarity ?? relevanceFloor(embedder.modelId);
    this.onEmbedUsage = options.onEmbedUsage;
    this.conversations = new ConversationIndex({
      index: this.index,
      embedder,
      chunking: this.chunking,
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
      const source: SearchSource = { type: 'note', id: note.id };
      const pieces = this.notePieces(note);
      const reusable = await this.index.sourceVectors(source);
      const missing = pieces.filter((piece) => !reusable.has(piece.hash));
      const fresh = await embedChecked(
        this.embedder,
        missing.map((piece) => piece.text),
        this.usageFor(note.userId),
      );
      missing.forEach((piece, i) => {
        const vector = fresh[i];
        if (vector) reusable.set(piece.hash, vector);
      });
      const chunks: NewChunk[] = [];
      for (const piece of pieces) {
        const vector = reusable.get(piece.hash);
        if (vector) chunks.push(withTaint({ text: piece.text, hash: piece.hash, vector }, note.taint));
      }
      await this.index.replaceSource(source, chunks, {
        ...(note.userId !== undefined ? { userId: note.userId } : {}),
        tags: normaliseTags(note.tags),
      });
      return { chunks: pieces.length, embedded: missing.length };
    });
  }

  /**
   * A note's chunks with their hashes, once each, without NUL characters (withoutNul of
   * @oxydra/types): a note saved before the stores dropped them may hold one.
   */
  private notePieces(note: NoteInput): { text: string; hash: string }[] {
    return dedupByHash(
      chunkText(withoutNul(note.content), this.chunking).map((c) => ({ ...c, hash: contentHash(c.text) })),
    );
  }

  /**
   * Runs `work` (calls of this retriever: indexNotes, indexConversation, reindex) as one bulk
   * load of the index (SearchIndexStore.bulkLoad: a server store builds its vector index once
   * after the writes instead of row by row). For loads of a large share of the index: a
   * copy's reindex, an import. Searches stay correct meanwhile, maybe slower.
   */
  bulkLoad<T>(work: () => Promise<T>): Promise<T> {
    return this.index.bulkLoad(work);
  }

  /**
   * Index many notes (bulk: a copy's reindex, an import), as indexNote would each, in groups of
   * about reindexBatchSize chunks: per group one read of the vectors to reuse, one embedding
   * request per user and one write, instead of a round trip pair per note. A group's write is
   * under way while the next group is read and embedded (the groups' notes are distinct, so
   * neither sees the other's). A note given twice is indexed as its last.
   */
  indexNotes(notes: readonly NoteInput[]): Promise<IndexResult> {
    return this.writes.run(async () => {
      const total = { chunks: 0, embedded: 0 };
      const latest = [...new Map(notes.map((note) => [note.id, note])).values()];
      let group: { note: NoteInput; pieces: { text: string; hash: string }[] }[] = [];
      let size = 0;
      /** The previous group's write: one at a time, awaited before the next is sent. */
      let writing: Promise<void> = Promise.resolve();
      const flush = async () => {
        const { replacements, embedded } = await this.embedGroup(group);
        total.chunks += size;
        total.embedded += embedded;
        group = [];
        size = 0;
        await writing;
        writing = this.writeGroup(replacements);
        // Awaited at the next flush or the end; handled now so a failure is not "unhandled" meanwhile.
        writing.catch(() => {});
      };
      for (const note of latest) {
        const pieces = this.notePieces(note);
        if (size > 0 && size + pieces.length > this.reindexBatchSize) await flush();
        group.push({ note, pieces });
        size += pieces.length;
      }
      if (group.length > 0) await flush();
      await writing;
      return total;
    });
  }

  private async writeGroup(replacements: readonly SourceReplacement[]): Promise<void> {
    if (this.index.replaceSources) await this.index.replaceSources(replacements);
    else {
      for (const { source, chunks, fields } of replacements)
        await this.index.replaceSource(source, chunks, fields);
    }
  }

  /** One group of indexNotes made ready to write: reuse, embed (one request per user). */
  private async embedGroup(
    group: readonly { note: NoteInput; pieces: { text: string; hash: string }[] }[],
  ): Promise<{ replacements: SourceReplacement[]; embedded: number }> {
    const sources = group.map(({ note }): SearchSource => ({ type: 'note', id: note.id }));
    const reusable = this.index.sourcesVectors
      ? await this.index.sourcesVectors(sources)
      : await Promise.all(sources.map((source) => this.index.sourceVectors(source)));
    const byUser = new Map<string | undefined, { piece: { text: string; hash: string }; into: number }[]>();
    group.forEach(({ note, pieces }, i) => {
      for (const piece of pieces) {
        if (reusable[i]?.has(piece.hash)) continue;
        const missing = byUser.get(note.userId) ?? [];
        missing.push({ piece, into: i });
        byUser.set(note.userId, missing);
      }
    });
    let embedded = 0;
    for (const [userId, missing] of byUser) {
      const fresh = await embedChecked(
        this.embedder,
        missing.map(({ piece }) => piece.text),
        this.usageFor(userId),
      );
      missing.forEach(({ piece, into }, i) => {
        const vector = fresh[i];
        if (vector) reusable[into]?.set(piece.hash, vector);
      });
      embedded += missing.length;
    }
    const replacements: SourceReplacement[] = group.map(({ note, pieces }, i) => ({
      source: sources[i]!,
      chunks: pieces.flatMap((piece) => {
        const vector = reusable[i]?.get(piece.hash);
        return vector ? [withTaint({ text: piece.text, hash: piece.hash, vector }, note.taint)] : [];
      }),
      fields: {
        ...(note.userId !== undefined ? { userId: note.userId } : {}),
        tags: normaliseTags(note.tags),
      },
    }));
    return { replacements, embedded };
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
    return this.writes.run(() => this.index.deleteSource({ type, id }));
  }

  async search(query: RetrievalQuery): Promise<SearchHit[]> {
    const text = query.query.trim();
    const topK = Math.max(1, Math.min(100, Math.floor(query.topK ?? this.topK)));
    if (text === '') return [];
    // What was queued for indexing before this search (a turn committed a moment ago, whose
    // indexing runs in the background) is found by it; a recall's own session's indexing (its
    // turn's prompt) is not waited for: recall drops that session's hits anyway.
    const own = query.ownSession;
    await this.writes.idle(own === undefined ? undefined : (sessions) => onlySession(sessions, own));
    const scope: SearchScope = {
      includeNotes: query.includeNotes ?? true,
      includeConversation: query.includeConversation ?? true,
      tags: normaliseTags(query.tags),
      ...(query.userId !== undefined ? { userId: query.userId } : {}),
      ...(query.sessionId !== undefined ? { sessionId: query.sessionId } : {}),
    };
    const [embedded] =
      this.weights.vector > 0 ? await embedChecked(this.embedder, [text], this.usageFor(query.userId)) : [];
    // Both sides and their chunks in one call: a database index (PostgreSQL) answers it in one
    // statement, instead of the two sides and then the chunks one after the other.
    const found = await this.index.searchHybrid({
      ...(embedded ? { vector: embedded } : {}),
      ...(this.weights.fts > 0 ? { text } : {}),
      scope,
      limit: topK * 4,
    });
    const vector = aboveFloor(scores(found.vector), this.minSimilarity);
    const fused = fuseScores(vector, scores(found.text), this.weights);
    if (fused.length === 0) return [];
    const byId = new Map(found.chunks.map((chunk) => [chunk.id, chunk]));
    const hits: SearchHit[] = [];
    const seen = new Set<string>();
    for (const { id, score } of fused) {
      const chunk = byId.get(id);
      // Gone since the candidates were read (a store reading them apart), or the same text again.
      if (!chunk || seen.has(chunk.hash)) continue;
      seen.add(chunk.hash);
      hits.push(this.hit(chunk, score));
      if (hits.length === topK) break;
    }
    return hits;
  }

  /**
   * Embed again every chunk whose vector is missing or from another model, in batches. A bulk
   * load of the index (bulkLoad) when those are at least a quarter of the chunks and more than
   * a batch (a new model's first reindex): a server store's build then costs about a fifth of
   * keeping its vector index up chunk by chunk, but goes over every vector of the model.
   */
  async reindex(options: ReindexOptions = {}): Promise<{ reembedded: number }> {
    const counts = await this.index.counts();
    const bulk = counts.missingVectors > this.reindexBatchSize && counts.missingVectors * 4 >= counts.chunks;
    return bulk
      ? this.index.bulkLoad(() => this.reembed(counts.missingVectors, options))
      : this.reembed(counts.missingVectors, options);
  }

  private async reembed(total: number, options: ReindexOptions): Promise<{ reembedded: number }> {
    let done = 0;
    let after = -1;
    options.onProgress?.({ done, total });
    while (done < total) {
      options.signal?.throwIfAborted();
      // One batch per turn of the write queue, so notes saved meanwhile are not held up.
      const batch = await this.writes.run(async () => {
        const chunks = await this.index.missingVectors(this.reindexBatchSize, after);
        if (chunks.length === 0) return 0;
        const vectors = await embedChecked(
          this.embedder,
          chunks.map((chunk) => chunk.text),
          this.usageFor(undefined),
        );
        const put: { chunkId: number; vector: Float32Array }[] = [];
        chunks.forEach((chunk, i) => {
          const vector = vectors[i];
          if (vector) put.push({ chunkId: chunk.id, vector });
        });
        await this.index.putVectors(put);
        after = chunks.at(-1)?.id ?? after;
        return chunks.length;
      });
      if (batch === 0) break;
      done += batch;
      options.onProgress?.({ done: Math.min(done, total), total });
    }
    return { reembedded: done };
  }

  async stats(): Promise<RetrievalStats> {
    await this.writes.idle();
    const counts = await this.index.counts();
    return {
      chunks: counts.chunks,
      notes: counts.notes,
      conversations: counts.conversations,
      modelId: this.index.model.id,
      dimensions: this.index.model.dimensions,
      vectorsByModel: counts.vectorsByModel,
      stale: counts.missingVectors,
    };
  }

  private hit(chunk: IndexedChunk, score: number): SearchHit {
    const hit: SearchHit = { text: chunk.text, source: chunk.source.type, score };
    if (chunk.taint !== undefined) hit.taint = chunk.taint;
    if (chunk.source.type === 'note') {
      hit.noteId = chunk.source.id;
      if (chunk.tags.length > 0) hit.tags = chunk.tags;
    } else if (chunk.sessionId !== undefined) {
      hit.sessionId = chunk.sessionId;
    }
    return hit;
  }
}

/**
 * Oxydra's score fusion: each candidate list is min-max normalised to [0, 1] on its own (so
 * cosine similarities and bm25 scores become comparable), then score = wv·v + wf·f, where a
 * chunk missing from a list gets 0 there. Ties go to the newer chunk (higher id).
 */

export interface FusedScore {
  id: number;
  score: number;
  vector: number;
  fts: number;
}

/** Higher raw score = better. A list whose scores are all equal normalises to 1 for each. */
export function minMaxNormalise(scores: ReadonlyMap<number, number>): Map<number, number> {
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (const score of scores.values()) {
    if (score < min) min = score;
    if (score > max) max = score;
  }
  const range = max - min;
  const out = new Map<number, number>();
  for (const [id, score] of scores) out.set(id, range > 0 ? (score - min) / range : 1);
  return out;
}

export function fuseScores(
  vector: ReadonlyMap<number, number>,
  fts: ReadonlyMap<number, number>,
  weights: { vector: number; fts: number },
): FusedScore[] {
  // A list weighted 0 proposes no candidates: they would only fill the results with score 0.
  const v = weights.vector > 0 ? minMaxNormalise(vector) : new Map<number, number>();
  const f = weights.fts > 0 ? minMaxNormalise(fts) : new Map<number, number>();
  const fused: FusedScore[] = [];
  for (const id of new Set([...v.keys(), ...f.keys()])) {
    const vs = v.get(id) ?? 0;
    const fs = f.get(id) ?? 0;
    fused.push({ id, score: weights.vector * vs + weights.fts * fs, vector: vs, fts: fs });
  }
  return fused.sort((a, b) => b.score - a.score || b.id - a.id);
}

/**
 * The relevance floor. Fusion min-max normalises each candidate list, so the best of a set of
 * unrelated chunks still scores high; without a floor, every search is padded to top_k with
 * whatever is least unrelated, and recall fills the prompt with noise. A candidate counts only
 * when its raw cosine similarity reaches the embedder's floor, or the full-text index matched
 * one of the query's words.
 *
 * Cosine baselines differ by model: unrelated texts sit near 0 for the deterministic hashed
 * features (measured: below 0.2, a shared word gives 0.5+), around 0.1-0.2 for OpenAI's and
 * model2vec's embeddings, and around 0.5-0.6 for Gemini's.
 */

const FLOOR_BY_MODEL_PREFIX: readonly (readonly [string, number])[] = [
  ['deterministic-', 0.06],
  ['openai:', 0.3],
  ['gemini:', 0.6],
];

/** For models we know nothing about (model2vec and custom ones): above their usual noise. */
const DEFAULT_FLOOR = 0.3;

function relevanceFloor(modelId: string): number {
  return FLOOR_BY_MODEL_PREFIX.find(([prefix]) => modelId.startsWith(prefix))?.[1] ?? DEFAULT_FLOOR;
}

/** The vector candidates similar enough to be worth returning. */
function aboveFloor(similarities: ReadonlyMap<number, number>, floor: number): Map<number, number> {
  return new Map([...similarities].filter(([, similarity]) => similarity >= floor));
}
