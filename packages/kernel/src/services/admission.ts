/**
 * Per-user concurrency: the one limit on how many agent runs a user has going at once, shared by
 * every door into the kernel (gateway WebSocket and HTTP turns, A2A tasks, MCP run_agent and the
 * scheduler's runs), so a chat turn and a scheduled run of one user count against the same slots.
 * The limit is `[gateway] max_concurrent_turns_per_user` (default 10).
 *
 * Two ways in, kept as each door behaved before: `acquire` waits in arrival order (FIFO) until a
 * slot is free, leaving the queue when its signal aborts (chat turns, scheduled runs);
 * `tryAcquire` refuses at once with a message saying why (A2A and MCP, whose callers cannot be
 * queued).
 *
 * One process alone: the slots are this process's, and nothing here awaits any I/O. One of
 * several processes on one store (the gateway `join`s this Admission to the deployment once it
 * is a member): a run that has its slot here claims it in the store too (deployment-claims.ts),
 * so the limit holds across processes, and a gateway session turn claims its session with it.
 * A process cut off from the deployment stops every run holding a claim (`cutOff`; each door
 * hooks its run to its release with `Admission.stopOnCutOff`).
 *
 * Who holds a slot: a user, or a token that acts for no user (an owner or admin token over A2A or
 * MCP). Keying such a token by itself keeps one token from starving the others; a user's tokens
 * and clients share that user's slots, so no user can take another's.
 */
import { type DeploymentMember, holderKey, type RunPlace, type SlotHolder } from '@oxydra/types';
import type { ClaimEnd, DeploymentClaims } from './deployment-claims.js';

/** Whose slots a run takes: a user, or a token acting for no user. */
export type Holder = SlotHolder;

/**
 * Gives the slot back (once; later calls do nothing). Resolves when it is free everywhere: at
 * once alone, once the store has it back in a deployment (a session turn's next turn may then
 * go to any process), or at once when the store did not take it (tried again meanwhile).
 */
export type Release = ((end?: ClaimEnd) => Promise<void>) & {
  /**
   * In a deployment: aborts when this process is cut off from it while the run holds its slot
   * (`Admission.cutOff`); the run must then stop (`Admission.stopOnCutOff`). Absent alone.
   */
  readonly cutOff?: AbortSignal;
};

export type TryAcquired = { release: Release } | { refusal: string };

/**
 * A slot held, and whether the place's state write (RunPlace's `state`) was made with the
 * deployment's claim, in its transaction. Never alone (no claim: the caller writes it itself),
 * nor when the write found another epoch.
 */
export interface Acquired {
  release: Release;
  stateWritten: boolean;
  /**
   * Asked for with RunPlace's `beforeCommit`: the deployment's claim was answered before its
   * commit returned; this settles once it is stored, rejecting when it was not. Whatever the run
   * stores must wait for it.
   */
  committed?: Promise<void>;
}

interface Waiter {
  grant: () => void;
}

const DONE = Promise.resolve();

export class Admission {
  readonly #running = new Map<string, number>();
  readonly #waiting = new Map<string, Waiter[]>();
  #limit: number;
  /** Set while this process is one of several on one store. */
  #deployment: DeploymentClaims | undefined;

  constructor(limit: number) {
    this.#limit = limit;
  }

  get limit(): number {
    return this.#limit;
  }

