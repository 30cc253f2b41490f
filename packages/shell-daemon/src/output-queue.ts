/**
 * A session's captured output, read back in chunks: stdout first, then stderr, together at
 * most the session's byte budget, each chunk at most the chunk limit and never splitting a
 * UTF-8 character (chunks travel as JSON strings).
 */
import { utf8Prefix } from '@oxydra/sandbox';
import type { OutputStream } from './protocol.js';

interface Chunk {
  stream: OutputStream;
  data: Buffer;
}

export interface OutputPiece {
  stream: OutputStream;
  data: string;
  /** True when nothing is left after this piece. */
  eof: boolean;
}

export class OutputQueue {
  readonly #chunks: Chunk[] = [];

  /** The outputs of one command, replacing whatever the previous command left unread. */
  static of(stdout: Buffer, stderr: Buffer, maxTotalBytes: number): OutputQueue {
    const queue = new OutputQueue();
    let remaining = maxTotalBytes;
    for (const [stream, data] of [
      ['stdout', stdout],
      ['stderr', stderr],
    ] as const) {
      const kept = utf8Prefix(data, remaining);
      if (kept.length === 0) continue;
      queue.#chunks.push({ stream, data: kept });
      remaining -= kept.length;
    }
    return queue;
  }

  get isEmpty(): boolean {
    return this.#chunks.length === 0;
  }

  /** The next piece of at most `maxBytes` bytes; an empty stdout piece with eof when drained. */
  next(maxBytes: number): OutputPiece {
    const chunk = this.#chunks[0];
    if (chunk === undefined) return { stream: 'stdout', data: '', eof: true };
    let piece = utf8Prefix(chunk.data, maxBytes);
    // A budget smaller than one character still makes progress: send that character whole.
    if (piece.length === 0) piece = chunk.data.subarray(0, firstCharLength(chunk.data));
    const rest = chunk.data.subarray(piece.length);
    if (rest.length > 0) chunk.data = rest;
    else this.#chunks.shift();
    return { stream: chunk.stream, data: piece.toString('utf8'), eof: this.#chunks.length === 0 };
  }
}

function firstCharLength(data: Buffer): number {
  const lead = data[0] ?? 0;
  return lead < 0x80 ? 1 : lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : 2;
}
