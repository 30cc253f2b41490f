/**
 * One turn of a session, from acceptance to its final frame: wait for a slot of the user
 * (FIFO; in a deployment of several processes, the deployment's slot, which holds the session
 * too), spawn its kernel agent, stream its events to every subscriber as frames, and end with
 * exactly one of turn_completed, turn_cancelled or an error frame. The final frame is sent only
 * once the run has ended and stored its messages and the session is free again, so a client
 * may send its next turn the moment it sees it. The turn's record ({turn_id, index, state})
 * is stored at the start and at the end, for clients reconnecting after a restart.
 */
import { Admission, type KernelEvent, type Release } from '@oxydra/kernel';
import { type TurnRecord, turnRecordWrite, writeTurnRecord } from '@oxydra/kernel/turn-records';
import type { SessionStore } from '@oxydra/memory';
import { SessionBusyError, type StateWriteOptions } from '@oxydra/types';
import type { ServerFrame } from '@oxydra/types/gateway';
import { GatewayError, publicError, publicRunError } from './errors.js';
import { TurnFrames, type TurnState } from './frames.js';
import type { ActiveTurn, LiveSession, SessionRegistry } from './live-sessions.js';
import type { ApprovalRoutes } from './turn-approvals.js';
import { TurnEnd } from './turn-end.js';
import { spawnTurn, type TurnSpawner, turnEvents } from './turn-spawn.js';
import type { Clock, GatewayLogger, TurnAttachment } from './types.js';

/** A held slot as the Admission gives it (Admission.acquireWith). */
type Acquired = Awaited<ReturnType<Admission['acquireWith']>>;

/** What a turn needs of the hub (the hub is one), named here so the two files do not import each other. */
export interface TurnHost {
  readonly options: { readonly log: GatewayLogger; readonly spawner: TurnSpawner; readonly clock: Clock };
  readonly approvals: ApprovalRoutes;
  readonly admission: Admission;
  readonly registry: SessionRegistry;
  readonly store: SessionStore;
  readonly cluster: { readonly processId: string } | undefined;
}

export interface TurnSubmission {
  requestId: string;
  turnId: string;
  prompt: string;
  attachments: TurnAttachment[];
}

