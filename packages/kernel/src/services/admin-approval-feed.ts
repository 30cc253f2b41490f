/**
 * The approvals queue, live: what happens to admin operations waiting for a second person, as
 * it happens, for GET /api/v1/events (the dashboard's approvals page never polls). A request or
 * decision made through the kernel's admin policy (admin-approvals.ts) is announced at once. Two
 * things no call here sees are found by comparing the queue with what listeners were told:
 * a request expiring (checked when the earliest pending one is due) and a decision made
 * outside this process (`oxydra approvals approve` at the terminal; checked every few seconds).
 * Both checks run only while somebody listens, and each is one small query of the queue.
 */
import type { AdminApproval, ApprovalCalls } from './admin-approvals.js';

/** What happened to a request: made, or how it left the queue. */
export type ApprovalChangeType = 'requested' | 'approved' | 'rejected' | 'expired' | 'failed';

export interface ApprovalChange {
  type: ApprovalChangeType;
  /** The request as it is now. */
  approval: AdminApproval;
}

export type ApprovalListener = (change: ApprovalChange) => void;

/** How often the queue is compared while somebody listens (decisions made at the terminal). */
const APPROVAL_SYNC_MS = 5000;
/** Past a request's expiry before it is looked at (clocks round to the millisecond). */
const EXPIRY_MARGIN_MS = 50;
/** setTimeout's longest delay. */
const MAX_DELAY_MS = 2 ** 31 - 1;

export interface ApprovalFeedOptions {
  now?: () => number;
  syncMs?: number;
}

const changeOf = (approval: AdminApproval): ApprovalChangeType =>
  approval.status === 'pending' ? 'requested' : approval.status;

export class AdminApprovalFeed {
  readonly #calls: Pick<ApprovalCalls, 'list' | 'get'>;
  readonly #now: () => number;
  readonly #syncMs: number;
  readonly #listeners = new Set<ApprovalListener>();
  /** The pending requests the listeners were told of, by id. */
  readonly #pending = new Map<string, AdminApproval>();
  #syncTimer: ReturnType<typeof setInterval> | undefined;
  #expiryTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(calls: Pick<ApprovalCalls, 'list' | 'get'>, options: ApprovalFeedOptions = {}) {
    this.#calls = calls;
    this.#now = options.now ?? Date.now;
    this.#syncMs = options.syncMs ?? APPROVAL_SYNC_MS;
  }

  get listeners(): number {
    return this.#listeners.size;
  }

  /** Hears every change from now on; returns the function that stops it. */
  subscribe(listener: ApprovalListener): () => void {
    if (this.#listeners.size === 0) this.#start();
    this.#listeners.add(listener);
    return () => {
      if (!this.#listeners.delete(listener)) return;
      if (this.#listeners.size === 0) this.#stop();
    };
  }

  /** Says what just happened to one request (made or decided through this gateway). */
  announce(approval: AdminApproval): void {
    if (this.#listeners.size === 0) return;
    const type = changeOf(approval);
    if (type === 'requested') {
      if (this.#pending.has(approval.id)) return;
      this.#pending.set(approval.id, approval);
    } else {
      this.#pending.delete(approval.id);
    }
    this.#emit({ type, approval });
    this.#scheduleExpiry();
  }

  /**
   * Compares the queue with what listeners were told: a request that left it (expired, or
   * decided elsewhere) and one that joined it (asked elsewhere) are announced.
   */
  async sync(): Promise<void> {
    if (this.#listeners.size === 0) return;
    let queue: AdminApproval[];
    try {
      queue = await this.#calls.list();
    } catch {
      return; // the kernel is closing; the stream ends with it
    }
    const current = new Map(queue.map((approval) => [approval.id, approval]));
    for (const [id, known] of this.#pending) {
      if (current.has(id)) continue;
      this.#pending.delete(id);
      let now: AdminApproval | undefined;
      try {
        now = await this.#calls.get(id);
      } catch {}
      // Still pending in the table but no longer listed: its time ran out.
      const gone = now ?? known;
      const approval: AdminApproval = gone.status === 'pending' ? { ...gone, status: 'expired' } : gone;
      this.#emit({ type: changeOf(approval), approval });
    }
    for (const approval of queue) {
      if (this.#pending.has(approval.id)) continue;
      this.#pending.set(approval.id, approval);
      this.#emit({ type: 'requested', approval });
    }
    this.#scheduleExpiry();
  }

  #start(): void {
    void this.#calls.list().then(
      (queue) => {
        for (const approval of queue)
          if (!this.#pending.has(approval.id)) this.#pending.set(approval.id, approval);
      },
      () => {},
    );
    this.#syncTimer = setInterval(() => void this.sync(), this.#syncMs);
    this.#syncTimer.unref?.();
    this.#scheduleExpiry();
  }

  #stop(): void {
    clearInterval(this.#syncTimer);
    clearTimeout(this.#expiryTimer);
    this.#syncTimer = undefined;
    this.#expiryTimer = undefined;
    this.#pending.clear();
  }

  /** A check just after the earliest pending request expires. */
  #scheduleExpiry(): void {
    clearTimeout(this.#expiryTimer);
    this.#expiryTimer = undefined;
    if (this.#listeners.size === 0) return;
    let earliest = Number.POSITIVE_INFINITY;
    for (const approval of this.#pending.values()) {
      const at = Date.parse(approval.expiresAt);
      if (at < earliest) earliest = at;
    }
    // None pending; or one listed past its time (another clock): the periodic check has it.
    if (!Number.isFinite(earliest) || earliest + EXPIRY_MARGIN_MS < this.#now()) return;
    const delay = Math.min(MAX_DELAY_MS, Math.max(0, earliest - this.#now()) + EXPIRY_MARGIN_MS);
    this.#expiryTimer = setTimeout(() => void this.sync(), delay);
    this.#expiryTimer.unref?.();
  }

  #emit(change: ApprovalChange): void {
    for (const listener of [...this.#listeners]) {
      try {
        listener(change);
      } catch {
        // one listener's failure (a closed stream) is not another's
      }
    }
  }
}
