/**
 * This gateway process as one member of a deployment of several on one store (issue 33 item 3):
 * it beats, reaps the runs of processes that stopped beating (reported interrupted by whoever
 * reaps first), joins the kernel's Admission to the deployment (every door's run claims its
 * slot there: one run per session, the per-user limit across processes), and carries messages
 * for the other members over the event bus. A process that cannot beat for as long as the
 * others take to declare it dead stops its own runs, every door's (through the kernel's
 * Admission, which knows every claim held here), so a run reported interrupted is never also
 * answered and no user runs past the per-user limit while its reaped slots are taken again.
 */
import type { Admission } from '@oxydra/kernel';
import type { ClusterRun, ClusterStore, EventBus, ProcessInfo } from '@oxydra/types';
import { GatewayError } from '../errors.js';
import type { GatewayLogger } from '../types.js';
import {
  CONTROL_TOPIC,
  type ControlMessage,
  controlMessage,
  FEED_TOPIC,
  type FeedMessage,
  feedMessage,
  parseMessage,
  RELEASED_TOPIC,
  releasedMessage,
  SESSION_TOPIC,
  type SessionMessage,
  sessionMessage,
} from './messages.js';
import type { GatewayClusterOptions } from './options.js';
import { Presence } from './presence.js';

/** What the cluster asks of the gateway it belongs to. */
export interface ClusterHost {
  /** A frame of a session from another process: for this process's clients of that session. */
  deliver(message: SessionMessage): void;
  /** A cancel or an approval answer, for the runs this process holds. */
  control(message: ControlMessage): void;
  /** A dead process's session turn, reaped by this process: tell its session's clients, fix its record. */
  interrupted(run: TurnRun): Promise<void>;
}

export interface ClusterHealth {
  ok: boolean;
  process_id: string;
  /** Why not ok. */
  reason?: string;
  /** How long ago this process last stored its beat, and last had a ping come back through the bus. */
  beat_age_ms: number;
  bus_age_ms: number;
  /** This process's session frames since it started: sent to the others, or kept (nobody there watches). */
  session_frames: { published: number; withheld: number };
  /** Sessions this process has clients of: the ones whose frames the others send here. */
  watching: number;
}

/** A run that holds a session: a gateway session turn's, always a user's. */
type TurnRun = ClusterRun & { userId: string; sessionId: string; turnId: string };

const isTurnRun = (run: ClusterRun): run is TurnRun =>
  run.userId !== null && run.sessionId !== null && run.turnId !== null;

export class GatewayCluster {
  readonly processId: string;
  readonly #store: ClusterStore;
  readonly #bus: EventBus;
  readonly #process: ProcessInfo;
  readonly #beatMs: number;
  readonly #staleMs: number;
  readonly #log: GatewayLogger;
  readonly #host: ClusterHost;
  /** The kernel's per-user limit, which this membership makes the deployment's. */
  readonly #admission: Admission;
  readonly #unsubscribe: Array<() => void> = [];
  readonly #feed = new Set<(message: FeedMessage) => void>();
  readonly #presence: Presence;
  #timer: NodeJS.Timeout | undefined;
  #lastBeat = 0;
  #lastBusAnswer = 0;
  #busProblem: string | undefined;
  #checkingBus = false;
  #beating: Promise<void> | undefined;
  #fenced = false;
  #stopped = false;

  constructor(options: GatewayClusterOptions, host: ClusterHost, admission: Admission, log: GatewayLogger) {
    this.#store = options.store;
    this.#bus = options.bus;
    this.#process = options.process;
    this.processId = options.process.id;
    this.#beatMs = options.beatMs ?? 1000;
    this.#staleMs = options.staleMs ?? 5000;
    if (this.#staleMs < 3 * this.#beatMs) {
      throw new RangeError(`staleMs ${this.#staleMs} must be at least 3 beats (${3 * this.#beatMs} ms)`);
    }
    this.#host = host;
    this.#admission = admission;
    this.#log = log;
    this.#presence = new Presence(this.#bus, 2 * this.#beatMs, this.#staleMs, log);
  }