export async function runSessionTurn(
  hub: TurnHost,
  live: LiveSession,
  active: ActiveTurn,
  submission: TurnSubmission,
): Promise<void> {
  const { log, spawner, clock } = hub.options;
  const signal = active.controller.signal;
  const frames = new TurnFrames({
    requestId: active.requestId,
    session: live.ref,
    turn: { turn_id: active.turnId, index: active.index },
  });
  const started = clock.now();
  const running: TurnRecord = { turn_id: active.turnId, index: active.index, state: 'running' };
  // The turn's place in the user's queue is taken now, before anything awaits, so turns wait in
  // the order they were accepted (FIFO), not in the order their record writes finish (on
  // PostgreSQL, in any order). A cancel meanwhile rejects it: seen where it is awaited below.
  // One of several processes: the slot holds the session in the deployment too, and the running
  // record is written in the claim's transaction, only once it holds the session: a turn refused
  // here never overwrites the record of one running elsewhere, and the record is stored with the
  // claim, so the turn's first message does not wait for a commit of its own (docs/postgres.md,
  // "Thirteenth round"). A record written meanwhile (another epoch) fails that compare-and-set
  // and the record is written after the claim, as record() does. The claim is answered once it
  // holds the session, before its commit (and WAL flush) returns: see runningRecorded.
  const epoch = live.recordEpoch;
  const slot = hub.admission.acquireWith({ userId: live.userId }, signal, {
    sessionId: live.id,
    turnId: active.turnId,
    ...(hub.cluster ? { state: turnRecordWrite(running, epoch), beforeCommit: true } : {}),
  });
  slot.catch(() => {});
  if (!hub.cluster) await record(hub, live, running, RELAXED);

  /** Alone: given back when the run ends. One of several: with the final record (see below). */
  let release: Release | undefined;
  /** One of several: what the run hands over to be committed with the final record. */
  const end = hub.cluster ? new TurnEnd() : undefined;
  let final: ServerFrame | undefined;
  /** Sub-agents' names by id, for their progress lines. */
  const names = new Map<string, string>();
  let unhook = () => {};
  try {
    const acquired = await slot.catch(sessionBusyIsTurnActive);
    release = acquired.release;
    // This process cut off from the deployment: the others report the turn interrupted.
    unhook = Admission.stopOnCutOff(release, (why) => active.controller.abort(why));
    // One of several: the kernel opens the session (its reads) while the claim's commit and the
    // running record are stored, and appends the turn's first message only once they are, so
    // the record comes first in the store's log (SpawnSpec.sessionWrites).
    const recorded = hub.cluster ? runningRecorded(hub, live, running, epoch, acquired) : undefined;
    const handle = spawnTurn(spawner, {
      userId: live.userId,
      sessionId: live.id,
      agentName: live.agentName,
      prompt: submission.prompt,
      attachments: submission.attachments,
      signal,
      askApprovals: live.hasApprover(),
      // One of several processes: the end of the turn (below) commits waiting for the disk before
      // the final frame, and a WAL flush puts every commit before it on disk too. So the turn's
      // messages need not wait for a flush each (docs/postgres.md, "Fourth round"); its answer
      // and the audit head's copy are handed to that end instead of written apart ("Ninth
      // round"). Alone, the record is written after the final frame: they wait.
      ...(recorded ? { sessionWrites: { relaxed: true, after: recorded, ...(end ? { end } : {}) } } : {}),
    });
    // A claim that was not stored fails the run at its first message (persistence_error).
    await recorded?.catch(() => {});
    live.broadcast({
      type: 'turn_started',
      payload: { request_id: active.requestId, session: live.ref, turn: frames.context.turn },
    });
    const aside = (event: KernelEvent) => hub.approvals.handle(live, frames, names, event);
    for await (const event of turnEvents(handle, log, aside)) {
      const frame = frames.map(event);
      if (!frame) continue;
      if (!frames.outcome) live.broadcast(frame);
      else final ??= frame; // held back until the run has settled (see above)
    }
    const result = await handle.result;
    if (!final) {
      // The events ended without a final one (a kernel bug): trust the AgentResult.
      const error = result.error && publicRunError(result.error, handle.id, log);
      final =
        result.status === 'completed'
          ? frames.map({
              type: 'run_completed',
              text: result.text,
              usage: result.usage,
              costUsd: result.costUsd,
              turns: result.turns,
            })
          : result.status === 'cancelled'
            ? frames.cancelled()
            : frames.failure(error?.code ?? 'internal_error', error?.message ?? 'the turn failed');
    }
  } catch (error) {
    if (signal.aborted) final = frames.cancelled();
    else {
      const { code, message } = publicError(error);
      if (code === 'internal_error')
        log('error', 'turn failed', { session_id: live.id, error: String(error) });
      final = frames.failure(code, message);
    }
  } finally {
    unhook();
    if (!hub.cluster) void release?.();
  }
  const state: TurnState = frames.outcome ?? 'failed';
  live.active = undefined;
  live.lastTurn = { turn_id: active.turnId, index: active.index, state };
  if (hub.cluster) {
    // One of several processes: the record is written and the session let go in the store
    // before the final frame, so a client may send its next turn the moment it sees it, to
    // any process. A turn refused because the session runs elsewhere leaves that record alone.
    // The record, the audit head's copy the run handed over and the claim's release are one
    // transaction, waiting for the disk: on PostgreSQL one round trip and one WAL flush
    // (docs/postgres.md, "Ninth round"). A turn started elsewhere meanwhile keeps its record
    // (writeTurnRecord).
    const stored = release && end ? await endTurn(hub, live, live.lastTurn, release, end) : true;
    // The turn's messages went relaxed: it is this flushed record that puts them on disk, also
    // when a newer turn's record is kept (this one was reaped): its compare-and-set writes
    // nothing then, and still waits for the flush (SessionStore.setState). If the store failed
    // it, the answer may be in the database's memory only: not "completed".
    if ((!stored || end?.lost) && final && frames.outcome === 'completed') {
      final = frames.failure(
        'turn_unconfirmed',
        'the turn finished but the store did not confirm it was saved (the database failed); reload the session to see what was kept',
      );
    }
    if (final) live.broadcast(final);
  } else {
    if (final) live.broadcast(final);
    await record(hub, live, live.lastTurn);
  }
  log('info', `turn ${state}`, {
    session_id: live.id,
    user_id: live.userId,
    turn: active.index,
    duration_ms: Math.round(clock.now() - started),
  });
  hub.registry.release(live);
}

