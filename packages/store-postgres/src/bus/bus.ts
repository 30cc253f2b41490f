/**
 * The EventBus of @oxydra/types on PostgreSQL's LISTEN/NOTIFY: what several gateway processes
 * sharing one database tell each other (a session's frames, cancels and approval answers for a
 * run held elsewhere, kernel events). One channel per schema (channel.ts); messages cut into
 * NOTIFY-sized chunks and put back together (frames.ts, reassembly.ts); two connections of its
 * own, one listening and one sending every publish in order (link.ts).
 *
 * At most once, never replayed: NOTIFY reaches the connections listening when it commits. When
 * a connection is lost (or a heartbeat ping does not come back) the bus opens new ones with a
 * growing delay (100 ms doubling to 5 s) and LISTENs again; what was sent meanwhile is gone, and while it is down `publish` and `check`
 * reject at once, saying so. The URL's password appears in no message (connection.ts).
 */
import { randomBytes } from 'node:crypto';
import { type EventBus, OxydraError } from '@oxydra/types';
import { DEFAULT_SCHEMA, describeTarget, PostgresConnectionError, scrubbed } from '../connection.js';
import { busChannel } from './channel.js';
import { checkProcessId, checkTopic, decodeFrame, encodeMessage, PING_TOPIC } from './frames.js';
import { type Link, openLink } from './link.js';
import { Reassembler, type ReassemblyLimits } from './reassembly.js';

export interface PostgresEventBusOptions {
  /** `postgres://user:password@host:port/database`, as the stores' (the password is never shown). */
  url: string;
  /** The stores' schema (default "oxydra"): buses of one schema hear each other, no others. */
  schema?: string;
  /** This process's id: 1-128 printable ASCII characters. */
  processId: string;
  /** How long `check()` waits for its ping to come back (default 5 s). */
  checkTimeoutMs?: number;
  /**
   * Every so often (default 15 s; 0: never) the bus checks itself, and a ping that does not
   * come back counts as a lost connection: a server or network that vanished without closing
   * the sockets is noticed in seconds, not at TCP's own timeouts.
   */
  heartbeatMs?: number;
  /** The first wait before reconnecting and the longest (default 100 ms and 5 s). */
  reconnectDelayMs?: { first: number; max: number };
  /** Bounds on chunks of incomplete messages (reassembly.ts). */
  reassembly?: Partial<ReassemblyLimits>;
}

interface Ping {
  resolve(): void;
  reject(error: unknown): void;
}

