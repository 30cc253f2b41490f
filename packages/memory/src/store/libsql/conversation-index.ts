/**
 * Indexing conversations in batches. A kernel running many agents indexes each of their turns
 * in the background; one at a time, every one of them paid a write transaction of its own.
 * Here every indexConversation call waiting for the retriever's write queue is prepared in one
 * pass (reads and embedding, outside any transaction: the embedder may be a network call) and
 * the writes are handed to the write group together, so they share one COMMIT, each in its own
 * savepoint: one conversation's failure (its session deleted meanwhile) is its caller's alone.
 */
import type { Client, InStatement } from '@libsql/client';
import type { Embedder, EmbedOptions } from '@oxydra/types';
import { type ChunkOptions, chunkText, contentHash, dedupByHash } from '../../retrieval/chunking.js';
import { conversationTexts } from '../../retrieval/conversation.js';
import { embedChecked, storedVector } from '../../retrieval/embed.js';
import type { Serial } from '../../retrieval/serial.js';
import { type ChunkRow, insertChunk } from '../../retrieval/statements.js';
import type { ConversationInput, IndexResult } from '../../retrieval/types.js';
import { groupWrite } from '../local/write-group.js';

export interface ConversationIndexDeps {
  client: Client;
  embedder: Embedder;
  chunking: ChunkOptions;
  model: { id: string; dims: number };
  usageFor(userId: string | undefined): EmbedOptions;
  /** The retriever's write queue: a batch runs as one of its jobs. */
  writes: Serial;
}

interface Waiting {
  input: ConversationInput;
  resolve(result: IndexResult): void;
  reject(error: unknown): void;
}

/** A session's indexed texts and next ordinal as this batch knows them (read once, then kept). */
interface SessionMark {
  seen: Set<string>;
  nextOrdinal: number;
}

const NOTHING: IndexResult = { chunks: 0, embedded: 0 };

function num(value: unknown): number {
  return typeof value === 'bigint' ? Number(value) : Number(value ?? 0);
}

export class ConversationIndex {
  readonly #deps: ConversationIndexDeps;
  #queue: Waiting[] = [];

  constructor(deps: ConversationIndexDeps) {
    this.#deps = deps;
  }

  /** Indexes `input` with the batch it joins; settles after its rows are committed. */
  index(input: ConversationInput): Promise<IndexResult> {
    return new Promise<IndexResult>((resolve, reject) => {
      this.#queue.push({ input, resolve, reject });
      // The first one in an empty queue books the batch; later ones join it until it starts.
      if (this.#queue.length === 1) void this.#deps.writes.run(() => this.#drain());
    });
  }

  async #drain(): Promise<void> {
    const batch = this.#queue.splice(0);
    const marks = new Map<string, SessionMark>();
    const written: Promise<void>[] = [];
    for (const waiting of batch) {
      let prepared: { statements: InStatement[]; result: IndexResult };
      try {
        prepared = await this.#prepare(waiting.input, marks);
      } catch (error) {
        waiting.reject(error);
        continue;
      }
      const { statements, result } = prepared;
      if (statements.length === 0) {
        waiting.resolve(result);
        continue;
      }
      written.push(
        groupWrite(this.#deps.client, (tx) => tx.batch(statements)).then(
          () => waiting.resolve(result),
          (error: unknown) => waiting.reject(error),
        ),
      );
    }
    await Promise.all(written);
  }

  /**
   * The statements that add what `input` has and its session's index lacks. Idempotent: a text
   * the session already has (stored, or earlier in this batch) adds nothing. Only these texts'
   * hashes and the last ordinal are read back, never every chunk of the session.
   */
  async #prepare(
    input: ConversationInput,
    marks: Map<string, SessionMark>,
  ): Promise<{ statements: InStatement[]; result: IndexResult }> {
    const { client, embedder, chunking, model } = this.#deps;
    const candidates = dedupByHash(
      conversationTexts(input.messages, input).flatMap((text) =>
        chunkText(text, chunking).map((c) => ({ text: c.text, hash: contentHash(c.text) })),
      ),
    );
    if (candidates.length === 0) return { statements: [], result: NOTHING };
    const known = await client.execute({
      sql: `SELECT content_hash FROM chunks WHERE source_type = 'conversation' AND source_id = ?
            AND content_hash IN (SELECT value FROM json_each(?))`,
      args: [input.sessionId, JSON.stringify(candidates.map((piece) => piece.hash))],
    });
    let mark = marks.get(input.sessionId);
    if (mark === undefined) {
      const last = await client.execute({
        sql: `SELECT MAX(ordinal) AS ordinal FROM chunks WHERE source_type = 'conversation' AND source_id = ?`,
        args: [input.sessionId],
      });
      const lastOrdinal = last.rows[0]?.ordinal;
      mark = {
        seen: new Set(),
        nextOrdinal: lastOrdinal === null || lastOrdinal === undefined ? 0 : num(lastOrdinal) + 1,
      };
      marks.set(input.sessionId, mark);
    }
    for (const row of known.rows) mark.seen.add(String(row.content_hash));
    const pieces = candidates.filter((piece) => !mark.seen.has(piece.hash));
    if (pieces.length === 0) return { statements: [], result: NOTHING };
    const vectors = await embedChecked(
      embedder,
      pieces.map((piece) => piece.text),
      this.#deps.usageFor(input.userId),
    );
    const createdAt = new Date().toISOString();
    const statements: InStatement[] = [];
    pieces.forEach((piece, i) => {
      const vector = vectors[i];
      if (!vector) return;
      mark.seen.add(piece.hash);
      const row: ChunkRow = {
        sourceType: 'conversation',
        sourceId: input.sessionId,
        sessionId: input.sessionId,
        userId: input.userId,
        ordinal: mark.nextOrdinal++,
        text: piece.text,
        hash: piece.hash,
        tags: '[]',
        createdAt,
      };
      statements.push(...insertChunk(row, storedVector(vector), model));
    });
    return { statements, result: { chunks: pieces.length, embedded: pieces.length } };
  }
}
