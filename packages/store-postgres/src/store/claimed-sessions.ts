/**
 * A session's row and stamp as a session turn's claim read them (ClusterStore.claim, in the
 * claim's transaction, once the claim holds the session), kept for that turn's own opening of
 * the session (SessionStore.stamp with `session`, which takes it once): one read of the session
 * less on the turn's path (docs/postgres.md, "Twelfth round"). The read is at least as new as one
 * made when the turn opens the session, less what was written since; so a write of the session
 * through this process's session store, and the claim's release, drop it. A write by another
 * process or door meanwhile is as if it came after the read, which an opening's own read allows
 * too (nothing orders it before the turn's append).
 */
import type { SessionStamp } from '@oxydra/types';

interface Claimed {
  runId: string;
  stamp: SessionStamp;
}

export class ClaimedSessions {
  readonly #held = new Map<string, Claimed>();

  put(sessionId: string, runId: string, stamp: SessionStamp): void {
    this.#held.set(sessionId, { runId, stamp });
  }

  /** The stamp the claim read, once; undefined when there is none (read it). */
  take(sessionId: string): SessionStamp | undefined {
    const claimed = this.#held.get(sessionId);
    this.#held.delete(sessionId);
    return claimed?.stamp;
  }

  /** The session was written: what the claim read is old. */
  drop(sessionId: string): void {
    this.#held.delete(sessionId);
  }

  /** The claim `runId` ended: its read is for no turn any more. */
  released(runId: string): void {
    for (const [sessionId, claimed] of this.#held) {
      if (claimed.runId === runId) this.#held.delete(sessionId);
    }
  }
}