  /** Joins: the first beat must succeed (a process that cannot join does not serve). */
  async start(): Promise<void> {
    await this.#store.beat(this.#process);
    this.#lastBeat = Date.now();
    // The bus was opened (a round trip) just before this.
    this.#lastBusAnswer = this.#lastBeat;
    const live = await this.#store.processes(this.#staleMs);
    this.#log('info', `joined the deployment: ${live.length} gateway process(es) on the store`, {
      process_id: this.processId,
    });
    this.#unsubscribe.push(
      this.#bus.subscribe(SESSION_TOPIC, (text) => {
        const message = parseMessage(sessionMessage, text);
        if (message) this.#host.deliver(message);
      }),
      this.#bus.subscribe(CONTROL_TOPIC, (text) => {
        const message = parseMessage(controlMessage, text);
        if (message) this.#host.control(message);
      }),
      this.#bus.subscribe(RELEASED_TOPIC, (text) => {
        const message = parseMessage(releasedMessage, text);
        if (message) this.#admission.freed(message.user_id);
      }),
      this.#bus.subscribe(FEED_TOPIC, (text) => {
        const message = parseMessage(feedMessage, text);
        if (message) for (const listener of this.#feed) listener(message);
      }),
    );
    // A member now (it beat): every door's run claims its slot in the deployment from here on.
    await this.#admission.join({
      store: this.#store,
      processId: this.processId,
      announce: (userId) => this.#publish(RELEASED_TOPIC, { user_id: userId }),
      assertMember: () => this.#assertMember(),
      warn: (message, fields) => this.#log('warn', message, fields),
    });
    this.#timer = setInterval(() => {
      // Presence and the bus check go on while a slow store holds the beat up.
      this.#presence.announce();
      this.#checkBus();
      this.#beating ??= this.#tick().finally(() => {
        this.#beating = undefined;
      });
    }, this.#beatMs);
    this.#timer.unref();
    // Before serving: what the processes already running watch (their answers carry it).
    await this.#presence.start(live.map((process) => process.id).filter((id) => id !== this.processId));
  }

  /** Where this process serves, stored with its next beat (`oxydra doctor`, the operator). */
  serving(url: string): void {
    this.#process.url = url;
  }

  /** Leaves the deployment (a clean stop): this process's record and remaining claims go. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#timer);
    for (const stop of this.#unsubscribe.splice(0)) stop();
    this.#presence.stop();
    // Runs still waiting for a slot stop waiting; the claims of runs still going leave with it.
    this.#admission.leave();
    await this.#beating;
    await this.#store.leave(this.processId).catch((error: unknown) => {
      this.#log('warn', 'could not leave the deployment', { error: (error as Error).message });
    });
  }

  /** The run a session has in the deployment now, on whichever process. */
  async runOf(sessionId: string): Promise<ClusterRun | undefined> {
    const [run] = await this.#store.runs({ sessionId });
    return run;
  }

  /**
   * A session's frame, for its clients on the other processes: sent only while another process
   * has one, except a turn's start and end, which every process hears (so each knows whether
   * the session has a turn running, whenever its clients come).
   */
  publishFrame(sessionId: string, frame: string, approversOnly: boolean): void {
    if (!this.#presence.relays(sessionId, frame)) return;
    this.#publish(SESSION_TOPIC, {
      session_id: sessionId,
      frame,
      ...(approversOnly ? { approvers_only: true } : {}),
    } satisfies SessionMessage);
  }

  /**
   * A client of the session attached here: resolves once every other process heard it (or did
   * not answer within two beats), so the frames they publish from then on come here.
   */
  watch(sessionId: string): Promise<void> {
    return this.#presence.watch(sessionId);
  }

  /** The last client of the session here left: the others stop sending its frames. */
  unwatch(sessionId: string): void {
    this.#presence.unwatch(sessionId);
  }

  /** Asks the other processes to act on a run they hold. */
  publishControl(message: ControlMessage): void {
    this.#publish(CONTROL_TOPIC, message);
  }

  /** Whether this process's live feed events go to the others: one of them has a client of the feed. */
  relaysFeed(): boolean {
    return this.#presence.relaysFeed();
  }

  publishFeed(message: FeedMessage): void {
    this.#publish(FEED_TOPIC, message);
  }

  /**
   * Listens to the other processes' live feed events: resolves, once every other process heard
   * that this one has a client of the feed (or did not answer within two beats), with the
   * function that stops it. They relay their feed from then on, and stop after the last stop.
   */
  async onFeed(listener: (message: FeedMessage) => void): Promise<() => void> {
    this.#feed.add(listener);
    await this.#presence.watchFeed();
    let stopped = false;
    return () => {
      if (stopped) return;
      stopped = true;
      this.#feed.delete(listener);
      this.#presence.unwatchFeed();
    };
  }

  /**
   * For /readyz: a member (beating) with a working bus, as the last beats found them (a probe
   * costs no round trip: load balancers probe every second). Not ok once the last stored beat,
   * or the last ping back through the bus, is older than the stale limit.
   */
  health(): ClusterHealth {
    const now = Date.now();
    const base = {
      process_id: this.processId,
      beat_age_ms: now - this.#lastBeat,
      bus_age_ms: now - this.#lastBusAnswer,
      session_frames: { ...this.#presence.frames },
      watching: this.#presence.watching,
    };
    if (this.#fenced || base.beat_age_ms > this.#staleMs) {
      return {
        ...base,
        ok: false,
        reason: `this process cannot reach the store to beat (last beat ${base.beat_age_ms} ms ago)`,
      };
    }
    if (base.bus_age_ms > this.#staleMs) {
      const why = this.#busProblem ?? 'no ping came back yet';
      return {
        ...base,
        ok: false,
        reason: `the event bus has not answered for ${base.bus_age_ms} ms: ${why}`,
      };
    }
    return { ...base, ok: true };
  }

  /** A ping through the bus, one at a time, whose answer /readyz reports. */
  #checkBus(): void {
    if (this.#checkingBus) return;
    this.#checkingBus = true;
    this.#bus
      .check()
      .then(
        () => {
          this.#lastBusAnswer = Date.now();
          this.#busProblem = undefined;
        },
        (error: unknown) => {
          this.#busProblem = (error as Error).message;
        },
      )
      .finally(() => {
        this.#checkingBus = false;
      });
  }

  #assertMember(): void {
    if (this.#fenced || this.#stopped) {
      throw new GatewayError(
        'shutting_down',
        'this gateway process lost contact with the store; reconnect (another process takes the turn)',
      );
    }
  }

  async #tick(): Promise<void> {
    try {
      const registered = await this.#store.beat(this.#process);
      this.#lastBeat = Date.now();
      // Registered anew: the others took this process for dead and reported its runs
      // interrupted, so none of them may go on answering.
      if (registered && !this.#fenced) {
        this.#log('error', 'this process was taken for dead by the others: stopping its runs');
        this.#cutOff('the other processes reported its runs interrupted');
      } else if (this.#fenced) {
        this.#log('info', 'this process is a member of the deployment again');
      }
      this.#fenced = false;
    } catch (error) {
      const silent = Date.now() - this.#lastBeat;
      // The others declare this process dead after staleMs: stop its runs a beat before they do.
      if (!this.#fenced && silent >= this.#staleMs - this.#beatMs) {
        this.#fenced = true;
        const reason = `no beat stored for ${silent} ms (${(error as Error).message})`;
        this.#log('error', 'this process lost its place in the deployment: stopping its runs', { reason });
        this.#cutOff(reason);
      }
      return;
    }
    try {
      const runs = await this.#store.reap(this.#staleMs);
      for (const run of runs) {
        this.#log('warn', 'a gateway process stopped mid-run: reporting the run interrupted', {
          process_id: run.processId,
          session_id: run.sessionId,
          run_id: run.runId,
        });
        if (isTurnRun(run)) {
          await this.#host.interrupted(run).catch((error: unknown) => {
            this.#log('error', 'could not report an interrupted run', { error: String(error) });
          });
        }
        // Its slot is free: this process's waiting runs of the user and the others' try again.
        if (run.userId !== null) {
          this.#admission.freed(run.userId);
          this.#publish(RELEASED_TOPIC, { user_id: run.userId });
        }
      }
    } catch (error) {
      this.#log('warn', 'could not look for stopped gateway processes', { error: (error as Error).message });
    }
  }

  /**
   * Every run holding a claim here stops, whatever its door (gateway turns, A2A tasks, MCP
   * run_agent, scheduled runs): the kernel's Admission knows them all. The others reap the
   * claims and report the runs interrupted, so none may go on answering.
   */
  #cutOff(reason: string): void {
    this.#admission.cutOff(`this gateway process lost its place in the deployment: ${reason}`);
  }

  #publish(topic: string, message: unknown): void {
    this.#bus.publish(topic, JSON.stringify(message)).catch((error: unknown) => {
      this.#log('warn', 'could not tell the other gateway processes', {
        topic,
        error: (error as Error).message,
      });
    });
  }
}
