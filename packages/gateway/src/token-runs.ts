/**
 * Agent runs a token has going through the remote-call doors (A2A tasks, MCP's run_agent over
 * /mcp), counted together against one limit (`[gateway] max_concurrent_turns_per_user`): these
 * doors cannot queue a caller the way a WebSocket turn waits its lane, so past the limit a new
 * run is refused with a message saying so.
 */
export class TokenRuns {
  readonly #running = new Map<string, number>();

  constructor(readonly limit: number) {}

  /** Takes a slot for the token: its release (call once), or a refusal when none is free. */
  take(tokenId: string): { release: () => void } | { refusal: string } {
    const now = this.#running.get(tokenId) ?? 0;
    if (now >= this.limit) {
      return {
        refusal: `this token already has ${now} agent runs going (the limit, [gateway] max_concurrent_turns_per_user); wait for one to finish or cancel one`,
      };
    }
    this.#running.set(tokenId, now + 1);
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        const left = (this.#running.get(tokenId) ?? 1) - 1;
        if (left <= 0) this.#running.delete(tokenId);
        else this.#running.set(tokenId, left);
      },
    };
  }
}
