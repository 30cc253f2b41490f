/**
 * The per-user limit across a deployment of several processes on one store (issue 33 item 3):
 * once a run has a slot of this process's Admission, it claims the same slot in the
 * ClusterStore, so a user's runs on every process and through every door (gateway turns, A2A
 * tasks, MCP run_agent, scheduled runs) count against one limit. A gateway session turn claims
 * its session in the same statement (one run per session); every other run only counts.
 *
 * A run that waits for its user's slot held on another process is woken when a slot of that
 * user comes free anywhere: here at once, from the others through `announce` and `freed` (the
 * gateway carries them on its event bus), and at worst after RETRY_MS, the cost of a message
 * lost on the bus. Only user runs wait (A2A and MCP, the doors of tokens acting for no user,
 * are refused at once), so only users' releases are announced.
 *
 * A release the store does not take (it is gone for now) is tried again until it does
 * (pending-releases.ts), without holding up the run's end. A process cut off from the store
 * (`cutOff`: the others reap its claims) stops every run holding a claim here, through each
 * release's `cutOff` signal, whatever door the run came in by.
 *
 * Loaded by the Admission only when a process joins a deployment (one process alone never runs it).
 */
import { randomUUID } from 'node:crypto';
import {
  Cancelled,
  type DeploymentMember,
  holderKey,
  OxydraError,
  type RunPlace,
  SessionBusyError,
  type SlotHolder,
} from '@oxydra/types';
import { PendingReleases } from './pending-releases.js';

/** A missed message costs at most this wait before the claim is tried again. */
const RETRY_MS = 1000;

/**
 * Ends the run's claim in a write of the caller's own, in the same transaction (a session turn's
 * SessionStore.endTurn with `releaseRun`): resolves whether the claim was there. Used only in a
 * deployment (alone there is no claim in the store); when it rejects, the claim is released on
 * its own, so a failed end never leaves it held.
 */
export type ClaimEnd = (runId: string) => Promise<boolean>;

/**
 * Gives the claim back; `end`: in the caller's own transaction. Resolves once the store took it,
 * or, when it did not (the store gone), at once, the release tried again meanwhile
 * (pending-releases.ts): a run's answer never waits for the store to come back.
 */
export type ClaimRelease = ((end?: ClaimEnd) => Promise<void>) & {
  /**
   * Aborts, with a Cancelled saying why, when this process is cut off from the deployment
   * (`cutOff`) while the run holds the claim: the others reap the claim and report the run
   * interrupted, so the run must stop, whatever door it came in by.
   */
  readonly cutOff: AbortSignal;
};

/**
 * Claimed (`stateWritten`: whether the place's state write wrote, when it had one; `committed`:
 * when it was answered before its commit, RunClaim's), or refused.
 */
export type ClaimAnswer =
  | { release: ClaimRelease; stateWritten?: boolean; committed?: Promise<void> }
  | { running: number };

/** A claim that holds its slot: the release, and whether the place's state write wrote. */
export type Claimed = Extract<ClaimAnswer, { release: ClaimRelease }>;

export class DeploymentClaims {
  /** Runs waiting for a slot of a holder held elsewhere, by holderKey. */
  readonly #waiters = new Map<string, Set<() => void>>();
  /** The claims runs hold here now, by run id: what stops each run when this process is cut off. */
  readonly #held = new Map<string, AbortController>();
  readonly #pending: PendingReleases;
  #left = false;

