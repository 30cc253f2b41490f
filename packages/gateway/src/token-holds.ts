/**
 * What each stored token holds open: WebSockets, the live feed, MCP and answer streams, a run
 * waiting for its answer. Each request checks its token when it arrives, so without this a
 * revoked token kept everything it had opened (a WebSocket still starting turns, /api/v1/events
 * still telling its user's agents) until the client chose to leave. A revocation through this
 * process's kernel (DELETE /v1/tokens/:id) ends them at once (the tokens service tells its
 * listeners after the commit); one made elsewhere (`oxydra token revoke` at the terminal, another
 * gateway process of the deployment) at the next sweep, which asks the store which of the held
 * tokens no longer authenticate. The owner's token (the gateway token) is not stored and cannot be
 * revoked: it holds nothing here.
 */
import type { TokenCalls } from '@oxydra/kernel/admin';
import { OWNER, type Principal } from './auth.js';
import type { GatewayLogger } from './types.js';

/**
 * What a door is given to stop a run when its token is revoked: `end` is called on revocation;
 * call the returned release when the run ends by itself. A run (an agent) is held apart from its
 * socket because it may outlive it: a keyed /v1 answer runs on for the retry, an A2A task for
 * tasks/get, MCP's run_agent inside its session.
 */
export type HoldRun = (principal: Principal, end: () => void) => () => void;

/** Why a revoked token's run is stopped (its agent's cancellation reason). */
export const TOKEN_REVOKED = 'the token was revoked';

/** How often revocations made by other processes are looked for while a stored token holds something. */
const REVOCATION_SWEEP_MS = 5000;

export class TokenHolds {
  readonly #held = new Map<string, Set<() => void>>();
  #tokens: TokenCalls | undefined;
  #unlisten: (() => void) | undefined;
  #timer: NodeJS.Timeout | undefined;
  #sweeping = false;
  #stopped = false;

  constructor(
    private readonly tokens: () => Promise<TokenCalls>,
    private readonly log: GatewayLogger,
    private readonly sweepMs = REVOCATION_SWEEP_MS,
  ) {}

  /**
   * Keeps `end` to call if the principal's token is revoked; call the returned release when the
   * thing ends by itself. The owner's token holds nothing.
   */
  hold(principal: Principal, end: () => void): () => void {
    if (principal.tokenId === OWNER.tokenId || this.#stopped) return () => {};
    const id = principal.tokenId;
    let ends = this.#held.get(id);
    if (!ends) {
      ends = new Set();
      this.#held.set(id, ends);
    }
    const entry = () => end();
    ends.add(entry);
    this.#start();
    return () => {
      const current = this.#held.get(id);
      if (!current?.delete(entry) || current.size > 0) return;
      this.#held.delete(id);
      if (this.#held.size === 0) this.#pause();
    };
  }

  /** Token ids holding something now (tests, metrics). */
  get size(): number {
    return this.#held.size;
  }

  /** Ends what a revoked token holds (each end once; releases come as they close). */
  revoked(id: string): void {
    const ends = this.#held.get(id);
    if (!ends) return;
    this.#held.delete(id);
    if (this.#held.size === 0) this.#pause();
    this.log('info', 'ended what a revoked token held open', { token: id, open: ends.size });
    for (const end of ends) {
      try {
        end();
      } catch (error) {
        this.log('warn', 'could not end a revoked token connection', { error: String(error) });
      }
    }
  }

  /** Asks the store which held tokens no longer authenticate, and ends what they hold. */
  async sweep(): Promise<void> {
    if (this.#sweeping || this.#held.size === 0) return;
    this.#sweeping = true;
    try {
      this.#tokens ??= await this.tokens();
      const tokens = this.#tokens;
      for (const id of await tokens.unusable(this.#held.keys())) this.revoked(id);
    } finally {
      this.#sweeping = false;
    }
  }

  stop(): void {
    this.#stopped = true;
    this.#pause();
    this.#unlisten?.();
    this.#unlisten = undefined;
    for (const id of [...this.#held.keys()]) this.#held.delete(id);
  }

  #start(): void {
    if (this.#unlisten === undefined) {
      // Set before the service answers, so a second hold does not subscribe twice.
      this.#unlisten = () => {};
      void this.tokens()
        .then((tokens) => {
          this.#tokens = tokens;
          if (!this.#stopped) this.#unlisten = tokens.onRevoked((id) => this.revoked(id));
        })
        .catch((error: unknown) => {
          this.#unlisten = undefined;
          this.log('warn', 'could not follow token revocations', { error: String(error) });
        });
    }
    if (this.#timer !== undefined) return;
    this.#timer = setInterval(() => {
      this.sweep().catch((error: unknown) =>
        this.log('warn', 'token revocation sweep failed', { error: String(error) }),
      );
    }, this.sweepMs);
    this.#timer.unref();
  }

  #pause(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
  }
}
