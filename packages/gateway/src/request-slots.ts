/**
 * Plain HTTP requests a `user` token may have in flight at once. A non-streamed answer is built
 * whole in memory and kept there until its client takes it: a client that sends requests and
 * never reads (here `GET /api/v1/sessions/{id}/export` of a 20 MB session, over raw sockets that
 * never read) held about 110 MB of the gateway per connection, for as long as the connection
 * stayed open, with no bound on the connections. A slot is taken when the request arrives and
 * freed when its connection's answer is done (taken or cut); a streamed answer (the /v1 turns'
 * recordings, the live feed, A2A streams, MCP's transport) gives it back as it starts
 * (`answeredAsStream`), as those have their own caps and the slow-reader cut (slow-readers.ts). Operator and admin tokens are not capped (StreamSlots).
 */
import type { ServerResponse } from 'node:http';
import type { FastifyReply } from 'fastify';
import type { Principal } from './auth.js';
import { replyError } from './http/reply-error.js';
import { cutStalledAnswer } from './slow-readers.js';
import { StreamSlots } from './stream-slots.js';
import type { GatewayLogger } from './types.js';

/**
 * What each held request lets go of when its answer turns out streamed (its slot, the stall
 * watch), by its answer: the one object every Fastify instance of a request shares.
 */
const heldBy = new WeakMap<ServerResponse, () => void>();

/**
 * The answer to `out` is streamed (written as its client takes it, under its door's own caps and
 * the slow-reader cut): its request gives its slot back now.
 */
export function answeredAsStream(out: ServerResponse): void {
  heldBy.get(out)?.();
}

/** The seconds a refused client is asked to wait: a slot frees as soon as one answer is taken. */
const RETRY_AFTER_SECS = 1;

export class RequestSlots {
  readonly #slots: StreamSlots;

  constructor(
    readonly max: number,
    private readonly stallMs: number,
    private readonly log: GatewayLogger,
  ) {
    this.#slots = new StreamSlots(max);
  }

  /**
   * Holds a slot of `principal`'s for the request `reply` answers, or answers it 429 and
   * returns false when the token has `max` in flight already. Every token's answer not streamed
   * is cut when its client stops taking it (slow-readers.ts).
   */
  hold(principal: Principal, reply: FastifyReply): boolean {
    const release = this.#slots.take(principal);
    if (release === undefined) {
      reply.header('retry-after', String(RETRY_AFTER_SECS));
      replyError(
        reply,
        429,
        'too_many_requests',
        `this token has ${this.max} requests in flight, the most it may ([gateway] max_requests_per_token); read their answers before sending more`,
      );
      return false;
    }
    reply.raw.once('close', release);
    const unwatch = cutStalledAnswer(reply.raw, this.stallMs, this.log);
    heldBy.set(reply.raw, () => {
      release();
      unwatch();
    });
    return true;
  }
}
