/**
 * Events pushed by a callback (node-llama-cpp's onTextChunk) read as an async iterable, so the
 * adapter's stream yields text while the library is still generating.
 */
export class EventChannel<T> implements AsyncIterable<T> {
  #items: T[] = [];
  #done = false;
  #error: { error: unknown } | undefined;
  #wake: (() => void) | undefined;

  push(item: T): void {
    this.#items.push(item);
    this.#notify();
  }

  close(): void {
    this.#done = true;
    this.#notify();
  }

  fail(error: unknown): void {
    this.#error = { error };
    this.#notify();
  }

  #notify(): void {
    this.#wake?.();
    this.#wake = undefined;
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<T, void, undefined> {
    for (;;) {
      const item = this.#items.shift();
      if (item !== undefined) {
        yield item;
        continue;
      }
      if (this.#error) throw this.#error.error;
      if (this.#done) return;
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
      });
    }
  }
}
