/**
 * This process as one member of a deployment of several on one store (issue 33 item 3),
 * whatever it serves: a gateway, `oxydra scheduler run`, `oxydra schedule run-now` (for its one
 * run), `oxydra mcp serve`. It beats, reaps the
 * runs of members that stopped beating (freeing their slots, and handing each reaped run to
 * `reaped` to report), joins the kernel's Admission to the deployment (every run of this
 * process claims its slot there: the per-user limit across processes), and tells the others
 * over the event bus when a slot of a user comes free here. A member that cannot beat for as
 * long as the others take to declare it dead stops its own runs (through the Admission, which
 * knows every claim held here), so a run reported interrupted is never also answered and no
 * user runs past the per-user limit while its reaped slots are taken again.
 *
 * The gateway's own parts (session frames, presence, cancels, the live feed) are its
 * GatewayCluster's, which composes this. Loaded only when a process joins a deployment.
 */
import {
  type ClusterRun,
  type ClusterStore,
  type EventBus,
  OxydraError,
  type ProcessInfo,
} from '@oxydra/types';
import type { Admission } from './admission.js';

/** A user's slot came free on the sender's process: the runs waiting for it elsewhere try again. */
export const RELEASED_TOPIC = 'released';

export type MemberLog = (
  level: 'info' | 'warn' | 'error',
  message: string,
  fields?: Record<string, unknown>,
) => void;

export interface DeploymentMemberOptions {
  store: ClusterStore;
  bus: EventBus;
  /** This process (its id is the bus's processId; its kind says what it serves). */
  process: ProcessInfo;
  /** How often this process beats and looks for dead ones; default 1 s. */
  beatMs?: number;
  /** A process silent this long is dead: its runs are reaped; default 5 s. */
  staleMs?: number;
  /** The kernel's per-user limit, which this membership makes the deployment's. */
  admission: Admission;
  log: MemberLog;
  /**
   * A dead member's run reaped by this process, to report (its slot is freed here whatever
   * this does): a gateway session turn's record is fixed and its clients told. Never throws
   * past a log line.
   */
  reaped?(run: ClusterRun): Promise<void>;
  /** Called with every beat (before the store is asked): a gateway announces its presence. */
  everyBeat?(): void;
  /** What a run refused because this process is cut off throws; default an OxydraError. */
  refusal?(): Error;
}

export interface MemberHealth {
  ok: boolean;
  process_id: string;
  /** Why not ok. */
  reason?: string;
  /** How long ago this process last stored its beat, and last had a ping come back through the bus. */
  beat_age_ms: number;
  bus_age_ms: number;
}

/** `{"user_id":"…"}`, the released message; anything else is dropped, never acted on. */
function releasedUser(text: string): string | undefined {
  try {
    const message = JSON.parse(text) as { user_id?: unknown };
    const user = message?.user_id;
    return typeof user === 'string' && user.length > 0 && user.length <= 256 ? user : undefined;
  } catch {
    return undefined;
  }
}

export class DeploymentMember {
  readonly processId: string;
  readonly #options: DeploymentMemberOptions;
  readonly #beatMs: number;
  readonly #staleMs: number;
  #unsubscribe: (() => void) | undefined;
  #timer: NodeJS.Timeout | undefined;
  #lastBeat = 0;
  #lastBusAnswer = 0;
  #busProblem: string | undefined;
  #checkingBus = false;
  #beating: Promise<void> | undefined;
  #fenced = false;
  #stopped = false;

  constructor(options: DeploymentMemberOptions) {
    this.#options = options;
    this.processId = options.process.id;
    this.#beatMs = options.beatMs ?? 1000;
    this.#staleMs = options.staleMs ?? 5000;
    if (this.#staleMs < 3 * this.#beatMs) {
      throw new RangeError(`staleMs ${this.#staleMs} must be at least 3 beats (${3 * this.#beatMs} ms)`);
    }
  }

  get beatMs(): number {
    return this.#beatMs;
  }

  get staleMs(): number {
    return this.#staleMs;
  }

