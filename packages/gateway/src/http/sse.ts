/**
 * Server-sent events over a Recording. The 200 head is sent lazily, at the first event, so a turn
 * that fails before saying anything still gets a real HTTP status. While the turn runs (a long
 * tool, a slow model) a comment line goes out every keepAliveMs, so proxies do not cut an idle
 * stream; the first one opens the stream too.
 */
import type { Recording } from './recording.js';

export class SseWriter {
  #timer: NodeJS.Timeout | undefined;
  #opened = false;

  constructor(
    private readonly out: Recording,
    keepAliveMs: number,
    private readonly onOpen: () => void,
  ) {
    this.#timer = setInterval(() => {
      this.open();
      this.out.write(': keep-alive\n\n');
    }, keepAliveMs);
    this.#timer.unref();
  }

  get opened(): boolean {
    return this.#opened;
  }

  /** Sends the head (once) and whatever the dialect starts every stream with. */
  open(): void {
    if (this.#opened) return;
    this.#opened = true;
    this.out.head(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    this.onOpen();
  }

  /** One event: `data: <json>`, with an `event:` line when named. */
  send(data: unknown, name?: string): void {
    this.open();
    this.out.write(`${name ? `event: ${name}\n` : ''}data: ${JSON.stringify(data)}\n\n`);
  }

  end(trailer?: string): void {
    this.stop();
    this.out.end(trailer);
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }
}
