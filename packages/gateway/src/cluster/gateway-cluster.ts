/**
 * This gateway process as one member of a deployment of several on one store (issue 33 item 3):
 * the kernel's DeploymentMember beats, reaps the runs of processes that stopped beating (a
 * gateway session turn among them reported interrupted here), makes the kernel's Admission the
 * deployment's and stops every run held here when this process is cut off. What is the
 * gateway's own is here: it carries its sessions' frames, cancels, approval answers and the live
 * feed for the other gateways over the event bus, and tells them which sessions it has clients of.
 */
import type { Admission } from '@oxydra/kernel';
import {
  DeploymentMember,
  isTurnRun,
  type MemberHealth,
  SESSION_TOPIC,
  type TurnRun,
} from '@oxydra/kernel/deployment';
import type { ClusterRun } from '@oxydra/types';
import type { z } from 'zod';
import { GatewayError } from '../errors.js';
import type { GatewayLogger } from '../types.js';
import { BusDrops } from './bus-drops.js';
import {
  CONTROL_KINDS,
  CONTROL_TOPIC,
  type ControlMessage,
  controlMessage,
  FEED_TOPIC,
  type FeedMessage,
  feedMessage,
  type Kinds,
  readMessage,
  type SessionMessage,
  sessionMessage,
  type Unread,
} from './messages.js';
import type { GatewayClusterOptions } from './options.js';
import { Presence } from './presence.js';

/** What the cluster asks of the gateway it belongs to. */
export interface ClusterHost {
  /**
   * A frame of a session from another process: for this process's clients of that session. Returns
   * why its frame was not sent on (the cluster logs it), if it was not.
   */
  deliver(message: SessionMessage): Unread | undefined;
  /** A cancel or an approval answer, for the runs this process holds. */
  control(message: ControlMessage): void;
  /** A dead process's session turn, reaped by this process: tell its session's clients, fix its record. */
  interrupted(run: TurnRun): Promise<void>;
}

export interface ClusterHealth extends MemberHealth {
  /** This process's session frames since it started: sent to the others, or kept (nobody there watches). */
  session_frames: { published: number; withheld: number };
  /** Sessions this process has clients of: the ones whose frames the others send here. */
  watching: number;
}

export class GatewayCluster {
  readonly processId: string;
  readonly #member: DeploymentMember;
  readonly #options: GatewayClusterOptions;
  readonly #host: ClusterHost;
  readonly #unsubscribe: Array<() => void> = [];
  readonly #feed = new Set<(message: FeedMessage) => void>();
  /** The feed events' check, loaded with this process's first client of the feed (relayed-feed.ts). */
  #feedCheck: typeof import('./relayed-feed.js').parseRelayedFeed | undefined;
  /** What this process drops from the bus, logged (rate-limited) and said at the stop. */
  readonly #drops: BusDrops;
  readonly #presence: Presence;

  constructor(options: GatewayClusterOptions, host: ClusterHost, admission: Admission, log: GatewayLogger) {
    this.#options = options;
    this.processId = options.process.id;
    this.#host = host;
    this.#member = new DeploymentMember({
      ...options,
      admission,
      log,
      reaped: async (run) => {
        if (isTurnRun(run)) await host.interrupted(run);
      },
      everyBeat: () => this.#presence.announce(),
      refusal: () =>
        new GatewayError(
          'shutting_down',
          'this gateway process lost contact with the store; reconnect (another process takes the turn)',
        ),
    });
    this.#drops = new BusDrops(log);
    this.#presence = new Presence(
      options.bus,
      2 * this.#member.beatMs,
      this.#member.staleMs,
      log,
      this.#drops,
    );
  }

  /** Joins: the first beat must succeed (a process that cannot join does not serve). */
  async start(): Promise<void> {
    const { bus } = this.#options;
    this.#unsubscribe.push(
      bus.subscribe(SESSION_TOPIC, (text) => {
        const message = this.#read(SESSION_TOPIC, sessionMessage, text);
        const refused = message && this.#host.deliver(message);
        if (refused) this.#drops.frame(message.frame, refused);
      }),
      bus.subscribe(CONTROL_TOPIC, (text) => {
        const message = this.#read(CONTROL_TOPIC, controlMessage, text, CONTROL_KINDS);
        if (message) this.#host.control(message);
      }),
      bus.subscribe(FEED_TOPIC, (text) => {
        const check = this.#feedCheck;
        if (this.#feed.size === 0 || !check) return;
        const message = this.#read(FEED_TOPIC, feedMessage, text);
        if (!message) return;
        const read = check(message);
        // Its name and size only, as for a session frame: the data may hold anything.
        if ('message' in read) for (const listener of this.#feed) listener(read.message);
        else this.#drops.feedEvent(message.name, Buffer.byteLength(text), read);
      }),
    );
    let live: Awaited<ReturnType<DeploymentMember['start']>>;
    try {
      live = await this.#member.start();
    } catch (error) {
      for (const stop of this.#unsubscribe.splice(0)) stop();
      throw error;
    }
    // Before serving: what the gateways already running watch (their answers carry it). The
    // other members (scheduler, MCP) have no clients of sessions, and answer nothing.
    const gateways = live.filter((process) => process.kind === 'gateway' && process.id !== this.processId);
    await this.#presence.start(gateways.map((process) => process.id));
  }

  /** A message of `topic` as its schema reads it, or undefined: the drop is logged. */
  #read<T>(topic: string, schema: z.ZodType<T>, text: string, kinds?: Kinds): T | undefined {
    const read = readMessage(schema, text, kinds);
    if ('message' in read) return read.message;
    this.#drops.message(topic, text, read);
    return undefined;
  }

  /** Where this process serves, stored with its next beat (`oxydra doctor`, the operator). */
  serving(url: string): void {
    this.#options.process.url = url;
  }

  /** Leaves the deployment (a clean stop): this process's record and remaining claims go. */
  async stop(): Promise<void> {
    for (const stop of this.#unsubscribe.splice(0)) stop();
    this.#presence.stop();
    this.#drops.flush();
    await this.#member.stop();
  }

  /** The run a session has in the deployment now, on whichever process. */
  async runOf(sessionId: string): Promise<ClusterRun | undefined> {
    const [run] = await this.#options.store.runs({ sessionId });
    return run;
  }

  /**
   * A session's frame, for its clients on the other processes: sent only while another process
   * has one, except a turn's start and end, which every process hears (so each knows whether
   * the session has a turn running, whenever its clients come).
   */
  publishFrame(sessionId: string, frame: string, approversOnly: boolean): void {
    if (!this.#presence.relays(sessionId, frame)) return;
    this.#member.publish(SESSION_TOPIC, {
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
    this.#member.publish(CONTROL_TOPIC, message);
  }

  /** Whether this process's live feed events go to the others: one of them has a client of the feed. */
  relaysFeed(): boolean {
    return this.#presence.relaysFeed();
  }

  publishFeed(message: FeedMessage): void {
    this.#member.publish(FEED_TOPIC, message);
  }

  /**
   * Listens to the other processes' live feed events: resolves, once every other process heard
   * that this one has a client of the feed (or did not answer within two beats), with the
   * function that stops it. They relay their feed from then on, and stop after the last stop.
   */
  async onFeed(listener: (message: FeedMessage) => void): Promise<() => void> {
    this.#feedCheck ??= (await import('./relayed-feed.js')).parseRelayedFeed;
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
   * costs no round trip: load balancers probe every second), with this process's relay counts.
   */
  health(): ClusterHealth {
    return {
      ...this.#member.health(),
      session_frames: { ...this.#presence.frames },
      watching: this.#presence.watching,
    };
  }
}
