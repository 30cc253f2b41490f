/**
 * A streamed answer read as server-sent events with eventsource-parser, for the adapters that
 * speak their API on `fetch` (Gemini, OpenAI). `next()` gives the `data` of the events each
 * network read completes, in one array: a batch per read, not a promise per event, keeps the
 * per-event cost of a long reply low.
 */
import { createParser, type EventSourceParser } from 'eventsource-parser';

const NO_EVENTS: readonly string[] = Object.freeze([]);

export class SseReader {
  readonly headers: Headers;
  protected readonly parser: EventSourceParser;
  private readonly reader: ReadableStreamDefaultReader<Uint8Array>;
  private readonly decoder = new TextDecoder();
  private pending: string[] = [];
  private finished = false;

  constructor(response: Response) {
    // @google/genai's words for it: a 204 answer, or a fetch that gave no stream.
    if (response.body === null) throw new Error('Response body is empty');
    this.headers = response.headers;
    this.reader = response.body.getReader();
    this.parser = createParser({ onEvent: (event) => this.pending.push(event.data) });
  }

  /** The data of the events completed by the next read ([] if none); undefined at the end. */
  async next(): Promise<readonly string[] | undefined> {
    if (this.finished) return undefined;
    const { done, value } = await this.reader.read();
    if (done) {
      this.finished = true;
      const rest = this.decoder.decode();
      if (rest !== '') this.feed(rest);
      this.ended();
      return this.take();
    }
    this.feed(this.decoder.decode(value, { stream: true }));
    return this.take();
  }

  /** Stop reading early (the consumer left, or a failure): lets the connection go. */
  cancel(): void {
    if (this.finished) return;
    this.finished = true;
    this.reader.cancel().catch(() => {});
  }

  /** One read's text, decoded; a subclass may look at it before the parser does. */
  protected feed(text: string): void {
    this.parser.feed(text);
  }

  /**
   * The body ended. By default an event not closed by a blank line is dropped, as the OpenAI
   * SDK's decoder dropped it: the translators then report the stream as cut.
   */
  protected ended(): void {}

  private take(): readonly string[] {
    if (this.pending.length === 0) return NO_EVENTS;
    const events = this.pending;
    this.pending = [];
    return events;
  }
}
