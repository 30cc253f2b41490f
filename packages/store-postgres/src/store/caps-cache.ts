/**
 * The caps `oxydra budget set` stored, kept in the process (every model call asks for two
 * scopes' caps: one round trip per turn otherwise) while the deployment's event bus tells it of
 * every change (docs/postgres.md, "Fifth round"). A cap change sends its NOTIFY in its own
 * statement (capsChanged), so it is delivered when the change commits, from any process, a
 * gateway or `oxydra budget set`, and a rolled-back change says nothing.
 *
 * When a cached value may be stale, and for how long:
 * - A change another process commits: until its notification arrives (milliseconds). A read
 *   that was in flight when it arrived is not kept (the version moved meanwhile).
 * - No bus, or its listening connection lost (until it listens again): nothing is kept, every
 *   call reads. A notification sent while it was down is never replayed, so everything kept
 *   before is dropped when it goes down.
 * - A listening connection gone silent (not noticed until the bus's heartbeat fails, up to
 *   20 s), or a cap written by other means (`oxydra store copy`): a value is kept at most
 *   CAPS_MAX_AGE_MS after its read began.
 */
import { randomBytes } from 'node:crypto';
import { busChannel } from '../bus/channel.js';
import { encodeMessage } from '../bus/frames.js';

/** The most a cached value is trusted, from when its read began. */
const CAPS_MAX_AGE_MS = 5000;
/** The bus topic of cap changes. */
export const CAPS_TOPIC = 'budget_caps';
/** The sender named in the notification: no process's id, so the process that sent it hears it too. */
const SENDER = 'oxydra.budget-caps';

export type StoredCaps = Record<string, number>;

/** What the cache needs of a bus (PostgresEventBus): its messages and whether it listens. */
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

export class CapsCache {
  readonly #entries = new Map<string, { caps: StoredCaps; at: number }>();
  /** Moved by every change heard and every bus going up or down: a read across it is not kept. */
  #version = 0;
  /** The buses listening now (one per openBus; usually one). */
  readonly #listening = new Set<object>();
  readonly #now: () => number;

  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  /** Keeps values while `bus` listens; returns what stops following it. */
  follow(bus: CapsBus): () => void {
    const key = {};
    const stopMessages = bus.subscribe(CAPS_TOPIC, () => this.invalidate());
    const stopLink = bus.onLink((up) => {
      if (up) this.#listening.add(key);
      else this.#listening.delete(key);
      this.invalidate();
    });
    return () => {
      stopMessages();
      stopLink();
      this.#listening.delete(key);
      this.invalidate();
    };
  }

  invalidate(): void {
    this.#version++;
    this.#entries.clear();
  }

  async get(scope: string, read: () => Promise<StoredCaps>): Promise<StoredCaps> {
    const started = this.#now();
    const kept = this.#entries.get(scope);
    if (kept && this.#listening.size > 0 && started - kept.at < CAPS_MAX_AGE_MS) return { ...kept.caps };
    const version = this.#version;
    const caps = await read();
    if (this.#listening.size > 0 && version === this.#version) {
      this.#entries.set(scope, { caps: { ...caps }, at: started });
    }
    return caps;
  }
}
