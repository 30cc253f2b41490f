/**
 * One HTTP answer written once and delivered to any number of clients: the request that started
 * the turn and, with an Idempotency-Key, every retry of it, which gets what was written so far
 * and then follows along. Without a key the recording has one client and keeps nothing after.
 */
import type { ServerResponse } from 'node:http';

export class Recording {
  #status: number | undefined;
  #headers: Record<string, string> = {};
  readonly #chunks: string[] = [];
  #bytes = 0;
  #ended = false;
  readonly #clients = new Set<ServerResponse>();
  readonly #keep: boolean;

  /**
   * `keep`: retain the chunks for later clients (idempotent requests). `ended`: told once the
   * answer is whole (its keeper bounds what it keeps then).
   */
  constructor(
    keep: boolean,
    private readonly onEnd: () => void = () => {},
  ) {
    this.#keep = keep;
  }

  get headSent(): boolean {
    return this.#status !== undefined;
  }

  get ended(): boolean {
    return this.#ended;
  }

  /** The bytes kept for later clients (UTF-8): what an idempotency key costs while it is kept. */
  get bytes(): number {
    return this.#bytes;
  }

  attach(raw: ServerResponse): void {
    if (this.#status !== undefined) raw.writeHead(this.#status, this.#headers);
    for (const chunk of this.#chunks) raw.write(chunk);
    if (this.#ended) {
      raw.end();
      return;
    }
    this.#clients.add(raw);
    raw.once('close', () => this.#clients.delete(raw));
  }

  /** Whether any client still listens. */
  get listened(): boolean {
    return this.#clients.size > 0;
  }

  head(status: number, headers: Record<string, string>): void {
    this.#status = status;
    this.#headers = headers;
    for (const raw of this.#open()) raw.writeHead(status, headers);
  }

  write(chunk: string): void {
    if (this.#keep) {
      this.#chunks.push(chunk);
      this.#bytes += Buffer.byteLength(chunk);
    }
    for (const raw of this.#open()) raw.write(chunk);
  }

  end(chunk?: string): void {
    if (chunk !== undefined) this.write(chunk);
    this.#ended = true;
    for (const raw of this.#open()) raw.end();
    this.#clients.clear();
    this.onEnd();
  }

  *#open(): Iterable<ServerResponse> {
    for (const raw of this.#clients) if (!raw.destroyed && !raw.writableEnded) yield raw;
  }
}
