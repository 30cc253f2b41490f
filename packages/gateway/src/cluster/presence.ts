/**
 * Presence (issue 33): a process relays a session's frames only while another process has a
 * client of it, so a turn nobody watches elsewhere costs the bus its start and end, not one
 * NOTIFY per streamed delta. A turn's start and end always go (every process must know whether
 * a session has a turn running, whenever its clients come). Likewise the live feed (GET
 * /api/v1/events): a process relays its agents' events only while another has a client of the
 * feed, so a turn nobody watches on a dashboard elsewhere costs no NOTIFY for them (four of a
 * stateless HTTP turn's five: docs/postgres.md, "Eleventh round").
 *
 * Each process sends its whole list of watched sessions with every beat (a lost message is
 * mended by the next) and as soon as the list changes; what it hears is in presence-table.ts.
 *
 * A new watcher must not miss frames: before its client's attach is acknowledged, the process
 * asks every process it has heard from and waits (two beats at most) for each to answer. An
 * answer is sent right after its sender took the new list in, on the same ordered connection as
 * its frames, so every frame that sender publishes after its answer comes to the new watcher.
 * A process joining asks the same way before it serves, and learns the others' lists from
 * their answers.
 */
import { randomBytes } from 'node:crypto';
import type { EventBus } from '@oxydra/types';
import { boundsTurn, frameType } from '../frame-type.js';
import type { GatewayLogger } from '../types.js';
import type { BusDrops } from './bus-drops.js';
import { PRESENCE_TOPIC, type PresenceMessage, presenceMessage, readMessage } from './messages.js';
import { PresenceTable } from './presence-table.js';

export class Presence {
  readonly #table: PresenceTable;
  /** Sessions whose first client here waits for the others to know. */
  readonly #joining = new Map<string, Promise<void>>();
  /** Clients of the live feed here, and the others being told of the first (as #joining). */
  #feedClients = 0;
  #feedJoining: Promise<void> | undefined;
  /** This process's session frames: sent to the others, or kept (nobody there watches). */
  readonly frames = { published: 0, withheld: 0 };
  #unsubscribe: (() => void) | undefined;

  constructor(
    private readonly bus: EventBus,
    private readonly answerWaitMs: number,
    staleMs: number,
    private readonly log: GatewayLogger,
    private readonly drops: BusDrops,
  ) {
    this.#table = new PresenceTable(staleMs);
  }

  /** Listens, then asks `processes` (the live ones on the store) and waits for their answers. */
  start(processes: string[]): Promise<void> {
    this.#unsubscribe = this.bus.subscribe(PRESENCE_TOPIC, (text, from) => {
      const read = readMessage(presenceMessage, text);
      if (!('message' in read)) {
        this.drops.message(PRESENCE_TOPIC, text, read);
        return;
      }
      const { message } = read;
      this.#table.heard(from, message);
      // Answered at once, after the list is taken in: this process's frames from now on go there.
      if (message.ask !== undefined) this.announce({ answers: message.ask });
    });
    return this.#ask(processes);
  }

  stop(): void {
    this.#unsubscribe?.();
    this.#unsubscribe = undefined;
    this.#table.clear();
  }

  /** How many sessions this process has clients of. */
  get watching(): number {
    return this.#table.mine.size;
  }

  /** Whether a frame of the session goes on the bus (counted either way). */
  relays(sessionId: string, frame: string): boolean {
    const relayed = boundsTurn(frameType(frame)) || this.#table.watchedElsewhere(sessionId);
    if (relayed) this.frames.published++;
    else this.frames.withheld++;
    return relayed;
  }

  /** A client of the session attached here: resolves once every other process heard it (or the wait ended). */
  watch(sessionId: string): Promise<void> {
    const joining = this.#joining.get(sessionId);
    if (joining) return joining;
    if (this.#table.mine.has(sessionId) || !this.#unsubscribe) return Promise.resolve();
    this.#table.mine.add(sessionId);
    const told = this.#ask(this.#table.alive()).finally(() => this.#joining.delete(sessionId));
    this.#joining.set(sessionId, told);
    return told;
  }

  /** The last client of the session here left: the others stop sending its frames. */
  unwatch(sessionId: string): void {
    if (this.#table.mine.delete(sessionId) && this.#unsubscribe) this.announce();
  }

  /** Whether this process's feed events go on the bus: another process has a client of the feed. */
  relaysFeed(): boolean {
    return this.#table.feedWatchedElsewhere();
  }

  /** A client of the live feed attached here: resolves once every other process heard it (or the wait ended). */
  watchFeed(): Promise<void> {
    this.#feedClients++;
    if (this.#feedClients > 1 || !this.#unsubscribe) return this.#feedJoining ?? Promise.resolve();
    const told = this.#ask(this.#table.alive()).finally(() => {
      this.#feedJoining = undefined;
    });
    this.#feedJoining = told;
    return told;
  }

  /** A client of the live feed left here: after the last, the others stop sending theirs. */
  unwatchFeed(): void {
    if (this.#feedClients === 0) return;
    this.#feedClients--;
    if (this.#feedClients === 0 && this.#unsubscribe) this.announce();
  }

  /** Sends this process's list (every beat, and answering or asking as said). */
  announce(extra: Pick<PresenceMessage, 'ask' | 'answers'> = {}): void {
    const message: PresenceMessage = {
      sessions: [...this.#table.mine],
      feed: this.#feedClients > 0,
      ...extra,
    };
    // Not logged: sent every beat, and a bus that is down is /readyz's to report.
    this.bus.publish(PRESENCE_TOPIC, JSON.stringify(message)).catch(() => {});
  }

  async #ask(processes: string[]): Promise<void> {
    const ask = randomBytes(8).toString('hex');
    const answered = this.#table.answered(ask, processes, this.answerWaitMs);
    this.announce({ ask });
    const silent = await answered;
    if (silent.length > 0) {
      this.log('warn', 'gateway processes did not answer on the event bus in time', {
        process_ids: silent.join(','),
      });
    }
  }
}
