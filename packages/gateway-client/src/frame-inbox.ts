/**
 * Awaiting frames: keeps the frames a client receives and hands each out once, to the first
 * `take` that asks for its type (and matches its predicate), whether it came before or after
 * the call. A caller that sends a request and then waits for the frames it causes (a turn's
 * `turn_completed`, a `session_deleted`) cannot miss one that arrived in between. Scripts and
 * tests use it; a view subscribes to the client instead.
 *
 * Cost over a long connection: frames not yet taken wait in one queue per type, and a taken
 * frame leaves its queue, so a take looks only at the unclaimed frames of its own type (the
 * oldest first: usually the one it wants), and a frame that comes while takes wait is offered
 * to those of its type once, on arrival. Scanning every frame received at each take made a run
 * of N frames cost N² and kept all of them. What is kept is bounded by `limit` (FrameInboxOptions).
 */
import type { ServerFrame } from '@oxydra/types/gateway';
import type { ClientListener } from './events.js';

export type FrameOf<T extends ServerFrame['type']> = Extract<ServerFrame, { type: T }>;

/** Anything that reports client events: a GatewayClient, or a test's raw socket. */
export interface FrameSource {
  subscribe(listener: ClientListener): () => void;
}

export interface FrameInboxOptions {
  /**
   * How many frames of one type wait unclaimed at most: past it the oldest is dropped (a caller
   * that never takes a type, such as a turn's deltas, keeps only the latest), and a take of that
   * type that then times out says how many were dropped. `frames` and `malformed` keep at least
   * this many of the latest entries, and at most twice as many. Default 10,000.
   */
  limit?: number;
}

const DEFAULT_LIMIT = 10_000;

/** A take waiting for a frame of `type` that `where` accepts. */
interface Waiting {
  readonly type: ServerFrame['type'];
  readonly where: (frame: ServerFrame) => boolean;
  readonly resolve: (frame: ServerFrame) => void;
  readonly reject: (error: Error) => void;
}

export class FrameInbox {
  /** The valid frames received, in order (taken ones included): the latest `limit` at least. */
  readonly frames: ServerFrame[] = [];
  /** Why each message that was no protocol v2 frame was ignored: the latest `limit` at least. */
  readonly malformed: string[] = [];
  /** Why the connection ended for good (and the gateway's close code, if it closed it), once it has. */
  closed: { reason: string; code?: number } | undefined;
  readonly #limit: number;
  /** Frames no take has claimed yet, per type, oldest first. */
  readonly #unclaimed = new Map<ServerFrame['type'], ServerFrame[]>();
  /** How many frames of each type were dropped unclaimed (past `limit`). */
  readonly #dropped = new Map<ServerFrame['type'], number>();
  /** The takes waiting for a frame, in the order they began: a new frame goes to the first that matches. */
  readonly #waiting: Waiting[] = [];
  readonly #unsubscribe: () => void;

  constructor(source: FrameSource, { limit = DEFAULT_LIMIT }: FrameInboxOptions = {}) {
    if (!Number.isInteger(limit) || limit < 1)
      throw new Error(`FrameInbox: limit must be a positive integer, not ${limit}`);
    this.#limit = limit;
    this.#unsubscribe = source.subscribe((event) => {
      if (event.kind === 'frame') this.#receive(event.frame);
      else if (event.kind === 'malformed') keepLatest(this.malformed, event.problem, limit);
      else if (event.kind === 'connection' && event.connection.state === 'closed') {
        this.closed = {
          reason: event.connection.reason ?? 'closed by the client',
          code: event.connection.code,
        };
        for (const waiting of this.#waiting.splice(0)) waiting.reject(this.#closedError(waiting.type));
      }
    });
  }

  /**
   * The first frame of `type` matching `where` not taken yet, waiting up to `timeoutMs` for it;
   * rejects when the connection ends for good first, naming the frames that did come. `where` is
   * asked about each frame once per take, so it should depend on the frame alone.
   */
  async take<T extends ServerFrame['type']>(
    type: T,
    where: (frame: FrameOf<T>) => boolean = () => true,
    timeoutMs = 5_000,
  ): Promise<FrameOf<T>> {
    const matches = where as (frame: ServerFrame) => boolean;
    const queue = this.#unclaimed.get(type);
    const index = queue === undefined ? -1 : queue.findIndex(matches);
    if (queue !== undefined && index >= 0) return queue.splice(index, 1)[0] as FrameOf<T>;
    if (this.closed !== undefined) throw this.#closedError(type);
    return new Promise<FrameOf<T>>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiting.splice(this.#waiting.indexOf(waiting), 1);
        reject(this.#timeoutError(type));
      }, timeoutMs);
      const waiting: Waiting = {
        type,
        where: matches,
        resolve: (frame) => {
          clearTimeout(timer);
          resolve(frame as FrameOf<T>);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      };
      this.#waiting.push(waiting);
    });
  }

  /** Stops recording. */
  stop(): void {
    this.#unsubscribe();
  }

  /** A new frame: to the first waiting take it matches, else queued for a later one. */
  #receive(frame: ServerFrame): void {
    keepLatest(this.frames, frame, this.#limit);
    const type = frame.type;
    for (let i = 0; i < this.#waiting.length; i++) {
      const waiting = this.#waiting[i] as Waiting;
      if (waiting.type !== type) continue;
      let matched: boolean;
      try {
        matched = waiting.where(frame);
      } catch (error) {
        // A predicate that throws fails its own take, as it did when takes scanned on waking.
        this.#waiting.splice(i--, 1);
        waiting.reject(error as Error);
        continue;
      }
      if (matched) {
        this.#waiting.splice(i, 1);
        waiting.resolve(frame);
        return;
      }
    }
    const queue = this.#unclaimed.get(type) ?? [];
    if (queue.length === 0) this.#unclaimed.set(type, queue);
    queue.push(frame);
    if (queue.length > this.#limit) {
      queue.shift();
      this.#dropped.set(type, (this.#dropped.get(type) ?? 0) + 1);
    }
  }

  #closedError(type: ServerFrame['type']): Error {
    return new Error(`the connection closed (${this.closed?.reason}) while waiting for ${type}`);
  }

  #timeoutError(type: ServerFrame['type']): Error {
    const dropped = this.#dropped.get(type) ?? 0;
    const lost =
      dropped > 0
        ? `; ${dropped} older ${type} frames were dropped unclaimed (more than ${this.#limit} waiting)`
        : '';
    return new Error(
      `timed out waiting for ${type}; got ${this.frames.map((f) => f.type).join(', ')}${lost}`,
    );
  }
}

/**
 * Appends `entry`, dropping the oldest half once there are twice `limit`: the latest `limit`
 * are always there, at a cost per entry that does not grow with the length.
 */
function keepLatest<T>(list: T[], entry: T, limit: number): void {
  list.push(entry);
  if (list.length >= 2 * limit) list.splice(0, list.length - limit);
}