  /**
   * Joins: the first beat must succeed (a process that cannot join does not serve). Resolves
   * with the members live on the store now, this one included.
   */
  async start(): Promise<ReturnType<ClusterStore['processes']>> {
    const { store, bus, process, admission, log } = this.#options;
    await store.beat(process);
    this.#lastBeat = Date.now();
    // The bus was opened (a round trip) just before this.
    this.#lastBusAnswer = this.#lastBeat;
    const live = await store.processes(this.#staleMs);
    log('info', `joined the deployment: ${live.length} process(es) on the store`, {
      process_id: this.processId,
      kind: process.kind ?? 'gateway',
    });
    this.#unsubscribe = bus.subscribe(RELEASED_TOPIC, (text) => {
      const userId = releasedUser(text);
      if (userId !== undefined) admission.freed(userId);
    });
    // A member now (it beat): every run of this process claims its slot in the deployment.
    await admission.join({
      store,
      processId: this.processId,
      announce: (userId) => this.#announce(userId),
      assertMember: () => this.#assertMember(),
      warn: (message, fields) => log('warn', message, fields),
    });
    this.#timer = setInterval(() => {
      // The bus check (and a gateway's presence) go on while a slow store holds the beat up.
      this.#options.everyBeat?.();
      this.#checkBus();
      this.#beating ??= this.#tick().finally(() => {
        this.#beating = undefined;
      });
    }, this.#beatMs);
    this.#timer.unref();
    return live;
  }

  /** Leaves the deployment (a clean stop): this process's record and remaining claims go. */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    clearInterval(this.#timer);
    this.#unsubscribe?.();
    // Runs still waiting for a slot stop waiting; the claims of runs still going leave with it.
    this.#options.admission.leave();
    await this.#beating;
    await this.#options.store.leave(this.processId).catch((error: unknown) => {
      this.#options.log('warn', 'could not leave the deployment', { error: (error as Error).message });
    });
  }

  /**
   * A member (beating) with a working bus, as the last beats found them (a probe costs no round
   * trip). Not ok once the last stored beat, or the last ping back through the bus, is older
   * than the stale limit.
   */
  health(): MemberHealth {
    const now = Date.now();
    const base = {
      process_id: this.processId,
      beat_age_ms: now - this.#lastBeat,
      bus_age_ms: now - this.#lastBusAnswer,
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

  /** Sends `message` (JSON) on `topic` to the other members; a failure is logged, never thrown. */
  publish(topic: string, message: unknown): void {
    this.#options.bus.publish(topic, JSON.stringify(message)).catch((error: unknown) => {
      this.#options.log('warn', 'could not tell the other processes of the deployment', {
        topic,
        error: (error as Error).message,
      });
    });
  }

  #announce(userId: string): void {
    this.publish(RELEASED_TOPIC, { user_id: userId });
  }

  /** A ping through the bus, one at a time, whose answer health() reports. */
  #checkBus(): void {
    if (this.#checkingBus) return;
    this.#checkingBus = true;
    this.#options.bus
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
    if (!this.#fenced && !this.#stopped) return;
    throw (
      this.#options.refusal?.() ??
      new OxydraError('cancelled', 'this process lost contact with the deployment’s store; try again', {
        hint: 'another process of the deployment can take the run',
      })
    );
  }

  async #tick(): Promise<void> {
    const { store, process, log } = this.#options;
    try {
      const registered = await store.beat(process);
      this.#lastBeat = Date.now();
      // Registered anew: the others took this process for dead and reported its runs
      // interrupted, so none of them may go on answering.
      if (registered && !this.#fenced) {
        log('error', 'this process was taken for dead by the others: stopping its runs');
        this.#cutOff('the other processes reported its runs interrupted');
      } else if (this.#fenced) {
        log('info', 'this process is a member of the deployment again');
      }
      this.#fenced = false;
    } catch (error) {
      const silent = Date.now() - this.#lastBeat;
      // The others declare this process dead after staleMs: stop its runs a beat before they do.
      if (!this.#fenced && silent >= this.#staleMs - this.#beatMs) {
        this.#fenced = true;
        const reason = `no beat stored for ${silent} ms (${(error as Error).message})`;
        log('error', 'this process lost its place in the deployment: stopping its runs', { reason });
        this.#cutOff(reason);
      }
      return;
    }
    try {
      for (const run of await store.reap(this.#staleMs)) await this.#reaped(run);
    } catch (error) {
      log('warn', 'could not look for stopped processes', { error: (error as Error).message });
    }
  }

  async #reaped(run: ClusterRun): Promise<void> {
    const { admission, log, reaped } = this.#options;
    log('warn', 'a process of the deployment stopped mid-run: reporting the run interrupted', {
      process_id: run.processId,
      session_id: run.sessionId,
      run_id: run.runId,
    });
    await reaped?.(run).catch((error: unknown) => {
      log('error', 'could not report an interrupted run', { error: String(error) });
    });
    // Its slot is free: this process's waiting runs of the user and the others' try again.
    if (run.userId !== null) {
      admission.freed(run.userId);
      this.#announce(run.userId);
    }
  }

  /**
   * Every run holding a claim here stops, whatever its door (gateway turns, A2A tasks, MCP
   * run_agent, scheduled runs): the kernel's Admission knows them all. The others reap the
   * claims and report the runs interrupted, so none may go on answering.
   */
  #cutOff(reason: string): void {
    this.#options.admission.cutOff(`this process lost its place in the deployment: ${reason}`);
  }
}
