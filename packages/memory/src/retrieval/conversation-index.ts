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
import { type ChunkOptions, chunkText, contentHash, conversationTexts, dedupByHash } from './chunking.js';
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
    // A session created for its run: what its chunks hold is known (ConversationInput.indexed).
    // Texts said before are asked about as ever (a chunk may have been removed since); texts
    // that another process adds meanwhile are not seen, as the read outside the write
    // transaction can miss them too (both processes prepare before either commits).
    const known = input.indexed;
    const source: SearchSource = { type: 'conversation', id: input.sessionId };
    const stored =
      known !== undefined && !candidates.some((piece) => known.has(piece.hash))
        ? new Set<string>()
        : await index.presentHashes(
            source,
            candidates.map((piece) => piece.hash),
          );
    let seen = added.get(input.sessionId);
    if (seen === undefined) {
      seen = new Set();
      added.set(input.sessionId, seen);
    }
    const pieces = candidates.filter((piece) => !stored.has(piece.hash) && !seen.has(piece.hash));
    for (const piece of pieces) known?.add(piece.hash);
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

/** Calling an embedder and checking what came back before any of it is stored. */

export async function embedChecked(
  embedder: Embedder,
  texts: readonly string[],
  options?: EmbedOptions,
): Promise<Float32Array[]> {
  if (texts.length === 0) return [];
  const vectors = await embedder.embed([...texts], options);
  if (vectors.length !== texts.length) {
    throw new Error(
      `embedder ${embedder.modelId} returned ${vectors.length} vectors for ${texts.length} texts`,
    );
  }
  for (const vector of vectors) {
    if (vector.length !== embedder.dimensions) {
      throw new Error(
        `embedder ${embedder.modelId} returned a ${vector.length}-dimensional vector, expected ${embedder.dimensions}`,
      );
    }
  }
  return vectors;
}

/**
 * Runs async jobs one at a time, in call order. The retriever's writes read before they write
 * (which chunks a conversation already has, which vectors a note can reuse); two at once on
 * the same source would both miss the other's rows.
 *
 * A job may carry a label saying what it writes (`L`), so a reader can wait for every job but
 * the last few it does not need (idle's `skip`): a recall need not wait for its own turn's prompt.
 */
export class Serial<L = never> {
  private tail: Promise<unknown> = Promise.resolve();
  /** Jobs not settled yet, in call order: each with the tail it was queued behind. */
  private readonly pending: { before: Promise<unknown>; label: L | undefined }[] = [];

  run<T>(job: () => Promise<T>, label?: L): Promise<T> {
    const entry = { before: this.tail, label };
    const result = this.tail.then(job);
    this.tail = result.catch(() => {});
    this.pending.push(entry);
    void this.tail.then(() => {
      this.pending.splice(this.pending.indexOf(entry), 1);
    });
    return result;
  }

  /**
   * Settles once every job queued so far has finished (whether or not it succeeded); with
   * `skip`, except the jobs at the end of the queue whose labels it accepts (unlabelled jobs are
   * never skipped): it then settles when the last job before those has.
   */
  idle(skip?: (label: L) => boolean): Promise<unknown> {
    let first = this.pending.length;
    while (skip && first > 0) {
      const { label } = this.pending[first - 1]!;
      if (label === undefined || !skip(label)) break;
      first -= 1;
    }
    return first === this.pending.length ? this.tail : this.pending[first]!.before;
  }
}
