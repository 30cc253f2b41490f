/** Bounded output capture keeping the start and the end (same behaviour as tools' HeadTailBuffer). */
export class HeadTailBuffer {
  readonly #headCapacity: number;
  readonly #tailCapacity: number;
  #head: Buffer = Buffer.alloc(0);
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

  push(chunk: Buffer): void {
    this.#total += chunk.length;
    const room = this.#headCapacity - this.#head.length;
    if (room > 0) this.#head = Buffer.concat([this.#head, chunk.subarray(0, room)]);
    const rest = room > 0 ? chunk.subarray(room) : chunk;
    if (rest.length === 0) return;
    this.#tail.push(rest);
    this.#tailBytes += rest.length;
    // Compact now and then, not per chunk: memory stays about twice the capacity.
    if (this.#tailBytes > 2 * this.#tailCapacity) {
      const kept = Buffer.from(Buffer.concat(this.#tail).subarray(-this.#tailCapacity));
      this.#tail = [kept];
      this.#tailBytes = kept.length;
    }
  }

  text(): string {
    const tail = Buffer.concat(this.#tail).subarray(-this.#tailCapacity);
    const omitted = this.#total - this.#head.length - tail.length;
    if (omitted <= 0) return Buffer.concat([this.#head, tail]).toString('utf8');
    return `${this.#head.toString('utf8')}\n[... ${omitted} bytes of output omitted ...]\n${tail.toString('utf8')}`;
  }
}
