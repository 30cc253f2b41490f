/**
 * Awaiting frames: keeps every frame a client receives and hands each out once, to the first
 * `take` that asks for its type (and matches its predicate), whether it came before or after
 * the call. A caller that sends a request and then waits for the frames it causes (a turn's
 * `turn_completed`, a `session_deleted`) cannot miss one that arrived in between. Scripts and
 * tests use it; a view subscribes to the client instead.
 */
import type { ServerFrame } from '@oxydra/types/gateway';
import type { ClientListener } from './events.js';

export type FrameOf<T extends ServerFrame['type']> = Extract<ServerFrame, { type: T }>;

/** Anything that reports client events: a GatewayClient, or a test's raw socket. */
export interface FrameSource {
  subscribe(listener: ClientListener): () => void;
}

export class FrameInbox {
  /** Every valid frame received, in order (taken ones included). */
  readonly frames: ServerFrame[] = [];
  /** Why each message that was no protocol v2 frame was ignored. */
  readonly malformed: string[] = [];
  /** Why the connection ended for good (and the gateway's close code, if it closed it), once it has. */
  closed: { reason: string; code?: number } | undefined;
  readonly #taken = new Set<number>();
  #wake: Array<() => void> = [];
  readonly #unsubscribe: () => void;

  constructor(source: FrameSource) {
    this.#unsubscribe = source.subscribe((event) => {
      if (event.kind === 'frame') this.frames.push(event.frame);
      else if (event.kind === 'malformed') this.malformed.push(event.problem);
      else if (event.kind === 'connection' && event.connection.state === 'closed')
        this.closed = {
          reason: event.connection.reason ?? 'closed by the client',
          code: event.connection.code,
        };
      else return;
      const wake = this.#wake;
      this.#wake = [];
      for (const resolve of wake) resolve();
    });
  }

  /**
   * The first frame of `type` matching `where` not taken yet, waiting up to `timeoutMs` for it;
   * rejects when the connection ends for good first, naming the frames that did come.
   */
  async take<T extends ServerFrame['type']>(
    type: T,
    where: (frame: FrameOf<T>) => boolean = () => true,
    timeoutMs = 5_000,
  ): Promise<FrameOf<T>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const index = this.frames.findIndex(
        (frame, i) => !this.#taken.has(i) && frame.type === type && where(frame as FrameOf<T>),
      );
      if (index >= 0) {
        this.#taken.add(index);
        return this.frames[index] as FrameOf<T>;
      }
      if (this.closed !== undefined)
        throw new Error(`the connection closed (${this.closed.reason}) while waiting for ${type}`);
      const left = deadline - Date.now();
      if (left <= 0)
        throw new Error(`timed out waiting for ${type}; got ${this.frames.map((f) => f.type).join(', ')}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#wake.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Stops recording. */
  stop(): void {
    this.#unsubscribe();
  }
}
