/**
 * One HTTP answer written once and delivered to any number of clients: the request that started
 * the turn and, with an Idempotency-Key, every retry of it, which gets what was written so far
 * and then follows along. Without a key the recording has one client and keeps nothing after.
 *
 * A client that reads slower than the turn writes (or never reads) must not make the gateway
 * buffer the answer again for it. A kept answer holds every chunk anyway, so each of its clients
 * is written from its own place in them, a chunk at a time as its socket drains: one that stops
 * reading only lags (at most its socket's buffer behind), and a retry replaying a long answer is
 * not handed all of it at once. An answer that is not kept has nothing to catch a client up
 * from: its client is cut once MAX_UNREAD_BYTES behind (slow-readers.ts), which cancels the turn.
 */
import type { ServerResponse } from 'node:http';
import { writeUnlessBehind } from '../slow-readers.js';
import type { GatewayLogger } from '../types.js';

/**
 * Kept (an idempotency key): `onEnd` is told once the answer is whole (its keeper bounds what it
 * keeps then). Not kept: a client too far behind is dropped, logged as a `what` client.
 */
export type Keeping =
  | { keep: true; onEnd: () => void }
  | { keep: false; log: GatewayLogger | undefined; what: string };

interface Client {
  raw: ServerResponse;
  /** The kept chunk to write it next. */
  next: number;
  /** Its socket is full: written on at 'drain'. */
  waiting: boolean;
}

export class Recording {
  #status: number | undefined;
  #headers: Record<string, string> = {};
  readonly #chunks: string[] = [];
  #bytes = 0;
  #ended = false;
  readonly #clients = new Set<Client>();

  constructor(private readonly keeping: Keeping) {}

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
    const client: Client = { raw, next: 0, waiting: false };
    this.#clients.add(client);
    raw.once('close', () => this.#clients.delete(client));
    this.#pump(client);
  }

  head(status: number, headers: Record<string, string>): void {
    this.#status = status;
    this.#headers = headers;
    for (const client of this.#clients) if (open(client.raw)) client.raw.writeHead(status, headers);
  }

  write(chunk: string): void {
    const { keeping } = this;
    if (!keeping.keep) {
      for (const client of this.#clients) writeUnlessBehind(client.raw, chunk, keeping.log, keeping.what);
      return;
    }
    this.#chunks.push(chunk);
    this.#bytes += Buffer.byteLength(chunk);
    for (const client of this.#clients) this.#pump(client);
  }

  end(chunk?: string): void {
    if (chunk !== undefined) this.write(chunk);
    this.#ended = true;
    for (const client of [...this.#clients]) this.#pump(client);
    if (this.keeping.keep) this.keeping.onEnd();
  }

  /** Writes `client` the kept chunks it has not had, until its socket is full; ends it once caught up with an ended answer. */
  #pump(client: Client): void {
    const { raw } = client;
    if (client.waiting || !open(raw)) return;
    while (client.next < this.#chunks.length) {
      if (!raw.write(this.#chunks[client.next++] as string)) {
        client.waiting = true;
        raw.once('drain', () => {
          client.waiting = false;
          this.#pump(client);
        });
        return;
      }
    }
    if (this.#ended) {
      raw.end();
      this.#clients.delete(client);
    }
  }
}

const open = (raw: ServerResponse) => !raw.destroyed && !raw.writableEnded;
