/**
 * The gateway's state, shared by every WebSocket connection and HTTP route: users' sessions
 * (created, resumed, listed, archived, deleted), their subscribers, and the turns running in
 * them under the per-user concurrency limit. Protocol parsing lives in ws/, HTTP in http/.
 */

import { Admission, type AgentHandle, type Kernel, type Release, type SessionAccess } from '@oxydra/kernel';
import type { SessionStore } from '@oxydra/memory';
import {
  Cancelled,
  defaultSessionId,
  type SandboxStatus,
  SessionLimitError,
  type SessionRoom,
  sessionIdProblem,
} from '@oxydra/types';
import type { SessionSummary } from '@oxydra/types/gateway';
import { actingUser, type Principal } from './auth.js';
import type { GatewayCluster } from './cluster/gateway-cluster.js';
import type { LinkedHub } from './cluster/hub-link.js';
import { GatewayError } from './errors.js';
import { type LiveSession, SessionRegistry, type Subscriber } from './live-sessions.js';
import { sessionSummary } from './session-summary.js';
import { runSessionTurn, type TurnSubmission } from './session-turn.js';
import { ApprovalRoutes } from './turn-approvals.js';
import { spawnTurn, type TurnRequest, type TurnSpawner } from './turn-spawn.js';
import {
  type Clock,
  DEFAULT_AGENT,
  GATEWAY_CHANNEL,
  type GatewayLimits,
  type GatewayLogger,
} from './types.js';

/** User ids become part of session ids (runtime-<user>), so they keep to the session id alphabet. */
const USER_ID = /^[A-Za-z0-9._:-]{1,64}$/;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const SWEEP_PAGE = 500;

export interface HubOptions {
  store: SessionStore;
  /** The kernel's ownership rule over the same store: a user's calls see only that user's sessions. */
  access: SessionAccess;
  /**
   * The kernel's per-user limit: a turn waits (FIFO) for one of its user's slots. In a
   * deployment of several processes (the cluster joins it) it is the deployment's, and a
   * session turn's slot holds its session too.
   */
  admission: Admission;
  /** Where every turn starts: the kernel's agents (a turn is a spawned agent, as in A2A and MCP). */
  spawner: TurnSpawner;
  /** The kernel's approvals: where clients' answers go. */
  approvals: Kernel['approvals'];
  agents: readonly string[];
  limits: GatewayLimits;
  log: GatewayLogger;
  clock: Clock;
  sandbox?: SandboxStatus;
  /** Throws when the workspace's state moved under the gateway (new sessions and turns stop). */
  assertWorkspace?: () => void;
  /** This process is one of several on one store: how it finds and tells the others. */
  cluster?: (hub: LinkedHub) => GatewayCluster;
}

export class GatewayHub {
  readonly registry: SessionRegistry;
  readonly admission: Admission;
  readonly approvals: ApprovalRoutes;
  /** Set when this process is one of several gateway processes on one store. */
  readonly cluster: GatewayCluster | undefined;
  readonly #agents: Set<string>;
  /** Every running or queued turn (sessions' and stateless ones): what shutdown cancels and awaits. */
  readonly #inflight = new Map<AbortController, Promise<void>>();
  #closing = false;

  constructor(readonly options: HubOptions) {
    // Built by the server from cluster/join.ts, loaded only when there are several processes.
    this.cluster = options.cluster?.(this);
    const cluster = this.cluster;
    this.registry = new SessionRegistry(
      options.store,
      cluster && {
        processId: cluster.processId,
        relay: (id, text, approversOnly) => cluster.publishFrame(id, text, approversOnly),
        runOf: (id) => cluster.runOf(id),
      },
    );
    this.admission = options.admission;
    this.approvals = new ApprovalRoutes(
      options.approvals,
      options.access,
      cluster && ((message) => cluster.publishControl(message)),
    );
    this.#agents = new Set([DEFAULT_AGENT, ...options.agents]);
  }

  get closing(): boolean {
    return this.#closing;
  }

  get store(): SessionStore {
    return this.options.store;
  }

  get access(): SessionAccess {
    return this.options.access;
  }

