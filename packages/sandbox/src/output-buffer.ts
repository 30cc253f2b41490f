/**
 * Bounded capture of a command's output that keeps both ends: the start (what ran, early errors)
 * and the end (the summary, the final error), with a note of how much of the middle was dropped.
 */
import { utf8Prefix, utf8Suffix } from './utf8.js';

export class HeadTailBuffer {
  readonly #headCapacity: number;
  readonly #tailCapacity: number;
  readonly #head: Buffer[] = [];
  #headBytes = 0;
  #tail: Buffer[] = [];
  #tailBytes = 0;
  #total = 0;

  constructor(maxBytes: number) {
    this.#headCapacity = Math.floor(maxBytes / 2);
    this.#tailCapacity = maxBytes - this.#headCapacity;
  }

  get totalBytes(): number {
    return this.#total;
  }

  get omittedBytes(): number {
    return Math.max(0, this.#total - this.#headCapacity - this.#tailCapacity);
  }

  push(chunk: Buffer): void {
    this.#total += chunk.length;
    let rest = chunk;
    if (this.#headBytes < this.#headCapacity) {
      const room = this.#headCapacity - this.#headBytes;
      this.#head.push(rest.subarray(0, room));
      this.#headBytes += Math.min(room, rest.length);
      rest = rest.subarray(room);
    }
    if (rest.length === 0) return;
    this.#tail.push(rest);
    this.#tailBytes += rest.length;
    // Compact now and then, not per chunk: keeps memory bounded at about twice the capacity.
    if (this.#tailBytes > 2 * this.#tailCapacity) {
      const kept = Buffer.concat(this.#tail).subarray(-this.#tailCapacity);
      this.#tail = [Buffer.from(kept)];
      this.#tailBytes = kept.length;
    }
  }

  /** The captured text; when the middle was dropped, a marker says how many bytes. */
  text(): string {
    const head = Buffer.concat(this.#head);
    const tail = Buffer.concat(this.#tail);
    const omitted = this.omittedBytes;
    if (omitted === 0) return Buffer.concat([head, tail]).toString('utf8');
    return (
      utf8Prefix(head, head.length).toString('utf8') +
      `\n[... ${omitted} bytes of output omitted ...]\n` +
      utf8Suffix(tail, this.#tailCapacity).toString('utf8')
    );
  }
}
