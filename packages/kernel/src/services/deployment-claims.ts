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
 * Loaded by the Admission only when a process joins a deployment (one process alone never runs it).
 */
import { randomUUID } from 'node:crypto';
import {
  type DeploymentMember,
  holderKey,
  OxydraError,
  type RunPlace,
  SessionBusyError,
  type SlotHolder,
} from '@oxydra/types';

/** A missed message costs at most this wait before the claim is tried again. */
const RETRY_MS = 1000;

/**
 * Ends the run's claim in a write of the caller's own, in the same transaction (a session turn's
 * SessionStore.endTurn with `releaseRun`): resolves whether the claim was there. Used only in a
 * deployment (alone there is no claim in the store); when it rejects, the claim is released on
 * its own, so a failed end never leaves it held.
 */
export type ClaimEnd = (runId: string) => Promise<boolean>;

/** Gives the claim back; `end`: in the caller's own transaction. */
export type ClaimRelease = (end?: ClaimEnd) => Promise<void>;

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
  #left = false;

  constructor(readonly member: DeploymentMember) {}

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

  /** This process leaves the deployment: waiters stop waiting (their next claim refuses). */
  leave(): void {
    this.#left = true;
    for (const key of [...this.#waiters.keys()]) this.#wake(key);
  }

  #releaser(runId: string, holder: SlotHolder): ClaimRelease {
    let released: Promise<void> | undefined;
    return (end) => {
      released ??= (async () => {
        const { warn } = this.member;
        // Left: the store dropped this process's claims with it (runs still going at a stop).
        if (this.#left) return;
        try {
          if (!(await this.#ended(runId, end))) {
            warn?.('a run ended after its claim was gone (this process was taken for dead, or left)', {
              run_id: runId,
            });
          }
        } catch (error) {
          warn?.('could not end a run claim', { run_id: runId, error: (error as Error).message });
        }
        this.#wake(holderKey(holder));
        if (holder.userId !== undefined) this.member.announce?.(holder.userId);
      })();
      return released;
    };
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
  return (end) =>
    committed.then(
      () => release(end),
      () => release(end),
    );
}