  /** The user a request acts as: what it names, held to its token's user, else `fallback`. */
  checkUser(raw: string | undefined, fallback: string, principal: Principal): string {
    const user = actingUser(principal, raw) ?? fallback;
    if (!USER_ID.test(user)) {
      throw new GatewayError(
        'invalid_user',
        `user_id ${JSON.stringify(user.slice(0, 80))}: use 1-64 letters, digits, ".", "_", ":" or "-"`,
      );
    }
    return user;
  }

  checkAgent(name: string | undefined): string {
    const agent = name ?? DEFAULT_AGENT;
    if (!this.#agents.has(agent)) {
      throw new GatewayError(
        'unknown_agent',
        `agent "${agent}" is not configured (known: ${[...this.#agents].join(', ')}); define it in [agents.${agent}]`,
      );
    }
    return agent;
  }

  /** A new session for the user (hello create_new_session, create_session), within the user's limit. */
  async createSession(
    userId: string,
    fields: { displayName?: string; agentName?: string } = {},
  ): Promise<LiveSession> {
    const agent = this.checkAgent(fields.agentName);
    this.options.assertWorkspace?.();
    const session = await this.#withinRoom(userId, () =>
      this.store.create(
        {
          userId,
          agent,
          channelOrigin: GATEWAY_CHANNEL,
          ...(fields.displayName ? { title: fields.displayName } : {}),
        },
        this.#room(),
      ),
    );
    return this.registry.open(session, userId);
  }

  /**
   * The user's existing session, by full or short id (`oxydra tui --session 1e9a0b11`); someone
   * else's is "not found", as if it did not exist.
   */
  async resumeSession(userId: string, typed: string): Promise<LiveSession> {
    const sessionId = await this.#sessionNamed(userId, typed);
    // The kernel decides whose it is (a live session is a stored one: the same owner).
    const session = await this.options.access.get(sessionId, { userId });
    if (!session) throw notFound(sessionId);
    return this.registry.get(sessionId) ?? this.registry.open(session, userId);
  }

  /** hello with neither session_id nor create_new_session: the user's one default session, as in Oxydra. */
  async legacySession(userId: string): Promise<LiveSession> {
    const id = defaultSessionId(userId);
    this.options.assertWorkspace?.();
    // A live session is stored: no room needed (the store checks it only when it creates).
    const room = this.registry.get(id) ? undefined : this.#room();
    const session = await this.#withinRoom(userId, () =>
      this.options.access.getOrCreate(
        id,
        { agent: DEFAULT_AGENT, channelOrigin: GATEWAY_CHANNEL },
        { userId },
        room,
      ),
    );
    if (!session) throw notFound(id);
    return this.registry.open(session, userId);
  }

  /**
   * Attaches a client: it gets every frame about the session from now on. Attaching is activity.
   * Returns the session's one live object, which the client must use from now on: `live` may
   * have been evicted while this waited, and another client may have loaded it again.
   */
  async subscribe(live: LiveSession, subscriber: Subscriber): Promise<LiveSession> {
    // First, since it fails for a session deleted meanwhile, which then must not be held.
    await this.store.markActive(live.id);
    const current = this.registry.adopt(live);
    current.subscribers.add(subscriber);
    // One of several processes: the others send this session's frames here once they know.
    await this.cluster?.watch(current.id);
    return current;
  }

  /** Detaches a client; the session leaves memory when nothing else holds it. */
  async unsubscribe(live: LiveSession, subscriber: Subscriber): Promise<void> {
    if (!live.subscribers.delete(subscriber)) return;
    if (live.subscribers.size === 0) this.cluster?.unwatch(live.id);
    // The last client that could answer its open questions left: they are refused now, not at the timeout.
    if (subscriber.approves && !live.hasApprover()) this.approvals.nobodyLeft(live);
    this.registry.release(live);
    // The idle clock starts now; a session deleted meanwhile has nothing to mark.
    await this.store.markActive(live.id).catch(() => undefined);
  }

  /** Accepts a turn (one per session); it runs when the user has a free slot. */
  submitTurn(live: LiveSession, submission: TurnSubmission): void {
    if (this.#closing)
      throw new GatewayError(
        'shutting_down',
        'the gateway is shutting down; reconnect and send the turn again',
      );
    this.options.assertWorkspace?.();
    const active = live.active?.turnId ?? live.remote?.turnId;
    if (active !== undefined) {
      throw new GatewayError(
        'turn_active',
        `turn already active in session ${live.id} (turn_id ${active}); wait for it to end or cancel it`,
      );
    }
    for (const [i, attachment] of submission.attachments.entries()) {
      if (attachment.data.length % 4 !== 0 || !BASE64.test(attachment.data)) {
        throw new GatewayError('invalid_attachment', `attachments[${i}].data is not base64`);
      }
    }
    if (submission.prompt.trim() === '' && submission.attachments.length === 0) {
      throw new GatewayError('invalid_frame', 'send_turn needs a prompt (or an attachment)');
    }
    const controller = new AbortController();
    // Set before anything awaits, so a second send_turn right behind this one is refused.
    live.active = {
      turnId: submission.turnId,
      index: (live.lastTurn?.index ?? 0) + 1,
      requestId: submission.requestId,
      controller,
    };
    this.#track(controller, runSessionTurn(this, live, live.active, submission));
  }

  /**
   * Cancels the session's turn, running or queued (turn_id is advisory, as in Oxydra), on this
   * process or, when it runs on another, by asking that one; false when it has none.
   */
  async cancelTurn(live: LiveSession): Promise<boolean> {
    if (this.cancelLocalTurn(live)) return true;
    const remote = live.remote;
    const run = await this.cluster?.runOf(live.id);
    if (!run || !this.cluster) {
      forgetGhost(live, remote);
      return false;
    }
    this.cluster.publishControl({ kind: 'cancel', session_id: live.id });
    return true;
  }

  /**
   * Before a turn on a session heard busy on another process: if the store (which holds every
   * running turn of the deployment) has no run of it, that turn is over or never was (its end
   * frame lost, as the bus is at most once, or a start frame nobody ran) and is forgotten, so the
   * session takes turns again. Without this one lost frame refused the session's every turn
   * (turn_active) and cancel (no_active_turn) while its clients stayed. A turn that does run
   * elsewhere is still refused, by the store's claim.
   */
  async forgetGhostTurn(live: LiveSession): Promise<void> {
    const remote = live.remote;
    if (live.active || !remote || !this.cluster) return;
    if (!(await this.cluster.runOf(live.id))) forgetGhost(live, remote);
  }

  /** Cancels the session's turn if this process runs it. */
  cancelLocalTurn(live: LiveSession): boolean {
    if (!live.active) return false;
    live.active.controller.abort(new Cancelled('cancelled by the client'));
    return true;
  }

  /** Cancels every turn of the user's sessions (on every process); how many here. */
  cancelAllTurns(userId: string): number {
    this.cluster?.publishControl({ kind: 'cancel_all', user_id: userId });
    return this.cancelLocalTurns(userId);
  }

  /** Cancels the turns of the user's sessions this process runs; how many. */
  cancelLocalTurns(userId: string): number {
    let count = 0;
    for (const live of this.registry.all()) {
      if (this.options.access.mayUse(live.userId, { userId }) && this.cancelLocalTurn(live)) count++;
    }
    return count;
  }

  async listSessions(
    userId: string,
    options: { includeArchived: boolean; includeSubagents: boolean },
  ): Promise<SessionSummary[]> {
    const sessions = await this.options.access.list(
      {
        ...(options.includeArchived ? {} : { archived: false }),
        subagents: options.includeSubagents,
        limit: 1000,
      },
      { userId },
    );
    return sessions.map(sessionSummary);
  }

  /** Deletes a stored session; its clients are told and detached. False when there was none. */
  async deleteSession(id: string): Promise<boolean> {
    const live = this.registry.get(id);
    if (live?.active || live?.remote || (this.cluster && (await this.cluster.runOf(id)))) {
      throw new GatewayError(
        'turn_active',
        `session ${id} has a turn running; cancel it before deleting the session`,
      );
    }
    const deleted = await this.store.delete(id);
    if (live) {
      this.registry.forget(id);
      for (const subscriber of live.subscribers) subscriber.sessionDeleted(live);
      live.subscribers.clear();
      this.cluster?.unwatch(id);
    }
    return deleted;
  }

  /** Archives sessions idle longer than the TTL (no client, no turn, no activity); how many. */
  async archiveIdle(): Promise<number> {
    const cutoff = new Date(this.options.clock.now() - this.options.limits.sessionIdleTtlMs).toISOString();
    let archived = 0;
    let offset = 0;
    for (;;) {
      const page = await this.store.list({
        archived: false,
        updatedBefore: cutoff,
        limit: SWEEP_PAGE,
        offset,
      });
      for (const session of page) {
        const live = this.registry.get(session.id);
        if (live && !live.idle) {
          offset++; // still in use: it stays in the filter, so step over it
          continue;
        }
        if (await this.store.archive(session.id)) archived++;
        else offset++;
        if (live) this.registry.release(live);
      }
      if (page.length < SWEEP_PAGE) break;
    }
    if (archived > 0) this.options.log('info', 'archived idle sessions', { count: archived });
    return archived;
  }

  /**
   * A turn with no stored session (the OpenAI-compatible API): waits for a slot of the user,
   * then spawns its agent. `done` must be called when the caller has finished with it.
   */
  async startStateless(
    request: Omit<TurnRequest, 'signal' | 'sessionId'>,
    controller: AbortController,
    /** Run once the user's slot is held, before the turn starts (a client's schema compiled); a throw ends it. */
    admitted?: (signal: AbortSignal) => Promise<void>,
  ): Promise<{ handle: AgentHandle; done: () => void }> {
    if (this.#closing) throw new GatewayError('shutting_down', 'the gateway is shutting down');
    this.options.assertWorkspace?.();
    let finish: () => void = () => {};
    this.#track(
      controller,
      new Promise<void>((resolve) => {
        finish = resolve;
      }),
    );
    let release: Release | undefined;
    try {
      release = await this.admission.acquire({ userId: request.userId }, controller.signal);
      await admitted?.(controller.signal);
      const handle = spawnTurn(this.options.spawner, { ...request, signal: controller.signal });
      const releaseSlot = release;
      // This process cut off from the deployment: the others report the turn's claim interrupted.
      const unhook = Admission.stopOnCutOff(releaseSlot, (why) => controller.abort(why));
      return {
        handle,
        done: () => {
          unhook();
          void releaseSlot();
          finish();
        },
      };
    } catch (error) {
      void release?.();
      finish();
      throw error;
    }
  }

  /** Refuses new turns, cancels running ones and waits (up to graceMs) for them to end and be stored. */
  async shutdown(graceMs: number): Promise<void> {
    this.#closing = true;
    for (const controller of this.#inflight.keys())
      controller.abort(new Cancelled('the gateway is shutting down'));
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled([...this.#inflight.values()]),
      new Promise((resolve) => {
        timer = setTimeout(resolve, graceMs);
      }),
    ]);
    clearTimeout(timer);
  }

  #track(controller: AbortController, running: Promise<void>): void {
    const tracked = running.finally(() => this.#inflight.delete(controller));
    this.#inflight.set(controller, tracked);
  }

  /**
   * [gateway] max_sessions_per_user, kept by the store alone: it counts the user's active sessions
   * and inserts as one unit, so creations at once (here, or in another gateway on the same
   * PostgreSQL) never store more. The gateway only turns its refusal into the user's error.
   */
  #room(): SessionRoom {
    return { maxActive: this.options.limits.maxSessionsPerUser };
  }

  async #withinRoom<T>(userId: string, create: () => Promise<T>): Promise<T> {
    try {
      return await create();
    } catch (error) {
      if (!(error instanceof SessionLimitError)) throw error;
      throw new GatewayError(
        'session_limit',
        `user ${userId} has ${error.active} active sessions, the limit ([gateway] max_sessions_per_user = ${error.maxActive}); resume one with switch_session, or raise the limit`,
      );
    }
  }

  /** A full id as it is (live or stored); a short id or prefix as the one session of the user's it names. */
  async #sessionNamed(userId: string, typed: string): Promise<string> {
    if (this.registry.get(typed)) return typed;
    const ids = await this.store.lookup(typed, { userId });
    if (ids.length === 1) return ids[0]!;
    if (ids.length === 0) return typed;
    throw new GatewayError('session_not_found', sessionIdProblem(typed, ids));
  }
}

function notFound(sessionId: string): GatewayError {
  return new GatewayError('session_not_found', `session ${sessionId} not found (list_sessions shows yours)`);
}

/** Forgets the remote turn `seen` unless another was heard of meanwhile (its start came since). */
function forgetGhost(live: LiveSession, seen: LiveSession['remote']): void {
  if (seen !== undefined && live.remote === seen) live.remote = undefined;
}
