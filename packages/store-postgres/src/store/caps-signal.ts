/**
 * How the PostgreSQL spend store tells of cap changes (SpendStore.watchCaps), so the kernel keeps
 * caps in memory between them (kernel services/budgets/spending.ts's CapsMemory says how fresh): through
 * the deployment's event bus (docs/postgres.md, "Fifth round"). A cap change sends its NOTIFY in
 * its own statement (capsChanged), so it is delivered when the change commits, from any process,
 * a gateway or `oxydra budget set`, and a rolled-back change says nothing.
 *
 * It listens while a bus of this process listens (openBus), and is deaf without one or while its
 * listening connection is lost: a notification sent meanwhile is never replayed.
 */
import { randomBytes } from 'node:crypto';
import type { CapsNews } from '@oxydra/types';
import { busChannel } from '../bus/channel.js';
import { encodeMessage } from '../bus/frames.js';

/** The bus topic of cap changes. */
export const CAPS_TOPIC = 'budget_caps';
/** The sender named in the notification: no process's id, so the process that sent it hears it too. */
const SENDER = 'oxydra.budget-caps';

/** What the signal needs of a bus (PostgresEventBus): its messages and whether it listens. */
export interface CapsBus {
  subscribe(topic: string, handler: (data: string, from: string) => void): () => void;
  /** Called with true when it listens (now, if it does), false when it stops. */
  onLink(listener: (up: boolean) => void): () => void;
}

/** `SELECT pg_notify($channel, $payload)`'s two values for one cap change of `schema`. */
export function capsChanged(schema: string): [channel: string, payload: string] {
  const id = randomBytes(8).toString('hex');
  const [payload] = encodeMessage({ from: SENDER, topic: CAPS_TOPIC, id, data: '' }, true);
  return [busChannel(schema), payload!];
}

export class CapsSignal {
  readonly #watchers = new Set<(news: CapsNews) => void>();
  /** The buses listening now (one per openBus; usually one). */
  readonly #listening = new Set<object>();

  /** Tells of changes while `bus` listens; returns what stops following it. */
  follow(bus: CapsBus): () => void {
    const key = {};
    const stopMessages = bus.subscribe(CAPS_TOPIC, () => this.tell('changed'));
    const stopLink = bus.onLink((up) => (up ? this.#up(key) : this.#down(key)));
    return () => {
      stopMessages();
      stopLink();
      this.#down(key);
    };
  }

  watch(listener: (news: CapsNews) => void): () => void {
    this.#watchers.add(listener);
    if (this.#listening.size > 0) listener('listening');
    return () => this.#watchers.delete(listener);
  }

  tell(news: CapsNews): void {
    for (const watcher of this.#watchers) watcher(news);
  }

  #up(key: object): void {
    const was = this.#listening.size > 0;
    this.#listening.add(key);
    // Another bus coming up: nothing was missed, but what was read meanwhile is not kept.
    this.tell(was ? 'changed' : 'listening');
  }

  #down(key: object): void {
    if (!this.#listening.delete(key)) return;
    this.tell(this.#listening.size > 0 ? 'changed' : 'deaf');
  }
}
