/**
 * Indexing conversations in batches. A kernel running many agents indexes each of their turns
 * in the background; one at a time, every one of them paid a write transaction of its own.
 * Here every indexConversation call waiting for the retriever's write queue is prepared in one
 * pass (reads and embedding, outside any transaction: the embedder may be a network call) and
 * the appends are handed to the index together, so a store that can (the libSQL one's group
 * commit) writes them in one transaction; one conversation's failure (its session deleted
 * meanwhile) is its caller's alone.
 */
import type { Embedder, EmbedOptions, NewChunk, SearchIndexStore, SearchSource } from '@oxydra/types';
import { type ChunkOptions, chunkText, contentHash, dedupByHash } from './chunking.js';
import { conversationTexts } from './conversation.js';
import { embedChecked } from './embed.js';
import type { Serial } from './serial.js';
import type { ConversationInput, IndexResult } from './types.js';

export interface ConversationIndexDeps {
  index: SearchIndexStore;
  embedder: Embedder;
  chunking: ChunkOptions;
  usageFor(userId: string | undefined): EmbedOptions;
  /** The retriever's write queue: a batch runs as one of its jobs, labelled with its sessions. */
  writes: Serial<ReadonlySet<string>>;
}

interface Waiting {
  input: ConversationInput;
  resolve(result: IndexResult): void;
  reject(error: unknown): void;
}

const NOTHING: IndexResult = { chunks: 0, embedded: 0 };

export class ConversationIndex {
  readonly #deps: ConversationIndexDeps;
  #queue: Waiting[] = [];
  /** The sessions of the batch not started yet: its job's label, so a recall can tell it apart. */
  #sessions = new Set<string>();

  constructor(deps: ConversationIndexDeps) {
    this.#deps = deps;
  }

  /** Indexes `input` with the batch it joins; settles after its rows are committed. */
  index(input: ConversationInput): Promise<IndexResult> {
    return new Promise<IndexResult>((resolve, reject) => {
      this.#queue.push({ input, resolve, reject });
      // The first one in an empty queue books the batch; later ones join it until it starts.
      if (this.#queue.length === 1) {
        this.#sessions = new Set();
        void this.#deps.writes.run(() => this.#drain(), this.#sessions);
      }
      this.#sessions.add(input.sessionId);
    });
  }

  async #drain(): Promise<void> {
    const batch = this.#queue.splice(0);
    /** Per session, the texts this batch has added so far (not committed yet: the store cannot tell). */
    const added = new Map<string, Set<string>>();
    const written: Promise<void>[] = [];
    for (const waiting of batch) {
      let prepared: { chunks: NewChunk[]; result: IndexResult };
      try {
        prepared = await this.#prepare(waiting.input, added);
      } catch (error) {
        waiting.reject(error);
        continue;
      }
      const { chunks, result } = prepared;
      if (chunks.length === 0) {
        waiting.resolve(result);
        continue;
      }
      const { sessionId, userId } = waiting.input;
      written.push(
        this.#deps.index
          .appendChunks({ type: 'conversation', id: sessionId }, chunks, {
            sessionId,
            ...(userId !== undefined ? { userId } : {}),
          })
          .then(
            () => waiting.resolve(result),
            (error: unknown) => waiting.reject(error),
          ),
      );
    }
    await Promise.all(written);
  }

  /**
   * The chunks that `input` has and its session's index lacks. Idempotent: a text the session
   * already has (stored, or earlier in this batch) adds nothing. Only these texts' hashes are
   * asked about, never every chunk of the session.
   */
  async #prepare(
    input: ConversationInput,
    added: Map<string, Set<string>>,
  ): Promise<{ chunks: NewChunk[]; result: IndexResult }> {
    const { index, embedder, chunking } = this.#deps;
    const candidates = dedupByHash(
      conversationTexts(input.messages, input, input.taint).flatMap(({ text, taint }) =>
        chunkText(text, chunking).map((c) => ({ text: c.text, hash: contentHash(c.text), taint })),
      ),
    );
    if (candidates.length === 0) return { chunks: [], result: NOTHING };
    const source: SearchSource = { type: 'conversation', id: input.sessionId };
    const stored = await index.presentHashes(
      source,
      candidates.map((piece) => piece.hash),
    );
    let seen = added.get(input.sessionId);
    if (seen === undefined) {
      seen = new Set();
      added.set(input.sessionId, seen);
    }
    const pieces = candidates.filter((piece) => !stored.has(piece.hash) && !seen.has(piece.hash));
    if (pieces.length === 0) return { chunks: [], result: NOTHING };
    const vectors = await embedChecked(
      embedder,
      pieces.map((piece) => piece.text),
      this.#deps.usageFor(input.userId),
    );
    const chunks: NewChunk[] = [];
    pieces.forEach((piece, i) => {
      const vector = vectors[i];
      if (!vector) return;
      seen.add(piece.hash);
      const chunk: NewChunk = { text: piece.text, hash: piece.hash, vector };
      if (piece.taint !== undefined) chunk.taint = piece.taint;
      chunks.push(chunk);
    });
    return { chunks, result: { chunks: pieces.length, embedded: pieces.length } };
  }
}