  /** A host that takes the limit from elsewhere (the gateway's own limits) sets it once at start. */
  setLimit(limit: number): void {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`limit ${limit}: use a whole number ≥ 1`);
    this.#limit = limit;
  }

  /**
   * From now on every run claims its slot in the deployment too (`member`: this process in the
   * store; it must be registered there, having beaten). Runs holding a slot already keep it here
   * only. The claims' module is loaded here, so a process alone never loads it.
   */
  async join(member: DeploymentMember): Promise<void> {
    const { DeploymentClaims } = await import('./deployment-claims.js');
    this.#deployment = new DeploymentClaims(member);
  }

  /** This process left the deployment (its claims went with it): back to this process's slots. */
  leave(): void {
    this.#deployment?.leave();
    this.#deployment = undefined;
  }

  /**
   * This process was cut off from the deployment's store (GatewayCluster: it could not beat for
   * the stale limit, or the others took it for dead): the others reap its claims and report its
   * runs interrupted, so every run holding a claim here, whatever its door, is stopped with
   * `reason` (its release's `cutOff` aborts).
   */
  cutOff(reason: string): void {
    this.#deployment?.cutOff(reason);
  }

  /** Claims this process holds in the deployment now, and releases the store has not taken yet. */
  get claims(): { held: number; pending: number } {
    return this.#deployment?.claims ?? { held: 0, pending: 0 };
  }

  /** A slot of `userId` came free on another process of the deployment: waiting runs try again. */
  freed(userId: string): void {
    this.#deployment?.freed(userId);
  }

  /**
   * Resolves with the release once a slot is free (FIFO; in a deployment, once the store has
   * granted it too); rejects with the signal's reason if it aborts first. `place`: the session a
   * gateway turn holds, which rejects with SessionBusyError when another run holds it in the
   * deployment.
   */
  acquire(holder: Holder, signal: AbortSignal, place: RunPlace = {}): Promise<Release> {
    if (!this.#deployment) return this.#acquireHere(holder, signal);
    return this.acquireWith(holder, signal, place).then((acquired) => acquired.release);
  }

  /** acquire, saying too whether `place.state` was written with the deployment's claim (Acquired). */
  acquireWith(holder: Holder, signal: AbortSignal, place: RunPlace): Promise<Acquired> {
    const local = this.#acquireHere(holder, signal);
    const deployment = this.#deployment;
    if (!deployment) return local.then((release) => ({ release, stateWritten: false }));
    return local.then((release) => this.#claimed(deployment, holder, place, signal, release));
  }

  /** The release when a slot is free now, else the refusal to show the caller. */
  async tryAcquire(holder: Holder): Promise<TryAcquired> {
    const key = holderKey(holder);
    // Waiters come first: taking a slot past them would break the FIFO promise.
    const release = this.#waiting.has(key) ? undefined : this.#take(key);
    if (!release) return { refusal: this.#refusal(holder, this.running(holder), '') };
    const deployment = this.#deployment;
    if (!deployment) return { release };
    let answer: Awaited<ReturnType<DeploymentClaims['claim']>>;
    try {
      answer = await deployment.claim(holder, {}, this.#limit);
    } catch (error) {
      void release();
      throw error;
    }
    if ('release' in answer) return { release: both(answer.release, release) };
    void release();
    return { refusal: this.#refusal(holder, answer.running, " across the deployment's processes") };
  }

  async #claimed(
    deployment: DeploymentClaims,
    holder: Holder,
    place: RunPlace,
    signal: AbortSignal,
    local: Release,
  ): Promise<Acquired> {
    try {
      const claimed = await deployment.acquire(holder, place, () => this.#limit, signal);
      return {
        release: both(claimed.release, local),
        stateWritten: claimed.stateWritten === true,
        ...(claimed.committed ? { committed: claimed.committed } : {}),
      };
    } catch (error) {
      void local();
      throw error;
    }
  }

  #acquireHere(holder: Holder, signal: AbortSignal): Promise<Release> {
    if (signal.aborted) return Promise.reject(signal.reason);
    const key = holderKey(holder);
    const free = this.#take(key);
    if (free) return Promise.resolve(free);
    return new Promise((resolve, reject) => {
      const queue = this.#waiting.get(key) ?? [];
      this.#waiting.set(key, queue);
      const waiter: Waiter = {
        grant: () => {
          signal.removeEventListener('abort', onAbort);
          resolve(this.#releaser(key));
        },
      };
      const onAbort = () => {
        const index = queue.indexOf(waiter);
        if (index >= 0) queue.splice(index, 1);
        if (queue.length === 0) this.#waiting.delete(key);
        reject(signal.reason);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      queue.push(waiter);
    });
  }

  #refusal(holder: Holder, running: number, where: string): string {
    const who = holder.userId !== undefined ? `user ${holder.userId}` : 'this token';
    return `${who} already has ${running} agent runs going${where} (the limit, [gateway] max_concurrent_turns_per_user); wait for one to finish or cancel one`;
  }

  /**
   * Stops a run when its slot is cut off from the deployment (Release.cutOff): `stop` is called
   * once with why (a Cancelled). The one hook every door puts between its slot and its run.
   * Returns what unhooks it (the run ended first).
   */
  static stopOnCutOff(release: Release, stop: (why: Error) => void): () => void {
    const signal = release.cutOff;
    if (!signal) return () => {};
    const onAbort = () => stop(signal.reason as Error);
    if (signal.aborted) {
      onAbort();
      return () => {};
    }
    signal.addEventListener('abort', onAbort, { once: true });
    return () => signal.removeEventListener('abort', onAbort);
  }

  /** Runs holding a slot of this process now (tests, health). */
  running(holder: Holder): number {
    return this.#running.get(holderKey(holder)) ?? 0;
  }

  /** Runs waiting for a slot of this process now. */
  waiting(holder: Holder): number {
    return this.#waiting.get(holderKey(holder))?.length ?? 0;
  }

  #take(key: string): Release | undefined {
    const now = this.#running.get(key) ?? 0;
    if (now >= this.#limit) return undefined;
    this.#running.set(key, now + 1);
    return this.#releaser(key);
  }

  #releaser(key: string): Release {
    let released = false;
    return () => {
      if (released) return DONE;
      released = true;
      const queue = this.#waiting.get(key);
      const next = queue?.shift();
      if (queue?.length === 0) this.#waiting.delete(key);
      // The slot passes straight to the next waiter, so the running count stays the same.
      if (next) next.grant();
      else {
        const count = (this.#running.get(key) ?? 1) - 1;
        if (count <= 0) this.#running.delete(key);
        else this.#running.set(key, count);
      }
      return DONE;
    };
  }
}

/** The deployment's claim given back first (a waiter here may then claim it), then this process's slot. */
function both(claim: Release, local: Release): Release {
  let released: Promise<void> | undefined;
  const release = (end?: ClaimEnd) => {
    released ??= claim(end).finally(() => local());
    return released;
  };
  return claim.cutOff ? Object.assign(release, { cutOff: claim.cutOff }) : release;
}