  constructor(readonly member: DeploymentMember) {
    this.#pending = new PendingReleases({
      release: (runId) => member.store.release(runId),
      warn: (message, fields) => member.warn?.(message, fields),
    });
  }

  /**
   * Claims a slot for `holder` within `perUser` across the deployment: the release when it got
   * one, else how many runs the holder has going. A busy session rejects (SessionBusyError).
   */
  async claim(holder: SlotHolder, place: RunPlace, perUser: number): Promise<ClaimAnswer> {
    const { store, processId } = this.member;
    this.member.assertMember?.();
    if (this.#left) throw new OxydraError('cancelled', 'this process has left the deployment');
    const runId = randomUUID();
    const answer = await store.claim({ runId, processId, ...holder, ...place }, { perUser });
    if (answer.ok) {
      const { stateWritten, committed } = answer;
      const release = this.#releaser(runId, holder);
      return {
        release: committed ? afterCommit(committed, release) : release,
        ...(stateWritten !== undefined ? { stateWritten } : {}),
        ...(committed ? { committed } : {}),
      };
    }
    if (answer.reason === 'session_busy') {
      throw new SessionBusyError(answer.holder, answer.holder.processId !== processId);
    }
    return { running: answer.running };
  }

  /** Claims, waiting (until `signal` aborts) while the holder is at the limit across the deployment. */
  async acquire(
    holder: SlotHolder,
    place: RunPlace,
    perUser: () => number,
    signal: AbortSignal,
  ): Promise<Claimed> {
    for (;;) {
      signal.throwIfAborted();
      const answer = await this.claim(holder, place, perUser());
      if ('release' in answer) return answer;
      await this.#freedOrAWhile(holder, signal);
    }
  }

  /** A slot of `userId` came free on another process: its waiters here try again. */
  freed(userId: string): void {
    this.#wake(holderKey({ userId }));
  }

  /**
   * This process leaves the deployment: waiters stop waiting (their next claim refuses), and
   * releases not taken yet are no longer tried (the store's leave drops every claim of the
   * process; if that fails too, the others reap them after the stale limit).
   */
  leave(): void {
    this.#left = true;
    this.#pending.clear();
    for (const key of [...this.#waiters.keys()]) this.#wake(key);
  }

  /**
   * This process was cut off from the store (it could not beat, or the others took it for dead):
   * the others reap its claims and report its runs interrupted, so every run holding a claim
   * here stops, through its release's `cutOff`, with `reason`. Waiters try again at once, and
   * are refused while the member says this process may not start runs (assertMember).
   */
  cutOff(reason: string): void {
    const why = new Cancelled(reason);
    for (const held of this.#held.values()) held.abort(why);
    for (const key of [...this.#waiters.keys()]) this.#wake(key);
  }

  /** Claims held now and releases the store has not taken yet (tests, health). */
  get claims(): { held: number; pending: number } {
    return { held: this.#held.size, pending: this.#pending.size };
  }

  #releaser(runId: string, holder: SlotHolder): ClaimRelease {
    const held = new AbortController();
    this.#held.set(runId, held);
    let released: Promise<void> | undefined;
    const release = (end?: ClaimEnd) => {
      released ??= this.#release(runId, holder, end);
      return released;
    };
    return Object.assign(release, { cutOff: held.signal });
  }

  async #release(runId: string, holder: SlotHolder, end: ClaimEnd | undefined): Promise<void> {
    this.#held.delete(runId);
    // Left: the store dropped this process's claims with it (runs still going at a stop).
    if (this.#left) return;
    const freed = () => {
      this.#wake(holderKey(holder));
      if (holder.userId !== undefined) this.member.announce?.(holder.userId);
    };
    try {
      if (!(await this.#ended(runId, end))) {
        this.member.warn?.(
          'a run ended after its claim was gone (this process was taken for dead, or left)',
          {
            run_id: runId,
          },
        );
      }
    } catch (error) {
      // The store is gone for now: the run ends without waiting for it, its claim is released
      // once the store is back (and the slot freed for the others then).
      this.#pending.add(runId, error, freed);
      return;
    }
    freed();
  }

  /**
   * The claim released in the caller's transaction when it gives one (one commit for the end of
   * a session turn), else on its own; that transaction failing, on its own after all (the claim
   * must not outlive the run). Whether the claim was there.
   */
  async #ended(runId: string, end: ClaimEnd | undefined): Promise<boolean> {
    if (end) {
      try {
        return await end(runId);
      } catch (error) {
        this.member.warn?.('could not end a run with its claim; releasing the claim alone', {
          run_id: runId,
          error: (error as Error).message,
        });
      }
    }
    return this.member.store.release(runId);
  }

  #wake(key: string): void {
    const waiters = this.#waiters.get(key);
    if (waiters) for (const wake of [...waiters]) wake();
  }

  #freedOrAWhile(holder: SlotHolder, signal: AbortSignal): Promise<void> {
    const key = holderKey(holder);
    return new Promise((resolve, reject) => {
      const waiters = this.#waiters.get(key) ?? new Set();
      this.#waiters.set(key, waiters);
      const cleanup = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        waiters.delete(done);
        if (waiters.size === 0) this.#waiters.delete(key);
      };
      const done = () => {
        cleanup();
        resolve();
      };
      const onAbort = () => {
        cleanup();
        reject(signal.reason);
      };
      const timer = setTimeout(done, RETRY_MS);
      signal.addEventListener('abort', onAbort, { once: true });
      waiters.add(done);
    });
  }
}

/**
 * A claim answered before its commit is released only once that commit settled: a release sent
 * meanwhile, on another connection, would find no claim to end, which would then stay.
 */
function afterCommit(committed: Promise<void>, release: ClaimRelease): ClaimRelease {
  const after = (end?: ClaimEnd) =>
    committed.then(
      () => release(end),
      () => release(end),
    );
  return Object.assign(after, { cutOff: release.cutOff });
}
