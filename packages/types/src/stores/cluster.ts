/**
 * Several gateway processes on one store (issue 33 item 3): which processes are alive and
 * which runs each holds, as a contract. A process beats every second or so; a process whose
 * last beat is older than the stale limit is dead, and whichever live process reaps it first
 * gets its runs, to report them interrupted. A run is claimed before it starts, which is where
 * the cross-process rules hold: one run per session at a time, and a holder's runs across all
 * processes within the per-user limit. Every door claims (gateway turns, A2A tasks, MCP
 * run_agent calls, scheduled runs: the kernel's Admission does it for them), so they all count
 * against one limit. Times are the database's clock, not the processes', so machines with
 * skewed clocks agree. PostgreSQL implements it (@oxydra/store-postgres); one process alone
 * needs none (the kernel's Admission is its per-user limit).
 */
import { OxydraError } from '../errors.js';
import type { SessionStateWrite } from './sessions.js';

export interface ProcessInfo {
  /** Unique per process start (a restarted process gets a new one). */
  id: string;
  /** The machine's host name. */
  host: string;
  pid: number;
  /** Where it serves (http://host:port), when it does. */
  url?: string;
  /**
   * What it serves: `gateway` (the default, as every member was before others joined),
   * `scheduler` (`oxydra scheduler run`), `schedule` (`oxydra schedule run-now`, for its one run)
   * or `mcp` (`oxydra mcp serve`). Only gateways have clients of sessions: the others do not
   * answer a gateway's presence questions.
   */
  kind?: ProcessKind;
}

export const PROCESS_KINDS = ['gateway', 'scheduler', 'schedule', 'mcp'] as const;
export type ProcessKind = (typeof PROCESS_KINDS)[number];

export interface ClusterProcess extends ProcessInfo {
  kind: ProcessKind;
  /** ISO 8601 UTC, the database's clock. */
  startedAt: string;
  beatAt: string;
}

/**
 * Whose slots a run takes: a user's, or those of a token that acts for no user (an owner or
 * admin token over A2A or MCP), kept apart so no user id can stand for a token.
 */
export type SlotHolder = { userId: string; tokenId?: never } | { tokenId: string; userId?: never };

export type NewClusterRun = {
  /** Unique per claim. */
  runId: string;
  processId: string;
  /**
   * The session the run holds (one run per session): a gateway session turn's. None for every
   * other run (stateless turns, A2A tasks, MCP run_agent, scheduled runs), which only count.
   */
  sessionId?: string;
  /** The gateway turn id, when it is one. */
  turnId?: string;
  /**
   * With `sessionId` only: a write of that session's state made in the claim's own transaction,
   * and only when the claim places the run (a gateway turn's running record, so the turn need
   * not wait for a commit of its own before its messages). A compare-and-set as
   * SessionStore.setState's; whether it wrote is RunClaim's `stateWritten`.
   */
  state?: SessionStateWrite;
  /**
   * With `sessionId` only: answer a claim that placed the run once its statements are answered,
   * before its commit (and the WAL flush it waits for) returns; RunClaim's `committed` settles
   * then. For a caller that has work to do before anything of the run is stored (a gateway
   * session turn opens its session meanwhile).
   */
  beforeCommit?: boolean;
} & SlotHolder;

export interface ClusterRun {
  runId: string;
  processId: string;
  /** Exactly one of userId and tokenId is set: the run's holder. */
  userId: string | null;
  tokenId: string | null;
  sessionId: string | null;
  turnId: string | null;
  startedAt: string;
}

export type RunClaim =
  /**
   * `stateWritten`: when the run came with a `state` write, whether it wrote (false: another
   * epoch). `committed`: answered before the commit (`beforeCommit`), settles once the claim
   * is stored, rejecting when it was not (the run must then store nothing, and end).
   */
  | { ok: true; stateWritten?: boolean; committed?: Promise<void> }
  /** The session has a run already (this process's or another's): `holder` is it. */
  | { ok: false; reason: 'session_busy'; holder: ClusterRun }
  /** The holder has `running` runs across all processes, the limit. */
  | { ok: false; reason: 'user_limit'; running: number };

export interface ClusterStore {
  /**
   * Registers the process, or refreshes its beat (and url) if it is registered. Resolves true
   * when this beat registered it: its first, or one after it was reaped (or left), when its runs
   * are gone (another process reports them interrupted, and their sessions may be claimed
   * again), so it must stop them; false when it refreshed.
   */
  beat(process: ProcessInfo): Promise<boolean>;
  /** The processes that beat within `withinMs`, oldest start first. */
  processes(withinMs: number): Promise<ClusterProcess[]>;
  /**
   * Claims a run, atomically across processes: refused when its session already has a run
   * (any process's, until that one is released or reaped) or when its holder (user or token)
   * already has `perUser` runs going across all processes. A runId claimed twice is an error (rejects), as
   * is a claim by a process that is not registered (it never beat, left, or was reaped): no run
   * is left without a live process to end it.
   */
  claim(run: NewClusterRun, limits: { perUser: number }): Promise<RunClaim>;
  /** Ends a run; false when it was not there (never claimed, released, or reaped). */
  release(runId: string): Promise<boolean>;
  /**
   * Removes every process whose last beat is older than `staleMs` (never the caller: it
   * beats first) and returns the runs they held, removed with them: the runs to report
   * interrupted. Two processes reaping at once get disjoint sets, so each run is reported once.
   */
  reap(staleMs: number): Promise<ClusterRun[]>;
  /** A clean stop: the process's record and its runs go (its runs were ended or cancelled). */
  leave(processId: string): Promise<void>;
  /** Runs going now, oldest first, optionally of one user, one token or one session. */
  runs(filter?: { userId?: string; tokenId?: string; sessionId?: string }): Promise<ClusterRun[]>;
}

/** A holder as one string: users and tokens apart. */
export const holderKey = (holder: SlotHolder): string =>
  holder.userId !== undefined ? `user:${holder.userId}` : `token:${holder.tokenId}`;

/** This process as one of several on one store, as the kernel's Admission needs it (its deployment-claims module). */
export interface DeploymentMember {
  store: ClusterStore;
  /** This process's id in the store (it beats under it: the gateway's cluster membership). */
  processId: string;
  /** Tells the other processes a slot of `userId` came free (they call Admission.freed). */
  announce?(userId: string): void;
  /** Throws when this process may not start runs now (it lost its place in the deployment). */
  assertMember?(): void;
  /** Something to tell the operator (a release the store did not take): logged, never thrown. */
  warn?(message: string, fields: Record<string, unknown>): void;
}

/** What a run holds besides its slot: a gateway session turn holds its session. */
export interface RunPlace {
  sessionId?: string;
  turnId?: string;
  /** Written with the claim when it places the run (NewClusterRun's `state`). */
  state?: SessionStateWrite;
  /** The claim answered before its commit returns (NewClusterRun's `beforeCommit`). */
  beforeCommit?: boolean;
}

/** The session already has a run, on this process or another: `holder` is it. */
export class SessionBusyError extends OxydraError {
  constructor(
    readonly holder: ClusterRun,
    readonly elsewhere: boolean,
  ) {
    super(
      'usage_error',
      `session ${holder.sessionId} has a run going (${holder.turnId ?? holder.runId}, on ${elsewhere ? 'another gateway process' : 'this process'}); wait for it to end or cancel it`,
    );
  }
}