type Handler = (data: string, from: string) => void;

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export class PostgresEventBus implements EventBus {
  readonly processId: string;
  /** The LISTEN/NOTIFY channel (`oxydra_bus_<schema>`). */
  readonly channel: string;
  /** `user@host:port/db`: how messages name the server. */
  readonly target: string;
  readonly #url: string;
  readonly #checkTimeoutMs: number;
  readonly #delays: { first: number; max: number };
  readonly #handlers = new Map<string, Set<Handler>>();
  readonly #pings = new Map<string, Ping>();
  readonly #reassembler: Reassembler;
  /** Unique among this process's messages, and across its restarts (the random part). */
  readonly #idPrefix = randomBytes(4).toString('hex');
  #sent = 0;
  #link: Link | undefined;
  /** Why there is no link (while reconnecting). */
  #down = 'not connected yet';
  #attempt = 0;
  #retry: NodeJS.Timeout | undefined;
  #heartbeat: NodeJS.Timeout | undefined;
  #beating = false;
  readonly #linkListeners = new Set<(up: boolean) => void>();
  #closed = false;

  private constructor(options: PostgresEventBusOptions) {
    this.processId = checkProcessId(options.processId);
    this.channel = busChannel(options.schema ?? DEFAULT_SCHEMA);
    this.target = describeTarget(options.url);
    this.#url = options.url;
    this.#checkTimeoutMs = options.checkTimeoutMs ?? 5000;
    this.#delays = options.reconnectDelayMs ?? { first: 100, max: 5000 };
    this.#reassembler = new Reassembler(options.reassembly);
    const heartbeatMs = options.heartbeatMs ?? 15_000;
    if (heartbeatMs > 0) {
      this.#heartbeat = setInterval(() => this.#beat(), heartbeatMs);
      this.#heartbeat.unref();
    }
  }

  /** Opens the bus; rejects (PostgresConnectionError) when the database cannot be reached. */
  static async open(options: PostgresEventBusOptions): Promise<PostgresEventBus> {
    const bus = new PostgresEventBus(options);
    try {
      await bus.#connect();
    } catch (error) {
      await bus.close(); // its heartbeat timer
      const code = (error as { code?: unknown }).code;
      throw new PostgresConnectionError(
        bus.target,
        scrubbed(options.url, messageOf(error)),
        typeof code === 'string' ? code : undefined,
      );
    }
    return bus;
  }

  /** Incomplete chunked messages held now (bounded by `reassembly`). */
  get pendingChunks(): { messages: number; bytes: number } {
    return this.#reassembler.pending;
  }

  publish(topic: string, data: string): Promise<void> {
    try {
      checkTopic(topic);
      if (typeof data !== 'string') throw new OxydraError('usage_error', 'event bus data must be a string');
      const link = this.#usable('publish');
      return this.#send(link, this.#payloads(link, topic, data));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  subscribe(topic: string, handler: (data: string, from: string) => void): () => void {
    checkTopic(topic);
    if (this.#closed) return () => {};
    let handlers = this.#handlers.get(topic);
    if (!handlers) {
      handlers = new Set();
      this.#handlers.set(topic, handlers);
    }
    // A wrapper, so the same function subscribed twice is two subscriptions.
    const entry: Handler = (data, from) => handler(data, from);
    handlers.add(entry);
    return () => {
      const current = this.#handlers.get(topic);
      if (!current?.delete(entry)) return;
      if (current.size === 0) this.#handlers.delete(topic);
    };
  }

  /**
   * Tells `listener` when the bus listens (true: at once if it does now, and after each
   * reconnect) and when it stops (false: the connection lost, or closed); what was sent in
   * between never arrives. Not in the EventBus contract: for what keeps state the bus's
   * messages drop (the spend store's caps). Returns what stops telling it.
   */
  onLink(listener: (up: boolean) => void): () => void {
    if (this.#closed) return () => {};
    const entry = (up: boolean) => listener(up);
    this.#linkListeners.add(entry);
    if (this.#link) entry(true);
    return () => {
      this.#linkListeners.delete(entry);
    };
  }

  #tellLink(up: boolean): void {
    for (const listener of [...this.#linkListeners]) {
      try {
        listener(up);
      } catch {
        // As a handler's: one that throws stops nothing.
      }
    }
  }

  async check(): Promise<void> {
    const link = this.#usable('check');
    const token = randomBytes(8).toString('hex');
    const answered = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pings.delete(token);
        reject(
          new OxydraError(
            'internal_error',
            `event bus on ${this.target}: a ping sent through the database did not come back within ${this.#checkTimeoutMs} ms`,
          ),
        );
      }, this.#checkTimeoutMs);
      const settle = () => {
        clearTimeout(timer);
        this.#pings.delete(token);
      };
      this.#pings.set(token, {
        resolve: () => {
          settle();
          resolve();
        },
        reject: (error) => {
          settle();
          reject(error);
        },
      });
    });
    // Not awaited: on a connection gone silent the send never ends, and the timer must still answer.
    this.#send(link, this.#payloads(link, PING_TOPIC, token)).catch((error: unknown) =>
      this.#pings.get(token)?.reject(error),
    );
    return answered;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#retry);
    clearInterval(this.#heartbeat);
    const link = this.#link;
    this.#link = undefined;
    this.#rejectPings(this.#closedError('check'));
    this.#reassembler.clear();
    this.#handlers.clear();
    if (link) this.#tellLink(false);
    this.#linkListeners.clear();
    await link?.end();
  }

  /** The link to use now, or why not (closed, or down and reconnecting). */
  #usable(what: 'publish' | 'check'): Link {
    if (this.#closed) throw this.#closedError(what);
    if (!this.#link) {
      throw new OxydraError(
        'internal_error',
        `event bus on ${this.target} is not connected (${this.#down}); it is reconnecting, try again later`,
      );
    }
    return this.#link;
  }

  #closedError(what: string): OxydraError {
    return new OxydraError(
      'usage_error',
      `event bus of ${this.processId} is closed: cannot ${what} after close()`,
    );
  }

  #payloads(link: Link, topic: string, data: string): string[] {
    const id = `${this.#idPrefix}.${(this.#sent++).toString(36)}`;
    return encodeMessage({ from: this.processId, topic, id, data }, link.textBodies);
  }

  /** Queues every payload at once, in order, on the link's one publishing connection. */
  #send(link: Link, payloads: string[]): Promise<void> {
    return Promise.all(payloads.map((payload) => link.notify(payload))).then(
      () => undefined,
      (error: unknown) => {
        if (this.#closed) throw this.#closedError('publish');
        throw new OxydraError(
          'internal_error',
          `event bus on ${this.target} could not send: ${scrubbed(this.#url, messageOf(error))}`,
        );
      },
    );
  }

  #receive(payload: string): void {
    const frame = decodeFrame(payload);
    if (!frame) return;
    if (frame.from === this.processId) {
      // Our own messages come back too: only a ping of check() is wanted.
      if (frame.topic === PING_TOPIC) this.#pings.get(frame.bytes.toString('utf8'))?.resolve();
      return;
    }
    // Nobody here listens: not even its chunks are kept.
    if (!this.#handlers.has(frame.topic)) return;
    const message = this.#reassembler.add(frame);
    if (!message) return;
    for (const handler of [...(this.#handlers.get(message.topic) ?? [])]) {
      try {
        handler(message.data, message.from);
      } catch {
        // The contract: a handler that throws stops nothing (and is logged by nobody).
      }
    }
  }

  async #connect(): Promise<void> {
    // Set once openLink returns; its callbacks only run after that.
    let link: Link | undefined;
    link = await openLink(this.#url, this.channel, {
      notification: (payload) => {
        if (this.#link === link) this.#receive(payload);
      },
      lost: (error) => this.#lost(link, error),
    });
    if (this.#closed) {
      await link.end();
      return;
    }
    this.#link = link;
    this.#attempt = 0;
    this.#tellLink(true);
  }

  #lost(link: Link | undefined, error: unknown): void {
    if (this.#closed || link === undefined || this.#link !== link) return;
    this.#link = undefined;
    this.#down = `lost its connection: ${scrubbed(this.#url, messageOf(error))}`;
    this.#reassembler.clear();
    this.#tellLink(false);
    this.#rejectPings(
      new OxydraError(
        'internal_error',
        `event bus on ${this.target} ${this.#down} before the ping came back`,
      ),
    );
    void link.end();
    this.#reconnectLater();
  }

  /** The heartbeat: a check that fails while the link is still the same one loses that link. */
  #beat(): void {
    const link = this.#link;
    if (this.#closed || this.#beating || !link) return;
    this.#beating = true;
    this.check()
      .catch((error: unknown) => this.#lost(link, new Error(`heartbeat failed: ${messageOf(error)}`)))
      .finally(() => {
        this.#beating = false;
      });
  }

  #reconnectLater(): void {
    if (this.#closed || this.#retry) return;
    const delay =
      Math.min(this.#delays.max, this.#delays.first * 2 ** this.#attempt) * (0.8 + Math.random() * 0.4);
    this.#attempt++;
    this.#retry = setTimeout(() => {
      this.#retry = undefined;
      this.#connect().catch((error: unknown) => {
        this.#down = `cannot reconnect: ${scrubbed(this.#url, messageOf(error))}`;
        this.#reconnectLater();
      });
    }, delay);
  }

  #rejectPings(error: unknown): void {
    for (const ping of [...this.#pings.values()]) ping.reject(error);
  }
}
