/**
 * The channel's turns at once (`max_concurrent_turns`), shared fairly among its users, and the
 * way one turn takes that slot together with its user's (the kernel's admission service, the
 * per-user limit every door shares; not duplicated here).
 *
 * Fair in two ways, where one queue in arrival order was not (one user flooding many chats took
 * every slot first, and up to slots − per-user-limit of them sat idle waiting on that user's own
 * limit while everyone else waited behind them):
 * - a waiting turn is served round-robin across users: the next free slot goes to the waiting
 *   user served longest ago, so a flood delays each other user by about one turn;
 * - a channel slot is never held by a turn waiting on its own user's limit: a turn whose user is
 *   at the limit gives the slot back at once and waits on its user alone; once it has its user's
 *   slot it is served before the round-robin (it holds a slot of its user meanwhile).
 * A conversation's own messages still run one at a time in order: the host chains them.
 */
import type { Admission, Release } from '@oxydra/kernel';

/**
 * The per-user limit every door shares (`[gateway] max_concurrent_turns_per_user`, across
 * processes on one deployment): the kernel's `admission` service, waited for or tried at once.
 */
export type UserSlots = Pick<Admission, 'acquire' | 'tryAcquire'>;

interface Waiter {
  key: string;
  grant: () => void;
}

export class ChannelSlots {
  #free: number;
  /** Turns that hold their user's slot already: served first, in arrival order. */
  readonly #ready: Waiter[] = [];
  /** Each user's waiting turns, in arrival order. */
  readonly #waiting = new Map<string, Waiter[]>();
  /** When each user with a turn waiting or running was last given a slot (a counter, not a clock). */
  readonly #served = new Map<string, { tick: number; held: number }>();
  #tick = 0;

  constructor(limit: number) {
    this.#free = limit;
  }

  /**
   * Resolves with the slot's release (once; later calls do nothing) when one is free and it is
   * `key`'s turn; rejects with the signal's reason if it aborts first. `ready`: the caller holds
   * its user's slot already, so it goes before the round-robin.
   */
  acquire(key: string, signal: AbortSignal, ready = false): Promise<() => void> {
    if (signal.aborted) return Promise.reject(signal.reason);
    // A free slot means nobody waits (a release hands its slot straight to the next turn).
    if (this.#free > 0) {
      this.#free -= 1;
      return Promise.resolve(this.#give(key));
    }
    return new Promise((resolve, reject) => {
      const queue = ready ? this.#ready : (this.#waiting.get(key) ?? []);
      if (!ready) this.#waiting.set(key, queue);
      const waiter: Waiter = {
        key,
        grant: () => {
          signal.removeEventListener('abort', onAbort);
          resolve(this.#give(key));
        },
      };
      const onAbort = () => {
        queue.splice(queue.indexOf(waiter), 1);
        if (!ready && queue.length === 0) this.#waiting.delete(key);
        this.#forget(key);
        reject(signal.reason);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      queue.push(waiter);
      this.#mark(key);
    });
  }

  /** The next turn to serve: a ready one, else the head of the user served longest ago. */
  #nextWaiter(): Waiter | undefined {
    if (this.#ready.length > 0) return this.#ready[0];
    let best: Waiter[] | undefined;
    let bestTick = Number.POSITIVE_INFINITY;
    for (const [key, queue] of this.#waiting) {
      const tick = this.#served.get(key)?.tick ?? -1;
      if (tick < bestTick) {
        best = queue;
        bestTick = tick;
      }
    }
    return best?.[0];
  }

  #give(key: string): () => void {
    const served = this.#mark(key);
    served.tick = ++this.#tick;
    served.held += 1;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      served.held -= 1;
      this.#forget(key);
      const next = this.#nextWaiter();
      if (!next) {
        this.#free += 1;
        return;
      }
      if (next === this.#ready[0]) this.#ready.shift();
      else {
        const queue = this.#waiting.get(next.key)!;
        queue.shift();
        if (queue.length === 0) this.#waiting.delete(next.key);
      }
      // The slot passes straight to the next turn: the free count stays the same.
      next.grant();
    };
  }

  #mark(key: string): { tick: number; held: number } {
    let served = this.#served.get(key);
    if (!served) {
      served = { tick: -1, held: 0 };
      this.#served.set(key, served);
    }
    return served;
  }

  /** A user with nothing running or waiting is forgotten (memory stays bounded by the turns in hand). */
  #forget(key: string): void {
    const served = this.#served.get(key);
    if (!served || served.held > 0 || this.#waiting.has(key) || this.#ready.some((w) => w.key === key))
      return;
    this.#served.delete(key);
  }
}

/**
 * One turn's channel slot and its user's slot. The channel's is taken first (round-robin); then
 * the user's is tried without waiting. A user at their limit: the channel's slot goes back at
 * once (to a turn that can run), the turn waits on its user's limit alone (in the kernel's
 * arrival order, a /stop ends the wait), then takes a channel slot ahead of the round-robin.
 */
export async function takeTurnSlots(
  channel: ChannelSlots,
  users: UserSlots,
  userId: string,
  signal: AbortSignal,
): Promise<{ user: Release; channel: () => void }> {
  const first = await channel.acquire(userId, signal);
  let tried: Awaited<ReturnType<UserSlots['tryAcquire']>>;
  try {
    tried = await users.tryAcquire({ userId });
  } catch (error) {
    first();
    throw error;
  }
  if ('release' in tried) return { user: tried.release, channel: first };
  first();
  const user = await users.acquire({ userId }, signal);
  try {
    return { user, channel: await channel.acquire(userId, signal, true) };
  } catch (error) {
    void user();
    throw error;
  }
}
