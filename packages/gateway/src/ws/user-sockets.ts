/**
 * A `user` token's WebSockets, together: they share one frame budget (the per-connection rate
 * limit, [gateway] rate_limit_per_sec and rate_limit_burst, was a per-connection one, so ten
 * connections sent ten times as much), and at most MAX_USER_TOKEN_SOCKETS are open at once (each
 * holds a socket, buffers and a heartbeat). Operator and admin tokens (a chat bridge, the owner's
 * TUI and scripts) keep a budget per connection and no cap: they may serve many people at once.
 */

import type { Principal } from '../auth.js';
import type { GatewayHub } from '../hub.js';
import { TokenBucket } from '../rate-limit.js';

/** WebSockets a `user` token may have open at once. */
export const MAX_USER_TOKEN_SOCKETS = 32;

interface Share {
  bucket: TokenBucket;
  open: number;
}

export class UserSockets {
  readonly #shares = new Map<string, Share>();

  constructor(private readonly hub: GatewayHub) {}

  /** The share a new connection joins; undefined: not a user token; 'full': refuse it. */
  open(principal: Principal): Share | undefined | 'full' {
    if (principal.role !== 'user') return undefined;
    let share = this.#shares.get(principal.tokenId);
    if (!share) {
      const { limits, clock } = this.hub.options;
      share = { bucket: new TokenBucket(limits.rateLimitPerSec, limits.rateLimitBurst, clock), open: 0 };
      this.#shares.set(principal.tokenId, share);
    }
    if (share.open >= MAX_USER_TOKEN_SOCKETS) return 'full';
    share.open += 1;
    return share;
  }

  /** A connection that joined a share closed. */
  close(principal: Principal): void {
    const share = this.#shares.get(principal.tokenId);
    if (!share || principal.role !== 'user') return;
    share.open -= 1;
    if (share.open === 0) this.#shares.delete(principal.tokenId);
  }
}