/** Another run holds the session in the deployment (on this process or another): turn_active. */
function sessionBusyIsTurnActive(error: unknown): never {
  if (!(error instanceof SessionBusyError)) throw error;
  const { holder, elsewhere } = error;
  throw new GatewayError(
    'turn_active',
    `turn already active in session ${holder.sessionId} (turn_id ${holder.turnId ?? holder.runId}, on ${elsewhere ? 'another gateway process' : 'this process'}); wait for it to end or cancel it`,
  );
}

/**
 * A turn record written before a write that waits for the disk: the running record before the
 * turn's messages are stored. The store's log is written in order, so the later write's flush
 * puts the record on disk too; a crash of the database server in between loses the turn's later
 * writes with it (docs/postgres.md, "Warm turn latency"). The final record waits for the disk
 * itself: alone, it is written after the final frame with nothing after it; of several
 * processes, alongside the claim's release, before the final frame.
 */
const RELAXED = { relaxed: true } as const;

/**
 * A deployment's turn end: the final record and what the run handed over (`end`), committed
 * with the claim's release in one transaction, after any earlier record write of the session.
 * The claim is released whatever happens (on its own when that transaction fails: Release).
 * When the record was not written there (another writer's epoch, or the transaction failed) it
 * is written as record() does: re-read, kept when newer, waiting for the disk. True when stored.
 */
async function endTurn(
  hub: TurnHost,
  live: LiveSession,
  turn: TurnRecord,
  release: Release,
  end: TurnEnd,
): Promise<boolean> {
  const ended = live.recordWrites.then(async () => {
    const epoch = live.recordEpoch;
    const own = turnRecordWrite(turn, epoch);
    let written = false;
    let committed = false;
    const commit = async (runId?: string) => {
      committed = true;
      try {
        const result = await end.commit(hub.store, live.id, [own], runId);
        written = result.written[0] === true;
        return result.released === true;
      } catch (error) {
        hub.options.log('warn', 'could not end the turn in one transaction', {
          session_id: live.id,
          error: (error as Error).message,
        });
        throw error;
      }
    };
    await release(commit);
    // No claim to end (this process left the deployment, which dropped its claims): the rest
    // still goes, the answer above all.
    if (!committed) await commit().catch(() => {});
    if (written) live.recordEpoch = (epoch ?? 0) + 1;
    return written;
  });
  live.recordWrites = ended.then(() => {});
  return (await ended) || record(hub, live, turn);
}

/**
 * One of several: resolves once the claim is stored (its commit returned: until then the turn
 * stores nothing, so none of it is kept when the claim is not) and the running record with it,
 * or after it when the claim's compare-and-set found another epoch. Rejects when the claim's
 * commit failed.
 */
async function runningRecorded(
  hub: TurnHost,
  live: LiveSession,
  running: TurnRecord,
  epoch: number | null,
  acquired: Acquired,
): Promise<boolean> {
  await acquired.committed;
  return acquired.stateWritten ? recordedWithClaim(live, epoch) : record(hub, live, running, RELAXED);
}

/** The running record the claim wrote (at `epoch`): the epoch moves on after any earlier write of the session. */
function recordedWithClaim(live: LiveSession, epoch: number | null): Promise<boolean> {
  const written = live.recordWrites.then(() => {
    live.recordEpoch = (epoch ?? 0) + 1;
    return true;
  });
  live.recordWrites = written.then(() => {});
  return written;
}

/** Stores the turn record after any earlier write of the session; a failure is logged, never fails the turn. */
function record(
  hub: TurnHost,
  live: LiveSession,
  turn: TurnRecord,
  options?: StateWriteOptions,
): Promise<boolean> {
  const written = live.recordWrites.then(async () => {
    try {
      live.recordEpoch = await writeTurnRecord(hub.store, live.id, turn, live.recordEpoch, options);
      return true;
    } catch (error) {
      hub.options.log('warn', 'could not store the turn state', {
        session_id: live.id,
        error: (error as Error).message,
      });
      return false;
    }
  });
  live.recordWrites = written.then(() => {});
  return written;
}
