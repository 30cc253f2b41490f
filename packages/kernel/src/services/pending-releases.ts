/**
 * Claim releases the store did not take (PostgreSQL gone at that moment), tried again with
 * backoff until it takes them (issue 33). Without this a failed release left its claim held
 * until the process left or was reaped, and with it the session busy (`turn_active`) and a slot
 * of the user taken on a process that was still alive. A retry is safe whenever it lands: a
 * release of a claim that is gone (released meanwhile, or reaped with this process) answers
 * false and changes nothing. The run that ended does not wait for them (its answer goes out at
 * once); the process's leave drops them (the store removes every claim of a process leaving).
 */

/** The first retry's wait; each next one doubles, up to MAX_DELAY_MS. */
const FIRST_DELAY_MS = 100;
/** A store gone for long is still tried this often, so a claim outlives its return by no more. */
const MAX_DELAY_MS = 2000;

export interface PendingReleasesOptions {
  /** Releases the claim in the store: whether it was there (rejects when the store did not answer). */
  release(runId: string): Promise<boolean>;
  warn?(message: string, fields: Record<string, unknown>): void;
}

export class PendingReleases {
  /** By run id: the next try's timer, and what to do once the store took the release. */
  readonly #pending = new Map<string, { timer: NodeJS.Timeout; taken: () => void }>();

  constructor(readonly options: PendingReleasesOptions) {}

  /** Releases not taken yet. */
  get size(): number {
    return this.#pending.size;
  }

  /**
   * Tries `runId`'s release again after a while, and on until the store takes it; then calls
   * `taken` (the slot is free everywhere now).
   */
  add(runId: string, error: unknown, taken: () => void): void {
    if (this.#pending.has(runId)) return;
    this.options.warn?.('the store did not take the release of a run claim; trying again until it does', {
      run_id: runId,
      error: (error as Error).message,
    });
    this.#schedule(runId, FIRST_DELAY_MS, taken);
  }

  /** Stops trying (the process leaves the deployment, and the store drops its claims with it). */
  clear(): void {
    for (const { timer } of this.#pending.values()) clearTimeout(timer);
    this.#pending.clear();
  }

  #schedule(runId: string, delay: number, taken: () => void): void {
    const timer = setTimeout(() => void this.#retry(runId, delay, taken), delay);
    // A retry never keeps a stopping process alive.
    timer.unref();
    this.#pending.set(runId, { timer, taken });
  }

  async #retry(runId: string, delay: number, taken: () => void): Promise<void> {
    try {
      await this.options.release(runId);
    } catch {
      // Cleared meanwhile (the process left): nothing to try again.
      if (this.#pending.has(runId)) this.#schedule(runId, Math.min(delay * 2, MAX_DELAY_MS), taken);
      return;
    }
    if (this.#pending.delete(runId)) taken();
  }
}
